import { TunekitError } from "@tunekit/core";

/**
 * The options prefix tuning and prompt tuning share: `P` virtual tokens, a normal init and
 * whether the head trains too.
 *
 * @example
 * ```ts
 * const o: VirtualTokenOptions = { numVirtualTokens: 8, initStd: 0.5, seed: 1 };
 * ```
 */
export interface VirtualTokenOptions {
  /** Number of virtual tokens `P`. */
  readonly numVirtualTokens: number;
  /** Std of the normal init (default 1, as PEFT's `torch.nn.Embedding`). */
  readonly initStd?: number;
  /** Seed of that init (default 0). */
  readonly seed?: number;
  /** Train the task head (`classifier`) too (default true, as PEFT's `modules_to_save`). */
  readonly trainHead?: boolean;
}

/**
 * {@link VirtualTokenOptions} checked and with their defaults filled in.
 *
 * @example
 * ```ts
 * const r: ResolvedVirtualTokenOptions = { numVirtualTokens: 8, initStd: 1, seed: 0, trainHead: true };
 * ```
 */
export interface ResolvedVirtualTokenOptions {
  readonly numVirtualTokens: number;
  readonly initStd: number;
  readonly seed: number;
  readonly trainHead: boolean;
}

/**
 * Checks the shared options of a virtual-token method (`method` names it in messages, e.g.
 * `"prefixTuning"`) and fills in the defaults; throws `CONFIG_INVALID` saying what was given
 * and what to pass instead.
 *
 * @example
 * ```ts
 * const { numVirtualTokens } = resolveVirtualTokenOptions("promptTuning", { numVirtualTokens: 8 });
 * ```
 */
export function resolveVirtualTokenOptions(
  method: string,
  options: VirtualTokenOptions,
): ResolvedVirtualTokenOptions {
  const p = options.numVirtualTokens;
  if (!Number.isInteger(p) || p < 1) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${method}: numVirtualTokens must be a positive integer, got ${p}; e.g. { numVirtualTokens: 8 }`,
    );
  }
  const initStd = options.initStd ?? 1;
  if (!Number.isFinite(initStd) || initStd < 0) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${method}: initStd must be a finite number >= 0, got ${initStd}; e.g. { initStd: 1 } (the default)`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${method}: seed must be an integer, got ${seed}; e.g. { seed: 0 } (the default)`,
    );
  }
  return { numVirtualTokens: p, initStd, seed, trainHead: options.trainHead ?? true };
}

/**
 * Throws `CONFIG_INVALID` when `numVirtualTokens` virtual tokens leave no position for a real
 * token: the real tokens take positions `P..`, so `P + 1 ≤ max_position_embeddings` is needed.
 *
 * @example
 * ```ts
 * checkVirtualTokensFit("prefixTuning", 20, model.config.maxPositionEmbeddings);
 * ```
 */
export function checkVirtualTokensFit(method: string, numVirtualTokens: number, maxPositions: number): void {
  if (numVirtualTokens + 1 > maxPositions) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${method}: ${numVirtualTokens} virtual tokens leave no room in max_position_embeddings ${maxPositions} (real tokens take positions ${numVirtualTokens}..); use at most ${maxPositions - 1} virtual tokens`,
    );
  }
}

/**
 * Throws `INVALID_ARGUMENT` when the model was already adapted by the same method (`what` is
 * what it adds: `"prefix"` or `"prompt"`).
 *
 * @example
 * ```ts
 * rejectAlreadyApplied("promptTuning", "prompt", words instanceof PromptWordEmbeddings);
 * ```
 */
export function rejectAlreadyApplied(method: string, what: string, alreadyApplied: boolean): void {
  if (alreadyApplied) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${method}: this model already has a ${what}; apply ${method} to the base model, not to one it returned`,
    );
  }
}
