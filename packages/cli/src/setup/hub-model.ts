import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { downloadModel } from "@tunekit/core";
import { type HubProgress, hubReferenceOf, withNoLocalFolder } from "@tunekit/core/io";
import type { CliIo } from "../cli-io.js";
import { isRecord } from "../config/validate.js";

/**
 * The one place where the CLI turns Hugging Face Hub references into local folders: in a raw
 * train config, `model.path` and `tokenizer` values that name no existing path (resolved
 * against `configDir`) and read as `name` / `org/name[@revision]` are downloaded (or found in
 * the `huggingface_hub` cache; `HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE`, `HF_TOKEN`,
 * `HF_HUB_OFFLINE` apply) and replaced by the absolute snapshot folder. Everything else is
 * returned unchanged, so the config validator and the loaders read a plain model folder.
 *
 * @example
 * ```ts
 * const local = await resolveHubReferences({ model: { path: "prajjwal1/bert-tiny" }, tokenizer: "prajjwal1/bert-tiny" }, "/repo", io);
 * ```
 */
export async function resolveHubReferences(raw: unknown, configDir: string, io?: CliIo): Promise<unknown> {
  if (!isRecord(raw)) return raw;
  let out: Record<string, unknown> = raw;
  const model = raw.model;
  let modelFolder: string | undefined;
  if (isRecord(model) && typeof model.path === "string") {
    modelFolder = await hubFolder(model.path, configDir, io, true);
    if (modelFolder !== undefined) out = { ...out, model: { ...model, path: modelFolder } };
  }
  if (typeof raw.tokenizer === "string") {
    const same = isRecord(model) && model.path === raw.tokenizer && modelFolder !== undefined;
    const folder = same ? modelFolder : await hubFolder(raw.tokenizer, configDir, io, false);
    if (folder !== undefined) out = { ...out, tokenizer: folder };
  }
  return out;
}

/**
 * The snapshot folder of `text` when it is a Hub reference (see
 * {@link resolveHubReferences}); `undefined` for a local path. `weights: false` fetches only
 * `config.json` and the tokenizer files (`tunekit info`, a tokenizer).
 *
 * @example
 * ```ts
 * const folder = (await hubFolder("bert-base-uncased", process.cwd(), io, false)) ?? "bert-base-uncased";
 * ```
 */
export async function hubFolder(
  text: string,
  baseDir: string,
  io: CliIo | undefined,
  weights: boolean,
): Promise<string | undefined> {
  const local = isAbsolute(text) ? text : resolve(baseDir, text);
  const exists = (await stat(local).catch(() => undefined)) !== undefined;
  const ref = hubReferenceOf(text, exists);
  if (ref === undefined) return undefined;
  const bar = io === undefined ? undefined : downloadBar(io);
  try {
    const m = await downloadModel(ref, { weights, ...(bar === undefined ? {} : { onProgress: bar }) });
    return m.folder;
  } catch (e) {
    throw withNoLocalFolder(e, local); // a mistyped local folder reads as a Hub name too
  } finally {
    if (bar !== undefined) bar.finish();
  }
}

/**
 * A download progress bar for a terminal (`[=====>    ] model.safetensors 12.0/44.0 MB`),
 * redrawn at most 10 times a second; nothing when stderr is not a terminal.
 *
 * @example
 * ```ts
 * const bar = downloadBar(io);
 * await downloadModel("org/name", { onProgress: bar });
 * bar.finish();
 * ```
 */
export function downloadBar(io: CliIo): ((p: HubProgress) => void) & { finish(): void } {
  const now = io.now ?? (() => performance.now());
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  const update = (p: HubProgress): void => {
    if (!io.isTTY) return;
    const t = now();
    if (!p.done && t - last < 100) return;
    last = t;
    shown = true;
    io.stderr(`\r${downloadLine(p, io.columns ?? 80)}\x1b[K`);
  };
  return Object.assign(update, {
    finish: (): void => {
      if (shown) io.stderr("\n");
      shown = false;
    },
  });
}

/**
 * One download bar line, fit to `columns`.
 *
 * @example
 * ```ts
 * downloadLine({ repoId: "org/m", file: "model.safetensors", received: 5e6, total: 1e7, resumedFrom: 0, done: false }, 80);
 * // "[==========>         ] org/m model.safetensors 5.0/10.0 MB"
 * ```
 */
export function downloadLine(p: HubProgress, terminalColumns: number): string {
  const columns = terminalColumns >= 40 ? terminalColumns : 80;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const tail = ` ${p.repoId} ${p.file} ${mb(p.received)}/${mb(p.total)} MB${p.resumedFrom > 0 ? " (resumed)" : ""}`;
  const width = Math.max(10, Math.min(20, columns - tail.length - 3));
  const frac = p.total > 0 ? Math.min(1, p.received / p.total) : 1;
  const filled = Math.round(frac * width);
  const bar = filled >= width ? "=".repeat(width) : `${"=".repeat(filled)}>${" ".repeat(width - filled - 1)}`;
  return `[${bar}]${tail}`.slice(0, Math.max(columns - 1, 20));
}
