import type { Graph, Node } from "@tunekit/core/ir";
import { attrInt, attrString, type OnnxGraphBuilder } from "./onnx-builder.js";
import { OnnxDataType } from "./onnx-model.js";

/**
 * Matrix products whose only use is a bias add, found before lowering: `add(matmul(a, b), c)`
 * with rank-2 operands becomes one `Gemm(a, b, c, transA, transB)` (no separate pass over the
 * `[M, N]` product). `adds` maps each fused add to its matmul; `matmuls` holds the matmuls
 * that are emitted inside their add instead of on their own.
 *
 * @example
 * ```ts
 * const plan = planGemmBias(graph, live, outputIds);
 * if (plan.matmuls.has(id)) continue; // lowered with its add
 * ```
 */
export interface GemmBiasPlan {
  readonly adds: ReadonlyMap<number, { readonly matmul: number; readonly bias: number }>;
  readonly matmuls: ReadonlySet<number>;
}

/** How many live nodes (and requested outputs) use each node. */
function useCounts(graph: Graph, live: readonly number[], outputIds: readonly number[]): Map<number, number> {
  const uses = new Map<number, number>();
  for (const id of live) for (const i of graph.nodes[id]!.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const id of outputIds) uses.set(id, (uses.get(id) ?? 0) + 1);
  return uses;
}

/** `c` broadcasts one way to `[m, n]` (what `Gemm`'s C accepts). */
function gemmBroadcastable(c: readonly number[], m: number, n: number): boolean {
  if (c.length === 0 || c.length > 2) return false;
  const [rows, cols] = c.length === 1 ? [1, c[0]!] : [c[0]!, c[1]!];
  return (rows === 1 || rows === m) && (cols === 1 || cols === n);
}

/**
 * Plans the `Gemm` + bias fusions of the live nodes (see {@link GemmBiasPlan}). A matmul is
 * fused only when the add is its single use and it is not itself a requested output; adds in
 * `skipAdds` (already fused otherwise) are left alone.
 *
 * @example
 * ```ts
 * const plan = planGemmBias(graph, graph.liveNodes(outputIds), outputIds);
 * ```
 */
export function planGemmBias(
  graph: Graph,
  live: readonly number[],
  outputIds: readonly number[],
  skipAdds: ReadonlySet<number> = new Set(),
): GemmBiasPlan {
  const uses = useCounts(graph, live, outputIds);
  const adds = new Map<number, { matmul: number; bias: number }>();
  const matmuls = new Set<number>();
  for (const id of live) {
    const node = graph.nodes[id]!;
    if (node.op !== "add" || node.dtype !== "float32" || node.shape.length !== 2 || skipAdds.has(id))
      continue;
    const [m, n] = node.shape as [number, number];
    for (const k of [0, 1]) {
      const mm = graph.nodes[node.inputs[k]!]! as Node;
      const bias = graph.nodes[node.inputs[1 - k]!]!;
      if (mm.op !== "matmul" || matmuls.has(mm.id) || uses.get(mm.id) !== 1) continue;
      const [a, b] = mm.inputs.map((i) => graph.nodes[i]!);
      if (a!.shape.length !== 2 || b!.shape.length !== 2) continue;
      if (mm.shape[0] !== m || mm.shape[1] !== n || !gemmBroadcastable(bias.shape, m, n)) continue;
      adds.set(id, { matmul: mm.id, bias: bias.id });
      matmuls.add(mm.id);
      break;
    }
  }
  return { adds, matmuls };
}

/**
 * Emits `Gemm(a, b, c)` for a planned matmul + bias add.
 *
 * @example
 * ```ts
 * const y = emitGemmBias(b, matmulNode, a, w, bias);
 * ```
 */
export function emitGemmBias(b: OnnxGraphBuilder, matmul: Node, a: string, w: string, bias: string): string {
  const { transposeA, transposeB } = matmul.attrs as { transposeA: boolean; transposeB: boolean };
  return b.node(
    "Gemm",
    [a, w, bias],
    [attrInt("transA", transposeA ? 1 : 0), attrInt("transB", transposeB ? 1 : 0)],
  );
}

/**
 * Cross-entropy gradients found before lowering: `sub(softmax(x, 1), oneHot(labels, C))` on
 * rank-2 `[N, C]` (what the `crossEntropy` VJP builds) becomes `ScatterElements` of `-1` into
 * the softmax at each row's label (`reduction="add"`; rows whose label is out of range, such as
 * ignored `-100` rows, get `0`). No `[N, C]` one-hot (and its boolean mask) is made and no
 * separate subtraction pass runs; onnxruntime can scatter into the softmax's own buffer. Maps
 * each fused sub to its softmax and one-hot nodes; `oneHots` holds the one-hots used only there
 * (not emitted).
 *
 * @example
 * ```ts
 * const plan = planSoftmaxMinusOneHot(graph, live, outputIds);
 * ```
 */
export interface SoftmaxMinusOneHotPlan {
  readonly subs: ReadonlyMap<number, { readonly softmax: number; readonly oneHot: number }>;
  readonly oneHots: ReadonlySet<number>;
}

