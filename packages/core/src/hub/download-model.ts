import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { HubRepoCache } from "./hub-cache.js";
import { HubError } from "./hub-errors.js";
import { type HubDownloadOptions, hubFile, offlineMiss } from "./hub-file.js";
import { type HubSettings, resolveHubSettings } from "./hub-settings.js";
import { formatModelRef, type HubModelRef, parseModelRef } from "./model-ref.js";

/**
 * Weight files tried in order: the first the repository has is fetched (a sharded index with
 * all its shards).
 *
 * @example
 * ```ts
 * HUB_WEIGHT_FILES[0]; // "model.safetensors"
 * ```
 */
export const HUB_WEIGHT_FILES = [
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
] as const;

/**
 * Tokenizer files fetched when the repository has them (a missing one is fine).
 *
 * @example
 * ```ts
 * HUB_TOKENIZER_FILES.includes("vocab.txt"); // true
 * ```
 */
export const HUB_TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "vocab.txt",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
] as const;

/**
 * Options of {@link downloadModel}: download options, the {@link HubSettings} (default: from
 * `process.env`), and whether to fetch the weights.
 *
 * @example
 * ```ts
 * const o: DownloadModelOptions = { weights: false }; // config and tokenizer only
 * ```
 */
export interface DownloadModelOptions extends HubDownloadOptions {
  readonly settings?: HubSettings;
  /** Fetch the weights (default true); `false` fetches `config.json` and the tokenizer only. */
  readonly weights?: boolean;
}

/**
 * A model snapshot in the cache.
 *
 * @example
 * ```ts
 * const m: DownloadedModel = { folder: "/cache/models--org--name/snapshots/abc…", repoId: "org/name", revision: "main", commit: "abc…", files: ["config.json"], fromCache: false };
 * ```
 */
export interface DownloadedModel {
  /** `snapshots/<commit>`: a Hugging Face model folder the loaders read unchanged. */
  readonly folder: string;
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string;
  /** Files of the snapshot this call made sure of. */
  readonly files: readonly string[];
  /** Every file came from the cache (offline, or the Hub could not be reached). */
  readonly fromCache: boolean;
}

/**
 * Downloads a model from the Hub into the `huggingface_hub` cache (or finds it there) and
 * returns its snapshot folder: `config.json`, the first of {@link HUB_WEIGHT_FILES} the
 * repository has (with the shards of an index) and the {@link HUB_TOKENIZER_FILES} it has.
 * After `config.json` every file is asked for at the commit it resolved to, so the snapshot
 * is consistent. Errors are {@link HubError}s; `INVALID_ARGUMENT` for a malformed reference.
 *
 * @example
 * ```ts
 * const { folder } = await downloadModel("prajjwal1/bert-tiny");
 * const model = await loadBertCheckpoint(folder);
 * ```
 */
export async function downloadModel(
  reference: string | HubModelRef,
  options: DownloadModelOptions = {},
): Promise<DownloadedModel> {
  // an object is checked like text: its names become paths in the cache
  const ref = parseModelRef(
    typeof reference === "string" ? reference : `${reference.repoId}@${reference.revision}`,
  );
  const settings = options.settings ?? resolveHubSettings();
  const config = await hubFile(ref, "config.json", settings, options);
  if (config.path === undefined || config.commit === undefined) {
    throw new HubError(
      "HUB_NOT_FOUND",
      `${formatModelRef(ref)} has no config.json at revision ${ref.revision}: it is not a transformers model repository (or the name is wrong)`,
      { details: { repoId: ref.repoId, revision: ref.revision } },
    );
  }
  const commit = config.commit;
  const pinned: HubModelRef = { repoId: ref.repoId, revision: commit };
  const files = ["config.json"];
  let fromCache = config.fromCache;
  const fetch = async (name: string) => {
    const r = await hubFile(pinned, name, settings, options);
    if (r.path !== undefined) files.push(name);
    fromCache &&= r.fromCache;
    return r;
  };
  if (options.weights !== false) await fetchWeights(ref, fetch, settings);
  for (const name of HUB_TOKENIZER_FILES) {
    await fetch(name).catch((e: unknown) => {
      if (e instanceof HubError && e.code === "HUB_OFFLINE_MISS") return undefined; // optional file
      throw e;
    });
  }
  return {
    folder: dirname(config.path),
    repoId: ref.repoId,
    revision: ref.revision,
    commit,
    files,
    fromCache,
  };
}

async function fetchWeights(
  ref: HubModelRef,
  fetch: (name: string) => Promise<{ readonly path: string | undefined }>,
  settings: HubSettings,
): Promise<void> {
  for (const name of HUB_WEIGHT_FILES) {
    let r: { readonly path: string | undefined };
    try {
      r = await fetch(name);
    } catch (e) {
      if (settings.offline && e instanceof HubError && e.code === "HUB_OFFLINE_MISS") continue;
      throw e;
    }
    if (r.path === undefined) continue;
    if (name.endsWith(".index.json")) {
      for (const shard of await shardNames(r.path, ref)) await requireFile(fetch, shard, ref);
    }
    return;
  }
  if (settings.offline) {
    throw offlineMiss(
      ref,
      HUB_WEIGHT_FILES.join(" / "),
      settings,
      new HubRepoCache(settings.cacheDir, ref.repoId),
    );
  }
  throw new HubError(
    "HUB_NOT_FOUND",
    `${formatModelRef(ref)} has none of ${HUB_WEIGHT_FILES.join(", ")}; tunekit reads safetensors and PyTorch checkpoints (other formats, e.g. TensorFlow or ONNX only, are not supported)`,
    { details: { repoId: ref.repoId, revision: ref.revision } },
  );
}

async function requireFile(
  fetch: (name: string) => Promise<{ readonly path: string | undefined }>,
  name: string,
  ref: HubModelRef,
): Promise<void> {
  const r = await fetch(name);
  if (r.path === undefined) {
    throw new HubError(
      "HUB_NOT_FOUND",
      `${formatModelRef(ref)}: the weight index names the shard ${name}, which the repository does not have`,
      { details: { repoId: ref.repoId, file: name } },
    );
  }
}

/** The distinct shard files of a sharded index, each a plain relative path. */
async function shardNames(indexPath: string, ref: HubModelRef): Promise<string[]> {
  const text = await readFile(indexPath, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badIndex(ref, `it is not valid JSON (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== "object" || Array.isArray(map))
    throw badIndex(ref, "it has no weight_map object");
  const names = new Set<string>();
  for (const v of Object.values(map as Record<string, unknown>)) {
    if (
      typeof v !== "string" ||
      v === "" ||
      v.length > 255 ||
      v.startsWith("/") ||
      v.includes("\\") ||
      v.split("/").some((s) => s === "" || s === "." || s === "..")
    ) {
      throw badIndex(ref, `weight_map names ${JSON.stringify(v)}, not a file name inside the repository`);
    }
    names.add(v);
  }
  if (names.size === 0) throw badIndex(ref, "its weight_map is empty");
  if (names.size > 10_000) throw badIndex(ref, `its weight_map names ${names.size} shards`);
  return [...names].sort();
}

function badIndex(ref: HubModelRef, why: string): HubError {
  return new HubError(
    "HUB_BAD_RESPONSE",
    `${formatModelRef(ref)}: the sharded weight index is invalid: ${why}`,
    {
      details: { repoId: ref.repoId },
    },
  );
}
