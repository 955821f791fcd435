import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { isJsonObject } from "./json-checks.js";
import { readJsonFile } from "./read-json-file.js";
import { readRegularFile } from "./read-regular-file.js";
import { readSafetensorsFile } from "./safetensors-file.js";
import { readTorchCheckpoint, type TorchCheckpointContents } from "./torch-bin.js";

/**
 * The weight files of a Hugging Face model folder that {@link readModelWeights} looks for, in
 * order of preference: safetensors first (no code, fast), then PyTorch's `pytorch_model.bin`;
 * each single-file or sharded (`*.index.json` + shards).
 *
 * @example
 * ```ts
 * MODEL_WEIGHT_FILES[0]; // "model.safetensors"
 * ```
 */
export const MODEL_WEIGHT_FILES = [
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
] as const;

/**
 * What {@link readModelWeights} read: the tensors by name, the weight file it chose (one of
 * {@link MODEL_WEIGHT_FILES}) and every file read (the shards of a sharded checkpoint).
 *
 * @example
 * ```ts
 * const { tensors, file, files }: ModelWeights = await readModelWeights("bert-base-uncased");
 * ```
 */
export interface ModelWeights {
  readonly tensors: Map<string, HostTensor>;
  readonly file: (typeof MODEL_WEIGHT_FILES)[number];
  readonly files: readonly string[];
}

/**
 * Reads a PyTorch checkpoint file (`pytorch_model.bin`) from disk with
 * {@link readTorchCheckpoint}; error messages start with the path, a missing file is `IO_ERROR`.
 *
 * @example
 * ```ts
 * const { tensors } = await readTorchCheckpointFile("bert/pytorch_model.bin");
 * ```
 */
export async function readTorchCheckpointFile(path: string): Promise<TorchCheckpointContents> {
  const bytes = await readRegularFile(path, {
    what: "PyTorch checkpoint",
    tooLargeCode: "CHECKPOINT_INVALID",
  });
  return readTorchCheckpoint(bytes, { source: path });
}

/**
 * Reads the weights of a Hugging Face model folder, whichever way they were saved:
 * `model.safetensors`, a sharded `model.safetensors.index.json`, `pytorch_model.bin` (read
 * without running code, see {@link readTorchCheckpoint}) or a sharded
 * `pytorch_model.bin.index.json`, preferring them in that order when several exist. A
 * sharded index must name shard files inside the folder, and every tensor it lists must be in
 * its shard (`CHECKPOINT_INVALID` otherwise). A folder with none of them is `IO_ERROR`
 * listing what was looked for.
 *
 * @example
 * ```ts
 * const { tensors, file } = await readModelWeights("models/bert-ner"); // file: "pytorch_model.bin"
 * ```
 */
export async function readModelWeights(folder: string): Promise<ModelWeights> {
  for (const file of MODEL_WEIGHT_FILES) {
    const path = join(folder, file);
    if (!(await exists(path))) continue;
    switch (file) {
      case "model.safetensors":
        return { tensors: (await readSafetensorsFile(path)).tensors, file, files: [path] };
      case "pytorch_model.bin":
        return { tensors: (await readTorchCheckpointFile(path)).tensors, file, files: [path] };
      default:
        return readSharded(folder, file);
    }
  }
  throw new TunekitError(
    "IO_ERROR",
    `${folder} holds no model weights: expected one of ${MODEL_WEIGHT_FILES.join(", ")} ` +
      "(a Hugging Face model folder, e.g. saved with save_pretrained)",
    { details: { folder } },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readSharded(
  folder: string,
  file: "model.safetensors.index.json" | "pytorch_model.bin.index.json",
): Promise<ModelWeights> {
  const indexPath = join(folder, file);
  const fail = (msg: string): TunekitError =>
    new TunekitError("CHECKPOINT_INVALID", `${indexPath}: ${msg}`, { details: { file: indexPath } });
  const index = await readJsonFile(indexPath, {
    what: "sharded checkpoint index",
    maxBytes: 64 << 20,
    invalidCode: "CHECKPOINT_INVALID",
  });
  const weightMap = isJsonObject(index) ? index.weight_map : undefined;
  if (!isJsonObject(weightMap)) {
    throw fail(
      'expected an object with "weight_map": { tensor name: shard file }, as save_pretrained writes',
    );
  }
  const shards = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (
      typeof shard !== "string" ||
      shard === "" ||
      basename(shard) !== shard ||
      shard === "." ||
      shard === ".."
    ) {
      throw fail(
        `weight_map[${JSON.stringify(name)}] is ${JSON.stringify(shard)}; expected the name of a shard file in the same folder`,
      );
    }
    shards.set(shard, [...(shards.get(shard) ?? []), name]);
  }
  if (shards.size === 0) throw fail("weight_map is empty");
  const tensors = new Map<string, HostTensor>();
  const files: string[] = [];
  for (const [shard, names] of shards) {
    const path = join(folder, shard);
    const read =
      file === "model.safetensors.index.json"
        ? (await readSafetensorsFile(path)).tensors
        : (await readTorchCheckpointFile(path)).tensors;
    files.push(path);
    for (const name of names) {
      const t = read.get(name);
      if (t === undefined) {
        throw fail(
          `tensor ${JSON.stringify(name)} is mapped to ${shard}, which does not hold it (${read.size} tensors)`,
        );
      }
      tensors.set(name, t);
    }
  }
  return { tensors, file, files };
}