/**
 * Plans the fusions of {@link SoftmaxMinusOneHotPlan} among the live nodes.
 *
 * @example
 * ```ts
 * const plan = planSoftmaxMinusOneHot(graph, graph.liveNodes(outputIds), outputIds);
 * ```
 */
export function planSoftmaxMinusOneHot(
  graph: Graph,
  live: readonly number[],
  outputIds: readonly number[],
): SoftmaxMinusOneHotPlan {
  const uses = useCounts(graph, live, outputIds);
  const subs = new Map<number, { softmax: number; oneHot: number }>();
  const oneHots = new Set<number>();
  for (const id of live) {
    const node = graph.nodes[id]!;
    if (node.op !== "sub" || node.dtype !== "float32" || node.shape.length !== 2) continue;
    const [sm, oh] = node.inputs.map((i) => graph.nodes[i]!) as [Node, Node];
    const axis = sm.op === "softmax" ? (sm.attrs as { axis: number }).axis : undefined;
    if (axis !== 1 && axis !== -1) continue;
    if (oh.op !== "oneHot" || oh.dtype !== "float32") continue;
    if (sm.shape.join() !== node.shape.join() || oh.shape.join() !== node.shape.join()) continue;
    if (graph.nodes[oh.inputs[0]!]!.shape.length !== 1) continue;
    subs.set(id, { softmax: sm.id, oneHot: oh.id });
    if (uses.get(oh.id) === 1) oneHots.add(oh.id);
  }
  return { subs, oneHots };
}

/**
 * Emits `softmax − oneHot(labels, classes)` for a planned sub: `ScatterElements(softmax,
 * labels, -1, axis=1, reduction="add")`, out-of-range labels scattering `0` at column 0.
 *
 * @example
 * ```ts
 * const grad = emitSoftmaxMinusOneHot(b, softmax, labels, 49152);
 * ```
 */
export function emitSoftmaxMinusOneHot(
  b: OnnxGraphBuilder,
  softmax: string,
  labels: string,
  classes: number,
): string {
  const inRange = b.node("And", [
    b.node("GreaterOrEqual", [labels, b.scalar("int32", 0)]),
    b.node("Less", [labels, b.scalar("int32", classes)]),
  ]);
  // Unsqueezed before the int64 cast: WebGPU has no int64 Unsqueeze (it would run on the CPU).
  const column = b.node(
    "Cast",
    [b.node("Unsqueeze", [b.node("Where", [inRange, labels, b.scalar("int32", 0)]), b.int64s([1])])],
    [attrInt("to", OnnxDataType.INT64)],
  );
  const minusOne = b.node("Unsqueeze", [
    b.node("Where", [inRange, b.scalar("float32", -1), b.scalar("float32", 0)]),
    b.int64s([1]),
  ]);
  return b.node(
    "ScatterElements",
    [softmax, column, minusOne],
    [attrInt("axis", 1), attrString("reduction", "add")],
  );
}

/**
 * Adds of a dense tensor and a `scatterAdd` (a tied embedding's gradient: the head's dense
 * part plus the lookup's scattered rows): `add(x, scatterAdd(i, u))` is lowered as the rows
 * of `x` at `i` plus `u`, written into `x` by one `ScatterND`, instead of scattering into a
 * zero table of `x`'s size and adding two tables (one less table-sized tensor alive, and one
 * pass over it less). `adds` maps each fused add to its scatter and the dense addend;
 * `scatters` holds the scatters emitted inside their add. Only a scatter whose single use is
 * the add (and that is not a requested output) with a same-shape addend is fused.
 *
 * @example
 * ```ts
 * const plan = planScatterAddInto(graph, live, outputIds);
 * if (plan.scatters.has(id)) continue; // lowered with its add
 * ```
 */
export interface ScatterAddIntoPlan {
  readonly adds: ReadonlyMap<number, { readonly scatter: number; readonly base: number }>;
  readonly scatters: ReadonlySet<number>;
}

/**
 * Plans the scatter-into-add fusions of the live nodes (see {@link ScatterAddIntoPlan}).
 *
 * @example
 * ```ts
 * const plan = planScatterAddInto(graph, graph.liveNodes(outputIds), outputIds);
 * ```
 */
export function planScatterAddInto(
  graph: Graph,
  live: readonly number[],
  outputIds: readonly number[],
): ScatterAddIntoPlan {
  const uses = useCounts(graph, live, outputIds);
  const adds = new Map<number, { scatter: number; base: number }>();
  const scatters = new Set<number>();
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  for (const id of live) {
    const node = graph.nodes[id]!;
    if (node.op !== "add" || node.dtype !== "float32") continue;
    for (const k of [0, 1]) {
      const scatter = graph.nodes[node.inputs[k]!]!;
      const base = graph.nodes[node.inputs[1 - k]!]!;
      if (scatter.op !== "scatterAdd" || scatters.has(scatter.id) || uses.get(scatter.id) !== 1) continue;
      if (!same(scatter.shape, node.shape) || !same(base.shape, node.shape) || base.id === scatter.id)
        continue;
      adds.set(id, { scatter: scatter.id, base: base.id });
      scatters.add(scatter.id);
      break;
    }
  }
  return { adds, scatters };
}
