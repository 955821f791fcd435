import { TunekitError } from "../errors.js";
import type { Node, Tensor } from "../ir/graph.js";
import type { OpName } from "../ir/op-attrs.js";
import { add, full } from "../ir/ops.js";
import { sizeOf } from "../tensor/host-tensor.js";
import { isDifferentiableInput } from "./non-differentiable.js";
import type { VjpRule } from "./vjp-rule.js";
import { VJP_RULES } from "./vjp-rules.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

/**
 * Reverse-mode automatic differentiation on the graph IR. Appends the backward nodes to
 * `loss.graph` and returns one gradient tensor per `wrt` tensor, with that tensor's shape
 * and dtype (a zeros `fill` node when `loss` does not depend on it).
 *
 * `loss` is normally a scalar (seeded with 1). With `cotangent` (same shape as `loss`),
 * `loss` may have any shape and the result is the vector-Jacobian product with it.
 *
 * Only trainable paths are differentiated: cotangents flow only through nodes that depend
 * on some `wrt` tensor, so no gradient nodes are built for frozen weights, int/bool
 * values or anything else off those paths. Several cotangents of one node are summed.
 *
 * @example
 * ```ts
 * const [dW, db] = grad(loss, [w, b]);
 * g.output("grad.w", dW);
 * ```
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], cotangent?: Tensor): Tensor[] {
  const graph = loss.graph;
  const seed = seedOf(loss, cotangent);
  for (const t of wrt) {
    if (t.graph !== graph)
      throw new TunekitError(
        "GRAPH_INVALID",
        `grad: wrt ${t.toString()} belongs to another graph than the loss`,
      );
    if (t.dtype !== "float32")
      throw new TunekitError(
        "GRAD_UNSUPPORTED",
        `grad: cannot differentiate with respect to ${t.toString()}: only float32 tensors have gradients`,
      );
  }

  const n = loss.id + 1;
  const nodes = graph.nodes;
  const wrtIds = new Set(wrt.map((t) => t.id));
  // depends[id]: the node's value changes with some wrt tensor (through differentiable edges).
  const depends = new Uint8Array(n);
  for (let id = 0; id < n; id++) {
    const node = nodes[id]!;
    if (wrtIds.has(id)) depends[id] = 1;
    else if (node.dtype === "float32")
      depends[id] = node.inputs.some((i, k) => depends[i] === 1 && isDifferentiableInput(node.op, k)) ? 1 : 0;
  }

  const cotangents = new Map<number, Tensor>();
  if (depends[loss.id]) cotangents.set(loss.id, seed);
  for (let id = loss.id; id >= 0; id--) {
    const g = cotangents.get(id);
    if (g === undefined) continue;
    const node = nodes[id]!;
    const needs = node.inputs.map((i, k) => depends[i] === 1 && isDifferentiableInput(node.op, k));
    if (!needs.some(Boolean)) continue;
    const rule = VJP_RULES[node.op] as VjpRule<OpName> | undefined;
    if (!rule)
      throw new TunekitError(
        "GRAD_UNSUPPORTED",
        `grad: op ${node.op} (node ${id}) has no VJP rule; add one to VJP_RULES in packages/core/src/autodiff`,
      );
    const grads = rule({
      node,
      inputs: node.inputs.map((i) => graph.tensor(i)),
      output: graph.tensor(id),
      cotangent: g,
      needs,
    });
    node.inputs.forEach((inputId, k) => {
      const gi = grads[k];
      if (!needs[k] || gi === undefined) return;
      checkGradient(node, k, nodes[inputId]!, gi);
      const prev = cotangents.get(inputId);
      cotangents.set(inputId, prev === undefined ? gi : add(prev, gi));
    });
    if (!wrtIds.has(id)) cotangents.delete(id);
  }

  return wrt.map((t) => cotangents.get(t.id) ?? full(graph, t.shape, 0, t.dtype));
}

/**
 * {@link grad} plus the loss itself, for callers that want both in one call.
 *
 * @example
 * ```ts
 * const { value, grads } = valueAndGrad(loss, params);
 * g.output("loss", value);
 * ```
 */
export function valueAndGrad(
  loss: Tensor,
  wrt: readonly Tensor[],
  cotangent?: Tensor,
): { value: Tensor; grads: Tensor[] } {
  return { value: loss, grads: grad(loss, wrt, cotangent) };
}

function seedOf(loss: Tensor, cotangent: Tensor | undefined): Tensor {
  if (loss.dtype !== "float32")
    throw new TunekitError("GRAD_UNSUPPORTED", `grad: the loss ${loss.toString()} must be float32`);
  if (cotangent === undefined) {
    if (sizeOf(loss.shape) !== 1)
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `grad: the loss has shape ${fmt(loss.shape)}; expected a scalar, or pass a cotangent of that shape`,
      );
    return full(loss.graph, loss.shape, 1);
  }
  if (cotangent.graph !== loss.graph)
    throw new TunekitError("GRAPH_INVALID", "grad: the cotangent belongs to another graph than the loss");
  const same =
    cotangent.rank === loss.rank &&
    cotangent.shape.every((d, i) => d === loss.shape[i]) &&
    cotangent.dtype === "float32";
  if (!same)
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `grad: cotangent ${cotangent.toString()} must be float32 with the loss's shape ${fmt(loss.shape)}`,
    );
  return cotangent;
}

function checkGradient(node: Node, k: number, input: Node, gi: Tensor): void {
  const ok = gi.rank === input.shape.length && gi.shape.every((d, i) => d === input.shape[i]);
  if (!ok || gi.dtype !== input.dtype)
    throw new TunekitError(
      "GRAPH_INVALID",
      `grad: the VJP rule of ${node.op} returned ${gi.dtype}${fmt(gi.shape)} for input ${k}, ` +
        `expected ${input.dtype}${fmt(input.shape)} (a bug in the rule)`,
    );
}
