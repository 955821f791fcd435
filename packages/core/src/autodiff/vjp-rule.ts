import type { Node, Tensor } from "../ir/graph.js";
import type { OpName } from "../ir/op-attrs.js";
import { reshape, sum } from "../ir/ops.js";

/**
 * What a VJP rule receives: the forward node, handles on its inputs and output, the
 * cotangent of the output (same shape as the output) and which inputs need a gradient.
 *
 * @example
 * ```ts
 * const rule: VjpRule<"neg"> = ({ cotangent, needs }) => [needs[0] ? neg(cotangent) : undefined];
 * ```
 */
export interface VjpContext<K extends OpName = OpName> {
  /** The forward node being differentiated. */
  readonly node: Node<K>;
  /** Tensors of the forward node's inputs, in order. */
  readonly inputs: readonly Tensor[];
  /** Tensor of the forward node's output (reuse it instead of recomputing). */
  readonly output: Tensor;
  /** Cotangent of the output: same shape and dtype as `output`. */
  readonly cotangent: Tensor;
  /**
   * `needs[i]` is true when input `i` lies on a path to a `wrt` tensor. A rule must not
   * build gradient nodes for inputs whose `needs` entry is false.
   */
  readonly needs: readonly boolean[];
}

/**
 * A vector-Jacobian product rule: given the cotangent of a node's output, returns one
 * cotangent per input (same shape as that input), or `undefined` for inputs that need no
 * gradient (`needs[i]` false) or that are not differentiable (int indices, bool masks).
 *
 * @example
 * ```ts
 * const expRule: VjpRule<"exp"> = ({ output, cotangent, needs }) => [
 *   needs[0] ? mul(cotangent, output) : undefined,
 * ];
 * ```
 */
export type VjpRule<K extends OpName = OpName> = (ctx: VjpContext<K>) => readonly (Tensor | undefined)[];

/**
 * A table of VJP rules keyed by op name.
 *
 * @example
 * ```ts
 * const rules: VjpRuleTable = { neg: ({ cotangent }) => [neg(cotangent)] };
 * ```
 */
export type VjpRuleTable = { [K in OpName]?: VjpRule<K> };

/**
 * Reduces a cotangent of a broadcast result back to `shape`: sums over the leading axes
 * that broadcasting added and over the axes where `shape` had size 1, then reshapes.
 * Returns `g` itself when nothing was broadcast.
 *
 * @example
 * ```ts
 * const dBias = unbroadcast(g, [hidden]); // g: [batch, seq, hidden]
 * ```
 */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  const summed = axes.length > 0 ? sum(g, axes, false) : g;
  return reshape(summed, shape);
}

/**
 * Shape of a reduction's result with `keepDims: true` (reduced axes set to 1).
 *
 * @example
 * ```ts
 * keptShape([2, 3, 4], [1]); // [2, 1, 4]
 * ```
 */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  const set = new Set(axes);
  return shape.map((d, i) => (set.has(i) ? 1 : d));
}

/** `fn()` when `need` is true, else `undefined`: keeps rules from building unused nodes. */
export function when(need: boolean | undefined, fn: () => Tensor): Tensor | undefined {
  return need ? fn() : undefined;
}
