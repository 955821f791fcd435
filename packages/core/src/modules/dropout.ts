import { TunekitError } from "../errors.js";
import type { Tensor } from "../ir/graph.js";
import { dropout } from "../ir/composites.js";
import { add } from "../ir/ops.js";
import { EVAL_CONTEXT, type ForwardContext, Layer } from "./module.js";

const siteCounters = new WeakMap<ForwardContext, number>();

/**
 * The seed for the next dropout site of a forward pass: `ctx.seed + k` for the k-th site
 * (k = 0, 1, …), so that sites draw different masks from one seed input. Feed seeds that
 * differ by more than the number of sites between steps (e.g. `step * 4096`).
 *
 * @example
 * ```ts
 * const mask = dropoutMask(nextDropoutSeed(ctx), x.shape, 0.1);
 * ```
 */
export function nextDropoutSeed(ctx: ForwardContext): Tensor {
  const seed = ctx.seed;
  if (!seed) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "dropout in training mode needs ctx.seed (an int32 scalar input); pass { training: true, seed } or use eval mode",
    );
  }
  const k = siteCounters.get(ctx) ?? 0;
  siteCounters.set(ctx, k + 1);
  return k === 0 ? seed : add(seed, k);
}

/**
 * Inverted dropout with probability `rate`: active when `ctx.training`, identity otherwise.
 *
 * @example
 * ```ts
 * const h = new Dropout(0.1).forward(x, { training: true, seed });
 * ```
 */
export class Dropout extends Layer {
  readonly rate: number;

  constructor(rate: number) {
    super();
    if (!(rate >= 0 && rate < 1)) {
      throw new TunekitError("INVALID_ARGUMENT", `Dropout: rate must be in [0, 1), got ${rate}`);
    }
    this.rate = rate;
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    return dropout(x, this.rate, nextDropoutSeed(ctx));
  }
}
