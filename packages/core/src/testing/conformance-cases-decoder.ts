import type { Graph, Tensor } from "../ir/graph.js";
import { mul, sum } from "../ir/ops.js";
import { causalLmLoss } from "../models/llama/causal-lm-loss.js";
import {
  applyRotary,
  causalMaskBias,
  groupedQueryAttention,
  rmsNorm,
  silu,
} from "../models/llama/decoder-ops.js";
import type { DType } from "../tensor/host-tensor.js";
import type { ConformanceCase, FeedSpec, VjpConformanceCase } from "./conformance-case.js";

// The decoder's building blocks (RMSNorm, SiLU, rotary embeddings, grouped-query attention
// under a causal + padding mask, the shifted causal-LM loss) are written with primitive ops,
// so no backend needs a kernel for them; these cases check that every backend runs the
// patterns they produce (and their gradients) as the float64 reference does.

const inp = (g: Graph, name: string, shape: number[], dtype: DType = "float32"): Tensor =>
  g.input(name, dtype, shape);

/** `sum(y · ct)` with a random cotangent input `ct`: a scalar loss whose gradient is a full VJP. */
function weighted(y: Tensor): Tensor {
  return sum(mul(y, y.graph.input("ct", "float32", y.shape)));
}

/** Right padding of a [2, 5] batch: row 0 is full, row 1 has 3 tokens. */
const PADDING_MASK: FeedSpec = { values: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0] };
/** Causal-LM labels of that batch: -100 on a 1-token prompt and on padding. */
const LM_LABELS: FeedSpec = { values: [-100, 3, 0, 5, 2, -100, 6, 1, -100, -100] };

function gqa(g: Graph): { y: Tensor; wrt: Tensor[] } {
  const q = inp(g, "q", [2, 4, 5, 4]);
  const k = inp(g, "k", [2, 2, 5, 4]);
  const v = inp(g, "v", [2, 2, 5, 4]);
  const bias = causalMaskBias(g, 5, inp(g, "mask", [2, 5], "int32"));
  return { y: groupedQueryAttention(applyRotary(q, 100), applyRotary(k, 100), v, bias, 0.5), wrt: [q, k, v] };
}

/**
 * Forward conformance cases of the decoder blocks (names `decoder/...`).
 *
 * @example
 * ```ts
 * DECODER_CASES.map((c) => c.name); // ["decoder/rmsNorm", "decoder/silu/wide-range", ...]
 * ```
 */
export const DECODER_CASES: readonly ConformanceCase[] = [
  {
    name: "decoder/rmsNorm",
    feeds: { x: { range: [-3, 3] } },
    build: (g) => ({ y: rmsNorm(inp(g, "x", [2, 3, 8]), inp(g, "w", [8]), 1e-6) }),
  },
  {
    // tanh saturates on both sides: silu(-30) ≈ -3e-12, silu(30) = 30
    name: "decoder/silu/wide-range",
    feeds: { x: { range: [-30, 30] } },
    build: (g) => ({ y: silu(inp(g, "x", [4, 6])) }),
  },
  {
    name: "decoder/rotary",
    build: (g) => ({ y: applyRotary(inp(g, "x", [2, 3, 7, 6]), 10000) }),
  },
  {
    name: "decoder/gqa-causal-padding",
    feeds: { mask: PADDING_MASK },
    build: (g) => ({ y: gqa(g).y }),
  },
  {
    name: "decoder/causal-lm-loss",
    feeds: { labels: LM_LABELS, logits: { range: [-3, 3] } },
    build: (g) => ({ loss: causalLmLoss(inp(g, "logits", [2, 5, 7]), inp(g, "labels", [2, 5], "int32")) }),
  },
];

/**
 * VJP conformance cases of the decoder blocks (names `vjp/decoder/...`).
 *
 * @example
 * ```ts
 * DECODER_VJP_CASES.find((c) => c.name === "vjp/decoder/gqa-causal-padding");
 * ```
 */
export const DECODER_VJP_CASES: readonly VjpConformanceCase[] = [
  {
    name: "vjp/decoder/rmsNorm",
    feeds: { x: { range: [-3, 3] } },
    build: (g) => {
      const x = inp(g, "x", [2, 3, 8]);
      const w = inp(g, "w", [8]);
      return { loss: weighted(rmsNorm(x, w, 1e-6)), wrt: [x, w] };
    },
  },
  {
    name: "vjp/decoder/silu",
    feeds: { x: { range: [-8, 8] } },
    build: (g) => {
      const x = inp(g, "x", [4, 6]);
      return { loss: weighted(silu(x)), wrt: [x] };
    },
  },
  {
    name: "vjp/decoder/gqa-causal-padding",
    feeds: { mask: PADDING_MASK },
    build: (g) => {
      const { y, wrt } = gqa(g);
      return { loss: weighted(y), wrt };
    },
  },
  {
    name: "vjp/decoder/causal-lm-loss",
    feeds: { labels: LM_LABELS, logits: { range: [-3, 3] } },
    build: (g) => {
      const logits = inp(g, "logits", [2, 5, 7]);
      return { loss: causalLmLoss(logits, inp(g, "labels", [2, 5], "int32")), wrt: [logits] };
    },
  },
];
