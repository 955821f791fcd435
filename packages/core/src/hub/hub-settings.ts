import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TunekitError } from "../errors.js";

/**
 * Where and how Hub downloads happen, resolved from the environment like `huggingface_hub`.
 *
 * @example
 * ```ts
 * const s: HubSettings = { endpoint: "https://huggingface.co", cacheDir: "/home/me/.cache/huggingface/hub", offline: false };
 * ```
 */
export interface HubSettings {
  /** Base URL without a trailing `/` (`HF_ENDPOINT`, default `https://huggingface.co`). */
  readonly endpoint: string;
  /** The hub cache folder holding `models--org--name/` folders. */
  readonly cacheDir: string;
  /** Bearer token (`HF_TOKEN`, else the token file `huggingface-cli login` writes). Never printed. */
  readonly token?: string;
  /** `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is true: use the cache only. */
  readonly offline: boolean;
}

/**
 * The default endpoint, as `huggingface_hub`'s.
 *
 * @example
 * ```ts
 * resolveHubSettings({}).endpoint === HF_DEFAULT_ENDPOINT; // true
 * ```
 */
export const HF_DEFAULT_ENDPOINT = "https://huggingface.co";

const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);

/**
 * Resolves {@link HubSettings} from environment variables with `huggingface_hub`'s rules:
 * - endpoint: `HF_ENDPOINT`, else `https://huggingface.co`;
 * - cache: `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, where `HF_HOME`
 *   defaults to `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`;
 * - token: `HF_TOKEN`, else the file at `HF_TOKEN_PATH` (default `HF_HOME/token`);
 * - offline: `HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE` set to 1 / ON / YES / TRUE.
 *
 * `overrides` win over the environment. An endpoint that is not an http(s) URL is
 * `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const settings = resolveHubSettings(process.env);
 * const test = resolveHubSettings({ HF_ENDPOINT: "http://127.0.0.1:8080", HF_HOME: "hf-home" });
 * ```
 */
export function resolveHubSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<HubSettings> = {},
): HubSettings {
  const value = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v === "" ? undefined : v;
  };
  const home = expandHome(
    value("HF_HOME") ?? join(value("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "huggingface"),
  );
  const cacheDir =
    overrides.cacheDir ??
    expandHome(value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") ?? join(home, "hub"));
  const endpoint = checkEndpoint(overrides.endpoint ?? value("HF_ENDPOINT") ?? HF_DEFAULT_ENDPOINT);
  const offline =
    overrides.offline ??
    [value("HF_HUB_OFFLINE"), value("TRANSFORMERS_OFFLINE")].some(
      (v) => v !== undefined && TRUE_VALUES.has(v.toUpperCase()),
    );
  const token =
    overrides.token ??
    value("HF_TOKEN") ??
    readTokenFile(expandHome(value("HF_TOKEN_PATH") ?? join(home, "token")));
  return { endpoint, cacheDir, offline, ...(token === undefined ? {} : { token }) };
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

function checkEndpoint(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `HF_ENDPOINT is not an http(s) URL (got ${JSON.stringify(raw.slice(0, 200))}); set it to e.g. https://huggingface.co or a mirror's base URL`,
    );
  }
  return raw.replace(/\/+$/, "");
}

function readTokenFile(path: string): string | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}
