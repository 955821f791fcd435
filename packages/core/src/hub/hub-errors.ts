import { TunekitError, type TunekitErrorCode } from "../errors.js";

/**
 * Codes of {@link HubError}s: a 401/403 (private or gated), a 404 (wrong name, revision or
 * file), a transfer that ended early, a network failure, a cache miss in offline mode, a
 * download whose sha256 or size is not the one the Hub announced, and a server that does not
 * answer like the Hub (no commit or ETag header).
 *
 * @example
 * ```ts
 * const code: HubErrorCode = "HUB_OFFLINE_MISS";
 * ```
 */
export type HubErrorCode = Extract<TunekitErrorCode, `HUB_${string}`>;

/**
 * A failed Hub download. `url` is the URL asked for with any credentials removed; the
 * message never contains the token.
 *
 * @example
 * ```ts
 * try { await downloadModel("org/private"); } catch (e) { if (e instanceof HubError && e.code === "HUB_UNAUTHORIZED") console.error(e.message); }
 * ```
 */
export class HubError extends TunekitError {
  /** The URL (credentials removed), when one was asked for. */
  readonly url: string | undefined;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;

  constructor(
    code: HubErrorCode,
    message: string,
    options: { url?: string; status?: number; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      details: { ...options.details, url: options.url, status: options.status },
    });
    this.name = "HubError";
    this.url = options.url;
    this.status = options.status;
  }
}

/**
 * `url` without user name, password or token-looking query parameters, for messages.
 *
 * @example
 * ```ts
 * safeUrl("https://user:secret@hf.co/x?token=abc"); // "https://hf.co/x?token=***"
 * ```
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    for (const key of [...u.searchParams.keys()]) {
      if (/token|sig|signature|key|auth|credential|policy/i.test(key)) u.searchParams.set(key, "***");
    }
    return u.toString().replace(/%2A%2A%2A/g, "***");
  } catch {
    return "(an invalid URL)";
  }
}

/**
 * Replaces every occurrence of `secret` (a token) in `text` with `***`.
 *
 * @example
 * ```ts
 * redactSecret("Bearer hf_abc failed", "hf_abc"); // "Bearer *** failed"
 * ```
 */
export function redactSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length === 0) return text;
  return text.split(secret).join("***");
}
