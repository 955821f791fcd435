import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { HostTensor } from "@tunekit/core";
import {
  type ReadJsonFileOptions,
  readJsonFile,
  readJsonFileText,
  writeFileAtomic,
  writeSafetensors,
} from "@tunekit/core/io";

import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from "./save-adapter.js";

/** Largest `adapter_config.json` read (configs are a few hundred bytes). */
const MAX_ADAPTER_CONFIG_BYTES = 1 << 20;

const adapterConfigFile: ReadJsonFileOptions = {
  what: "adapter config",
  maxBytes: MAX_ADAPTER_CONFIG_BYTES,
  invalidCode: "CONFIG_INVALID",
  unreadableHint: `; expected an adapter folder (${ADAPTER_CONFIG_FILE} + ${ADAPTER_WEIGHTS_FILE})`,
  invalidHint: "; write it with one of the save functions of @tunekit/strategies",
};

/**
 * Reads `adapter_config.json` of an adapter folder as JSON text: a regular file (a link to
 * `/dev/zero` is refused) of at most 1 MiB. A missing or
 * unreadable file is `IO_ERROR` (saying an adapter folder was expected); a too large one or
 * bad UTF-8 is `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const { path, text } = await readAdapterConfigText("out/adapter");
 * ```
 */
export async function readAdapterConfigText(dir: string): Promise<{ path: string; text: string }> {
  const path = join(dir, ADAPTER_CONFIG_FILE);
  const text = await readJsonFileText(path, adapterConfigFile);
  return { path, text: text! };
}

/**
 * {@link readAdapterConfigText}, parsed: invalid JSON is `CONFIG_INVALID` naming the file.
 *
 * @example
 * ```ts
 * const { path, json } = await readAdapterConfigJson("out/adapter");
 * ```
 */
export async function readAdapterConfigJson(dir: string): Promise<{ path: string; json: unknown }> {
  const path = join(dir, ADAPTER_CONFIG_FILE);
  return { path, json: await readJsonFile(path, adapterConfigFile) };
}

/**
 * Writes an adapter folder: `adapter_model.safetensors` then `adapter_config.json` (pretty
 * JSON), each atomically, creating `dir` when needed.
 *
 * @example
 * ```ts
 * await writeAdapterFolder("out/adapter", { format: "tunekit-bottleneck/1" }, tensors);
 * ```
 */
export async function writeAdapterFolder(
  dir: string,
  config: unknown,
  tensors: Readonly<Record<string, HostTensor>>,
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  await writeFileAtomic(weightsPath, writeSafetensors(tensors, { format: "pt" }));
  await writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, weightsPath, keys: Object.keys(tensors) };
}
