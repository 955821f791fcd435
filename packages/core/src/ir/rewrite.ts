import { decomposeComposite } from "./composites.js";
import { Graph, type Tensor } from "./graph.js";
import { COMPOSITE_OPS, type OpName } from "./op-attrs.js";

/**
 * Copies the live part of `graph` into a new graph, expanding every composite op not in
 * `keep` into primitives. Inputs, parameters and outputs keep their names; the returned
 * `map` takes old node ids to tensors of the new graph.
 *
 * @example
 * ```ts
 * const { graph: flat } = expandComposites(g, new Set(["layerNorm"])); // keep fused layerNorm
 * ```
 */
export function expandComposites(
  graph: Graph,
  keep: ReadonlySet<OpName> = new Set(),
): { graph: Graph; map: Map<number, Tensor> } {
  const out = new Graph();
  const map = new Map<number, Tensor>();
  const composite = new Set<OpName>(COMPOSITE_OPS);
  const inputNames = new Map([...graph.inputs].map(([n, id]) => [id, n]));
  for (const id of graph.liveNodes()) {
    const node = graph.nodes[id]!;
    const ins = node.inputs.map((i) => map.get(i)!);
    let t: Tensor;
    if (node.op === "input") t = out.input(inputNames.get(id)!, node.dtype, node.shape);
    else if (node.op === "param") {
      const name = (node.attrs as { name: string }).name;
      t = out.param(graph.parameters.get(name)!);
    } else if (composite.has(node.op) && !keep.has(node.op)) t = decomposeComposite(node, ins);
    else t = out.addNode(node.op, ins, node.attrs as never, { shape: node.shape, dtype: node.dtype });
    map.set(id, t);
  }
  for (const [name, id] of graph.outputs) out.output(name, map.get(id)!);
  return { graph: out, map };
}
