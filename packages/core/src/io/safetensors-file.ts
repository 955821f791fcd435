import type { HostTensor } from "../tensor/host-tensor.js";
import { writeFileAtomic } from "./atomic-write.js";
import { readRegularFile } from "./read-regular-file.js";
import { type ReadSafetensorsOptions, readSafetensors, type SafetensorsContents } from "./safetensors.js";
import { type WriteSafetensorsOptions, writeSafetensors } from "./safetensors-write.js";

/**
 * Reads a `.safetensors` file from disk with {@link readSafetensors}. Error messages are
 * prefixed with the path; a missing or unreadable file throws `TunekitError("IO_ERROR")`.
 *
 * @example
 * ```ts
 * const { tensors } = await readSafetensorsFile("bert-tiny/model.safetensors");
 * tensors.get("bert.embeddings.word_embeddings.weight")?.shape; // [64, 32]
 * ```
 */
export async function readSafetensorsFile(
  path: string,
  opts: Omit<ReadSafetensorsOptions, "source"> = {},
): Promise<SafetensorsContents> {
  const bytes = await readRegularFile(path, { what: "safetensors file" });
  return readSafetensors(bytes, { ...opts, source: path });
}

/**
 * Writes tensors to a `.safetensors` file with {@link writeSafetensors}, atomically (temporary
 * file in the same folder, then rename), so an interrupted save never leaves a truncated file.
 *
 * @example
 * ```ts
 * await writeSafetensorsFile("out/adapter.safetensors", { "lora_A.weight": a }, { format: "pt" });
 * ```
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Readonly<Record<string, HostTensor>> | ReadonlyMap<string, HostTensor>,
  metadata?: Readonly<Record<string, string>>,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  await writeFileAtomic(path, writeSafetensors(tensors, metadata, options));
}
