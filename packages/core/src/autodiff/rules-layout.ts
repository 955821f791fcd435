import type { OpAttrs } from "../ir/op-attrs.js";
import {
  broadcastTo,
  cast,
  div,
  equal,
  gather,
  mul,
  pad,
  reshape,
  scatterAdd,
  slice,
  sum,
  transpose,
} from "../ir/ops.js";
import { sizeOf } from "../tensor/host-tensor.js";
import { keptShape, unbroadcast, type VjpRuleTable, when } from "./vjp-rule.js";

/**
 * VJP rules of reductions, layout ops and indexing: `sum`/`mean` broadcast the cotangent
 * back; `max` routes it to the positions equal to the maximum and, on ties, splits it
 * equally among them (the average of the subgradients, like TensorFlow's `reduce_max`);
 * `slice` ↔ `pad`; `concat` → slices; `transpose` → the inverse permutation;
 * `broadcastTo` → sum; `gather` → `scatterAdd` and back.
 *
 * @example
 * ```ts
 * const [dx] = LAYOUT_VJP_RULES.transpose!({ node, inputs, output, cotangent, needs });
 * ```
 */
export const LAYOUT_VJP_RULES: VjpRuleTable = {
  sum: ({ node, inputs: [x], cotangent: g, needs }) => [
    when(needs[0], () => broadcastTo(reshape(g, keptShape(x!.shape, node.attrs.axes)), x!.shape)),
  ],
  mean: ({ node, inputs: [x], cotangent: g, needs }) => [
    when(needs[0], () => {
      const { axes } = node.attrs;
      const count = sizeOf(axes.map((a) => x!.shape[a]!));
      const scaled = mul(reshape(g, keptShape(x!.shape, axes)), 1 / Math.max(count, 1));
      return broadcastTo(scaled, x!.shape);
    }),
  ],
  max: ({ node, inputs: [x], output: y, cotangent: g, needs }) => [
    when(needs[0], () => {
      const kept = keptShape(x!.shape, node.attrs.axes);
      const mask = cast(equal(x!, reshape(y, kept)), "float32");
      const ties = sum(mask, node.attrs.axes, true);
      return mul(mask, div(reshape(g, kept), ties));
    }),
  ],
  reshape: ({ inputs: [x], cotangent: g, needs }) => [when(needs[0], () => reshape(g, x!.shape))],
  transpose: ({ node, cotangent: g, needs }) => [
    when(needs[0], () => {
      const { perm } = node.attrs;
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => {
        inverse[p] = i;
      });
      return transpose(g, inverse);
    }),
  ],
  broadcastTo: ({ inputs: [x], cotangent: g, needs }) => [when(needs[0], () => unbroadcast(g, x!.shape))],
  slice: ({ node, inputs: [x], cotangent: g, needs }) => [
    when(needs[0], () => {
      const { begin, size } = node.attrs;
      return padTo(
        g,
        begin,
        x!.shape.map((d, i) => d - begin[i]! - size[i]!),
      );
    }),
  ],
  pad: ({ node, inputs: [x], cotangent: g, needs }) => [
    when(needs[0], () => slice(g, node.attrs.before, x!.shape)),
  ],
  concat: ({ node, inputs, cotangent: g, needs }) => {
    const { axis } = node.attrs as OpAttrs["concat"];
    let offset = 0;
    return inputs.map((x, i) => {
      const begin = g.shape.map((_, a) => (a === axis ? offset : 0));
      offset += x.shape[axis]!;
      return when(needs[i], () => slice(g, begin, x.shape));
    });
  },
  gather: ({ inputs: [params, indices], cotangent: g, needs }) => [
    when(needs[0], () => scatterAdd(indices!, g, params!.shape)),
    undefined,
  ],
  scatterAdd: ({ inputs: [indices], cotangent: g, needs }) => [
    undefined,
    when(needs[1], () => gather(g, indices!)),
  ],
};

/** `pad` that skips the node when there is nothing to pad. */
function padTo(g: ReturnType<typeof pad>, before: readonly number[], after: readonly number[]) {
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return g;
  return pad(g, before, after);
}
