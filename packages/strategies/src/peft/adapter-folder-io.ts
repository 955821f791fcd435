import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type HostTensor,
  readRegularFile,
  TunekitError,
  writeFileAtomic,
  writeSafetensors,
} from "@tunekit/core";

import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from "./save-adapter.js";

/** Largest `adapter_config.json` read (configs are a few hundred bytes). */
const MAX_ADAPTER_CONFIG_BYTES = 1 << 20;

/**
 * Reads `adapter_config.json` of an adapter folder as JSON text: a regular file (a link to
 * `/dev/zero` is refused) of at most 1 MiB. A missing or
 * unreadable file is `IO_ERROR` (saying an adapter folder was expected), a too large one
 * `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const { path, text } = await readAdapterConfigText("out/adapter");
 * ```
 */
export async function readAdapterConfigText(dir: string): Promise<{ path: string; text: string }> {
  const path = join(dir, ADAPTER_CONFIG_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, {
      what: "adapter config",
      maxBytes: MAX_ADAPTER_CONFIG_BYTES,
      tooLargeCode: "CONFIG_INVALID",
    });
  } catch (e) {
    if (e instanceof TunekitError && e.code === "IO_ERROR") {
      throw new TunekitError(
        "IO_ERROR",
        `${e.message}; expected an adapter folder (${ADAPTER_CONFIG_FILE} + ${ADAPTER_WEIGHTS_FILE})`,
        { cause: e },
      );
    }
    throw e;
  }
  return { path, text: new TextDecoder("utf-8").decode(bytes) };
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
  const { path, text } = await readAdapterConfigText(dir);
  try {
    return { path, json: JSON.parse(text) };
  } catch (e) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path} is not valid JSON (${e instanceof Error ? e.message : String(e)}); write it with one of the save functions of @tunekit/strategies`,
      { cause: e },
    );
  }
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
