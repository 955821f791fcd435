import { chunkBounds } from "@tunekit/core/ir";
import { attrFloat, attrInt, type OnnxGraphBuilder } from "./onnx-builder.js";
import { castTo, type LowerOptions, type LowerRules, transposeLastTwo } from "./lower-context.js";
import { OnnxDataType } from "./onnx-model.js";

/**
 * Lowering of matrix products and the composite ops (fused where ONNX has the op).
 *
 * - `matmul`: plain → `MatMul`; with transposes on two rank-2 operands → `Gemm(transA, transB)`;
 *   otherwise `Transpose` of the last two axes + `MatMul` (ORT folds these into `FusedMatMul`)
 * - `softmax` → `Softmax(axis)`, `logSoftmax` → `LogSoftmax(axis)` (opset-13 single-axis semantics;
 *   for the WebGPU provider, which lacks it, `x − max − log Σ exp(x − max)`: see `emitLogSoftmax`)
 * - `layerNorm` → `LayerNormalization(axis=-1, epsilon)` (opset 17)
 * - `gelu` → `x · 0.5 · (1 + Erf(x / √2))` (the pattern ORT's Gelu fusion recognises);
 *   tanh form → `x · 0.5 · (1 + Tanh(√(2/π) · (x + 0.044715 x³)))`
 * - `attention` → `Softmax(MatMul(q, kᵀ) · scale + bias) · v`
 * - `crossEntropy` → `LogSoftmax` + `GatherElements` at the label, masked mean over
 *   non-ignored rows (0 when all are ignored, unlike `SoftmaxCrossEntropyLoss`, which gives NaN)
 * - `linearCrossEntropy` → the rows in chunks (one `Split` for a trainable weight; `Slice`s shared
 *   with the gradient's for a frozen one), per chunk `Gemm(h_c, W, transB)` and the `crossEntropy`
 *   lowering's masked sum; one division by the count of valid rows at the end
 *
 * @example
 * ```ts
 * const name = NN_RULES.matmul!(ctx);
 * ```
 */
export const NN_RULES: LowerRules = {
  matmul: (c) => {
    const { transposeA, transposeB } = c.node.attrs;
    const [a, b] = c.ins as [string, string];
    if (!transposeA && !transposeB) return c.b.node("MatMul", [a, b]);
    const ra = c.inNodes[0]!.shape.length;
    const rb = c.inNodes[1]!.shape.length;
    if (ra === 2 && rb === 2) {
      return c.b.node(
        "Gemm",
        [a, b],
        [attrInt("transA", transposeA ? 1 : 0), attrInt("transB", transposeB ? 1 : 0)],
      );
    }
    const ta = transposeA ? transposeLastTwo(c.b, a, ra) : a;
    const tb = transposeB ? transposeLastTwo(c.b, b, rb) : b;
    return c.b.node("MatMul", [ta, tb]);
  },
  softmax: (c) => c.b.node("Softmax", c.ins, [attrInt("axis", c.node.attrs.axis)]),
  logSoftmax: (c) => emitLogSoftmax(c.b, c.ins[0]!, c.node.attrs.axis, c.options.provider),
  layerNorm: (c) =>
    c.b.node("LayerNormalization", c.ins, [attrInt("axis", -1), attrFloat("epsilon", c.node.attrs.eps)]),
  gelu: (c) => {
    const { b } = c;
    const x = c.ins[0]!;
    if (c.node.attrs.approximate === "tanh") {
      const cube = b.node("Mul", [b.node("Mul", [x, x]), x]);
      const inner = b.node("Add", [x, b.node("Mul", [cube, b.scalar("float32", 0.044715)])]);
      const t = b.node("Tanh", [b.node("Mul", [inner, b.scalar("float32", Math.sqrt(2 / Math.PI))])]);
      const onePlus = b.node("Add", [t, b.scalar("float32", 1)]);
      return b.node("Mul", [b.node("Mul", [x, b.scalar("float32", 0.5)]), onePlus]);
    }
    const e = b.node("Erf", [b.node("Div", [x, b.scalar("float32", Math.SQRT2)])]);
    const onePlus = b.node("Add", [e, b.scalar("float32", 1)]);
    return b.node("Mul", [b.node("Mul", [x, onePlus]), b.scalar("float32", 0.5)]);
  },
  attention: (c) => {
    const { b } = c;
    const [q, k, v, bias] = c.ins as [string, string, string, string];
    const scores = b.node("MatMul", [q, transposeLastTwo(b, k, 4)]);
    const scaled = b.node("Add", [b.node("Mul", [scores, b.scalar("float32", c.node.attrs.scale)]), bias]);
    return b.node("MatMul", [b.node("Softmax", [scaled], [attrInt("axis", -1)]), v]);
  },
  crossEntropy: (c) => {
    const { b } = c;
    const [logits, labels] = c.ins as [string, string];
    const [n, classes] = c.inNodes[0]!.shape as [number, number];
    const total = b.node("Neg", [
      pickedLogProbSum(b, logits, labels, n, classes, c.node.attrs.ignoreIndex, c.options.provider),
    ]);
    const kept = b.node("Not", [b.node("Equal", [labels, b.scalar("int32", c.node.attrs.ignoreIndex)])]);
    const count = b.node("ReduceSum", [castTo(b, kept, "float32"), b.int64s([0])], [attrInt("keepdims", 0)]);
    return b.node("Div", [total, b.node("Max", [count, b.scalar("float32", 1)])]);
  },
  linearCrossEntropy: (c) => {
    const { b } = c;
    const [hidden, weight, labels] = c.ins as [string, string, string];
    const [n] = c.inNodes[0]!.shape as [number, number];
    const vocab = c.inNodes[1]!.shape[0]!;
    const bounds = chunkBounds(n, c.node.attrs.chunkRows);
    // The gradient (core's VJP) slices the same rows and recomputes the same products, and
    // onnxruntime's common-subexpression elimination merges identical Slice → Gemm pairs. With
    // a trainable weight the chunks come from one Split, so nothing is merged and every chunk's
    // logits are freed after the forward uses them (the least memory: the gradient recomputes
    // them). With a frozen weight (LoRA and other adapters) they come from the same Slices as
    // the gradient's, so the products are shared and computed once: faster, and each chunk's
    // gradient can follow its forward at once (a SmolLM2-135M-shaped LoRA step, three
    // alternating pairs: 1.12–1.15 s and 1,707–1,711 MB peak RSS against 1.24–1.25 s and
    // 1,603–1,621 MB with the Split; 1.12–1.18 s and 1,859–1,864 MB from the whole logits).
    const shared = c.bound?.has(c.node.inputs[1]!) === true;
    const split = (x: string) =>
      bounds.length === 1
        ? [x]
        : shared
          ? bounds.map(([start, rows]) =>
              b.node("Slice", [x, b.int64s([start]), b.int64s([start + rows]), b.int64s([0])]),
            )
          : b.nodeMulti("Split", [x, b.int64s(bounds.map(([, rows]) => rows))], bounds.length, [
              attrInt("axis", 0),
            ]);
    const hs = split(hidden);
    const ys = split(labels);
    let total: string | undefined;
    hs.forEach((hc, i) => {
      const logits = b.node("Gemm", [hc, weight], [attrInt("transA", 0), attrInt("transB", 1)]);
      const part = pickedLogProbSum(
        b,
        logits,
        ys[i]!,
        bounds[i]![1],
        vocab,
        c.node.attrs.ignoreIndex,
        c.options.provider,
      );
      total = total === undefined ? part : b.node("Add", [total, part]);
    });
    const kept = b.node("Not", [b.node("Equal", [labels, b.scalar("int32", c.node.attrs.ignoreIndex)])]);
    const count = b.node("ReduceSum", [castTo(b, kept, "float32"), b.int64s([0])], [attrInt("keepdims", 0)]);
    return b.node("Div", [b.node("Neg", [total!]), b.node("Max", [count, b.scalar("float32", 1)])]);
  },
};

