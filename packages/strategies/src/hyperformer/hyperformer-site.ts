import { type ForwardContext, Module, type Tensor, TunekitError } from "@tunekit/core";
import { add, full, layerNorm, matmul, mul, reshape } from "@tunekit/core/ir";
import { applyActivation, EVAL_CONTEXT, type Layer } from "@tunekit/core/models";
import type { AdapterNonLinearity } from "../adapters/bottleneck-adapter.js";
import type { GeneratedAdapter } from "./adapter-generators.js";
import { rowAdaptersOf } from "./row-adapters.js";

/**
 * Applies per-row generated adapters: `y + LN_τ(U·φ(D·y + b_D) + b_U)` for `y [B, S, d]`
 * and `w` with a leading batch axis (`D [B, r, d]`, `U [B, d, r]`, ...), where `LN_τ`
 * normalises over `d` and scales / shifts with the generated `γ`, `β`. Batched matmuls, so
 * every row can use another task's adapter.
 *
 * @example
 * ```ts
 * const adapted = applyGeneratedAdapter(y, gatherAdapter(perTask, taskIds), "relu", 1e-5);
 * ```
 */
export function applyGeneratedAdapter(
  y: Tensor,
  w: GeneratedAdapter,
  nonLinearity: AdapterNonLinearity,
  eps: number,
): Tensor {
  if (y.rank !== 3) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `a HyperFormer adapter reads [batch, seq, hidden] activations, got [${y.shape.join(", ")}]`,
    );
  }
  const [b, , d] = y.shape as [number, number, number];
  const r = w.downBias.shape[1]!;
  const row = (t: Tensor, n: number): Tensor => reshape(t, [b, 1, n]);
  const down = add(matmul(y, w.downWeight, { transposeB: true }), row(w.downBias, r));
  const act = applyActivation(down, nonLinearity === "swish" ? "silu" : nonLinearity);
  const up = add(matmul(act, w.upWeight, { transposeB: true }), row(w.upBias, d));
  const g = y.graph;
  const normed = layerNorm(up, full(g, [d], 1), full(g, [d], 0), eps);
  return add(y, add(mul(normed, row(w.lnWeight, d)), row(w.lnBias, d)));
}

/**
 * A BERT output block (`attention.output` or `output`: `dense` → `dropout` →
 * `LayerNorm(· + residual)`) with a HyperFormer adapter: with `y = dropout(dense(h))` it
 * returns `LayerNorm(A(y) + residual)`, `A(y) = y + LN_τ(U·φ(D·y + b_D) + b_U)`, where each
 * batch row's `U, D, b_U, b_D, γ, β` were generated for its task by the enclosing
 * {@link HyperFormerEncoder}'s hypernetwork (the same placement as {@link AdapterSite}). Keeps
 * the replaced block's children, so base parameters keep their Hugging Face paths; holds no
 * parameters of its own.
 *
 * @example
 * ```ts
 * HyperFormerSite.wrap(model, "bert.encoder.layer.0.output", 0, 1);
 * ```
 */
export class HyperFormerSite extends Module {
  /** Layer index `l` of the layer-id embedding. */
  readonly layerIndex: number;
  /** Position id (0 attention, 1 feed-forward). */
  readonly position: number;

  private constructor(replaced: Module, layerIndex: number, position: number) {
    super();
    this.layerIndex = layerIndex;
    this.position = position;
    for (const [name, child] of replaced.namedChildren()) this.registerModule(name, child);
  }

  /** Replaces the output block at `path` of `model` (in place) by a site; returns it. */
  static wrap(model: Module, path: string, layerIndex: number, position: number): HyperFormerSite {
    const current = model.getSubmodule(path);
    if (current instanceof HyperFormerSite) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `"${path}" already holds a HyperFormer adapter; apply a HyperFormer strategy once (add tasks with addHyperFormerTask)`,
      );
    }
    const names = current.namedChildren().map(([n]) => n);
    if (!["dense", "LayerNorm", "dropout"].every((n) => names.includes(n)) || names.length !== 3) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `cannot add a HyperFormer adapter at "${path}": expected a plain BERT output block with dense, LayerNorm and dropout, found ${current.constructor.name} with children [${names.join(", ")}] (HyperFormer does not combine with other adapters at the same site)`,
      );
    }
    const site = new HyperFormerSite(current, layerIndex, position);
    model.setSubmodule(path, site);
    return site;
  }

  forward(h: Tensor, residual: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const y = this.child<Layer>("dropout").forward(this.child<Layer>("dense").forward(h, ctx), ctx);
    const rows = rowAdaptersOf(ctx, `HyperFormerSite(layer ${this.layerIndex}, position ${this.position})`);
    const adapted = applyGeneratedAdapter(
      y,
      rows.adapter(this.layerIndex, this.position),
      rows.nonLinearity,
      rows.layerNormEps,
    );
    return this.child<Layer>("LayerNorm").forward(add(adapted, residual), ctx);
  }
}
