/**
 * Machine-readable error codes carried by every {@link TunekitError}.
 *
 * @example
 * ```ts
 * try { readSafetensors(bytes); } catch (e) { if (isTunekitError(e, "SAFETENSORS_INVALID")) console.error(e.message); }
 * ```
 */
export type TunekitErrorCode =
  | "SHAPE_MISMATCH"
  | "DTYPE_MISMATCH"
  | "INVALID_ARGUMENT"
  | "GRAPH_INVALID"
  | "GRAD_UNSUPPORTED"
  | "BACKEND_UNAVAILABLE"
  | "BACKEND_EXECUTION"
  | "SAFETENSORS_INVALID"
  | "CONFIG_INVALID"
  | "CHECKPOINT_MISMATCH"
  | "CHECKPOINT_INVALID"
  | "TRAINING_DIVERGED"
  | "TOKENIZER_INVALID"
  | "DATA_INVALID"
  | "IO_ERROR"
  | "RUN_LOCKED"
  | "OUTPUT_EXISTS"
  | "OUTPUT_NOT_WRITABLE"
  | "NOT_IMPLEMENTED"
  | "HUB_UNAUTHORIZED"
  | "HUB_NOT_FOUND"
  | "HUB_TRUNCATED"
  | "HUB_NETWORK"
  | "HUB_OFFLINE_MISS"
  | "HUB_INTEGRITY"
  | "HUB_BAD_RESPONSE";

/**
 * The one error base class of tunekit. Every error thrown on purpose by tunekit is a
 * `TunekitError` with a stable {@link TunekitErrorCode} and a message that says what was
 * received, what was expected, and how to fix it.
 *
 * @example
 * ```ts
 * throw new TunekitError("CONFIG_INVALID", "config.json: hidden_size must be a positive integer, got -3");
 * ```
 */
export class TunekitError extends Error {
  /** Stable machine-readable code. */
  readonly code: TunekitErrorCode;
  /** Optional structured details (names, shapes, offsets) for programmatic use. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: TunekitErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TunekitError";
    this.code = code;
    this.details = options?.details;
  }
}

/**
 * Narrows `e` to a {@link TunekitError}, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isTunekitError(err, "SHAPE_MISMATCH")) console.error(err.message);
 * ```
 */
export function isTunekitError(e: unknown, code?: TunekitErrorCode): e is TunekitError {
  return e instanceof TunekitError && (code === undefined || e.code === code);
}
