import { join } from "node:path";
import type { TunekitError } from "../../errors.js";
import { describeValue } from "../../io/json-checks.js";
import { readJsonFile } from "../../io/read-json-file.js";

// Reading and writing a decoder's `config.json`, shared by the decoder families (Llama-family, GPT-2).

/** The parsed `<folder>/config.json` and its path; a missing file is `IO_ERROR`, invalid JSON `CONFIG_INVALID`. */
export async function readModelConfigJson(folder: string): Promise<{ json: unknown; path: string }> {
  const path = join(folder, "config.json");
  const json = await readJsonFile(path, {
    what: "model config",
    maxBytes: 64 * 1024 * 1024,
    invalidCode: "CONFIG_INVALID",
    unreadableHint: `; is ${folder} a model folder?`,
  });
  return { json, path };
}

/** A reader of special token ids: null / absent is undefined, else an integer below `vocabSize`. */
export function tokenIdReader(
  cfg: Readonly<Record<string, unknown>>,
  vocabSize: number,
  fail: (key: string, msg: string) => TunekitError,
): (key: string) => number | undefined {
  return (key) => {
    const v = cfg[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= vocabSize) {
      throw fail(key, `${key} must be null or an integer in [0, ${vocabSize - 1}], got ${describeValue(v)}`);
    }
    return v;
  };
}

/** The keys of `cfg` that are not `known`, kept as they are (own properties, even `__proto__`). */
export function extraConfigKeys(
  cfg: Readonly<Record<string, unknown>>,
  known: ReadonlySet<string>,
): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (!known.has(k)) defineKey(extra, k, v);
  }
  return extra;
}

/** A `config.json` object: the extra keys first, then `fields`. */
export function configJsonWithExtra(
  extra: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) defineKey(out, k, v);
  return Object.assign(out, fields);
}

function defineKey(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
