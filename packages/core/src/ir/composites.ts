import { TunekitError } from "../errors.js";
import type { Node, Tensor } from "./graph.js";
import { decomposeLinearCrossEntropy } from "./linear-cross-entropy.js";
import type { OpAttrs } from "./op-attrs.js";
import {
  add,
  cast,
  div,
  dropoutMask,
  equal,
  erf,
  exp,
  log,
  matmul,
  max,
  maximum,
  mean,
  mul,
  neg,
  oneHot,
  sqrt,
  sub,
  sum,
  tanh,
} from "./ops.js";
import { normalizeAxis } from "./shape-inference.js";

/** Softmax along `axis` (default last). @example `softmax(scores, -1)` */
export function softmax(x: Tensor, axis = -1): Tensor {
  return x.graph.addNode("softmax", [x], { axis: normalizeAxis(axis, x.rank, "softmax") });
}

/** Log-softmax along `axis` (default last). @example `logSoftmax(logits)` */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return x.graph.addNode("logSoftmax", [x], { axis: normalizeAxis(axis, x.rank, "logSoftmax") });
}

/**
 * Layer normalisation over the last axis with affine `gamma`, `beta` (PyTorch semantics:
 * biased variance, `eps` inside the square root).
 *
 * @example
 * ```ts
 * const y = layerNorm(x, gamma, beta, 1e-12);
 * ```
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  return x.graph.addNode("layerNorm", [x, gamma, beta], { eps });
}

/** GELU, erf form by default (as BERT uses). @example `gelu(h)` */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  return x.graph.addNode("gelu", [x], { approximate });
}

/**
 * Scaled dot-product attention with an additive mask `bias` (0 keeps, large negative drops).
 *
 * @example
 * ```ts
 * const ctx = attention(q, k, v, maskBias, 1 / Math.sqrt(headDim)); // [B, H, S, D]
 * ```
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: number): Tensor {
  return q.graph.addNode("attention", [q, k, v, bias], { scale });
}

/**
 * Mean cross-entropy of `logits [N, C]` against int32 `labels [N]`, skipping rows whose
 * label equals `ignoreIndex` (default -100, as PyTorch).
 *
 * @example
 * ```ts
 * const loss = crossEntropy(logits, labels);
 * ```
 */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  return logits.graph.addNode("crossEntropy", [logits, labels], { ignoreIndex });
}

/**
 * Inverted dropout: zeroes elements with probability `rate` and scales the rest by
 * `1/(1-rate)`. Identity when `rate` is 0 or `seed` is undefined (evaluation). The mask
 * node is shared by the forward and the backward pass, so both see the same mask.
 *
 * @example
 * ```ts
 * const h = dropout(x, 0.1, seed); // seed: int32 scalar input, new per step
 * ```
 */
export function dropout(x: Tensor, rate: number, seed: Tensor | undefined): Tensor {
  if (rate === 0 || seed === undefined) return x;
  return mul(x, dropoutMask(seed, x.shape, rate));
}

/**
 * Builds the primitive-op decomposition of a composite node from its (already mapped)
 * inputs. Backends without a fused kernel lower composites through this, and the
 * conformance suite checks that both agree.
 *
 * @example
 * ```ts
 * const y = decomposeComposite(node, [x]); // node.op === "softmax"
 * ```
 */
export function decomposeComposite(node: Node, inputs: readonly Tensor[]): Tensor {
  const [x, y, z, w] = inputs;
  switch (node.op) {
    case "softmax": {
      const { axis } = node.attrs as OpAttrs["softmax"];
      const e = exp(sub(x!, max(x!, axis, true)));
      return div(e, sum(e, axis, true));
    }
    case "logSoftmax": {
      const { axis } = node.attrs as OpAttrs["logSoftmax"];
      const shifted = sub(x!, max(x!, axis, true));
      return sub(shifted, log(sum(exp(shifted), axis, true)));
    }
    case "layerNorm": {
      const { eps } = node.attrs as OpAttrs["layerNorm"];
      const centered = sub(x!, mean(x!, -1, true));
      const variance = mean(mul(centered, centered), -1, true);
      return add(mul(div(centered, sqrt(add(variance, eps))), y!), z!);
    }
    case "gelu": {
      const { approximate } = node.attrs as OpAttrs["gelu"];
      if (approximate === "tanh") {
        const inner = mul(add(x!, mul(mul(mul(x!, x!), x!), 0.044715)), Math.sqrt(2 / Math.PI));
        return mul(mul(x!, 0.5), add(tanh(inner), 1));
      }
      return mul(mul(x!, 0.5), add(erf(mul(x!, Math.SQRT1_2)), 1));
    }
    case "attention": {
      const { scale } = node.attrs as OpAttrs["attention"];
      const scores = add(mul(matmul(x!, y!, { transposeB: true }), scale), w!);
      const e = exp(sub(scores, max(scores, -1, true)));
      return matmul(div(e, sum(e, -1, true)), z!);
    }
    case "crossEntropy": {
      const { ignoreIndex } = node.attrs as OpAttrs["crossEntropy"];
      const c = x!.shape[1]!;
      const shifted = sub(x!, max(x!, 1, true));
      const logp = sub(shifted, log(sum(exp(shifted), 1, true)));
      const valid = sub(1, cast(equal(y!, ignoreIndex), "float32")); // [N]
      const picked = sum(mul(oneHot(y!, c), logp), 1); // [N]
      const total = neg(sum(mul(picked, valid)));
      return div(total, maximum(sum(valid), 1));
    }
    case "linearCrossEntropy":
      return decomposeLinearCrossEntropy(node, inputs);
    default:
      throw new TunekitError("GRAPH_INVALID", `op ${node.op} is not a composite`);
  }
}
