import { TunekitError } from "../errors.js";
import type { Tensor } from "../ir/graph.js";
import { add, div, full, minimum, mul, sqrt, sum } from "../ir/ops.js";

/**
 * Global L2-norm gradient clipping with `torch.nn.utils.clip_grad_norm_` semantics: the norm
 * of all gradients together, `scale = min(1, maxNorm / (norm + 1e-6))`, every gradient
 * multiplied by `scale`. Returns the scaled gradients and the norm before clipping (the
 * value PyTorch returns and the Hugging Face Trainer logs as `grad_norm`).
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
 * g.output("grad_norm", norm);
 * ```
 */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  if (!(typeof maxNorm === "number" && maxNorm > 0 && Number.isFinite(maxNorm))) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `clipGradNorm: maxNorm must be a positive finite number, got ${String(maxNorm)}`,
    );
  }
  const first = grads[0];
  if (!first) throw new TunekitError("INVALID_ARGUMENT", "clipGradNorm: needs at least one gradient");
  let squares: Tensor | undefined;
  for (const g of grads) {
    const s = sum(mul(g, g));
    squares = squares === undefined ? s : add(squares, s);
  }
  const norm = sqrt(squares ?? full(first.graph, [], 0));
  const scale = minimum(div(maxNorm, add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => mul(g, scale)), norm };
}