/**
 * `log softmax(x)` along `axis`: ONNX `LogSoftmax`, or for the WebGPU provider (which has no
 * `LogSoftmax` kernel) `x − max − log Σ exp(x − max)` from ops it has.
 *
 * @example
 * ```ts
 * const logp = emitLogSoftmax(b, logits, 1, "webgpu");
 * ```
 */
export function emitLogSoftmax(
  b: OnnxGraphBuilder,
  x: string,
  axis: number,
  provider: LowerOptions["provider"],
): string {
  if (provider !== "webgpu") return b.node("LogSoftmax", [x], [attrInt("axis", axis)]);
  const axes = b.int64s([axis]);
  const shifted = b.node("Sub", [x, b.node("ReduceMax", [x, axes], [attrInt("keepdims", 1)])]);
  const logSum = b.node("Log", [
    b.node("ReduceSum", [b.node("Exp", [shifted]), axes], [attrInt("keepdims", 1)]),
  ]);
  return b.node("Sub", [shifted, logSum]);
}

/**
 * `Σ log p(label)` over the rows of `logits [rows, classes]` whose label is not `ignoreIndex`
 * (a label outside `[0, classes)` picks 0 but still counts, as `crossEntropy` does).
 */
function pickedLogProbSum(
  b: OnnxGraphBuilder,
  logits: string,
  labels: string,
  rows: number,
  classes: number,
  ignoreIndex: number,
  provider: LowerOptions["provider"],
): string {
  const logp = emitLogSoftmax(b, logits, 1, provider);
  const kept = b.node("Not", [b.node("Equal", [labels, b.scalar("int32", ignoreIndex)])]);
  const inRange = b.node("And", [
    b.node("GreaterOrEqual", [labels, b.scalar("int32", 0)]),
    b.node("Less", [labels, b.scalar("int32", classes)]),
  ]);
  const picks = b.node("And", [kept, inRange]);
  const safe = b.node("Where", [picks, labels, b.scalar("int32", 0)]);
  // Unsqueezed before the int64 cast: WebGPU has no int64 Unsqueeze (it would run on the CPU).
  const col = b.node(
    "Cast",
    [b.node("Unsqueeze", [safe, b.int64s([1])])],
    [attrInt("to", OnnxDataType.INT64)],
  );
  const picked = b.node("Reshape", [
    b.node("GatherElements", [logp, col], [attrInt("axis", 1)]),
    b.int64s([rows]),
  ]);
  const masked = b.node("Where", [picks, picked, b.scalar("float32", 0)]);
  return b.node("ReduceSum", [masked, b.int64s([0])], [attrInt("keepdims", 0)]);
}
