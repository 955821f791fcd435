import { type ForwardContext, type Tensor, TunekitError } from "@tunekit/core";
import { full, type Graph } from "@tunekit/core/ir";
import type { AdapterNonLinearity } from "../adapters/bottleneck-adapter.js";
import type { GeneratedAdapter } from "./adapter-generators.js";

/**
 * What a {@link HyperFormerEncoder} hands its sites for one forward pass: each batch row's
 * generated adapter at a (layer, position) (tensors with a leading batch axis `[B, ...]`),
 * the non-linearity φ and the eps of the conditional LayerNorm.
 *
 * @example
 * ```ts
 * const rows = rowAdaptersOf(ctx, "bert.encoder.layer.0.output");
 * rows.adapter(0, 1).upWeight; // [B, d, r]
 * ```
 */
export interface RowAdapters {
  readonly adapter: (layer: number, position: number) => GeneratedAdapter;
  readonly nonLinearity: AdapterNonLinearity;
  readonly layerNormEps: number;
}

// Keyed by the forward's context object: the encoder sets it before running its layers and
// removes it after, so the sites below it read the adapters of the same forward pass (the
// context is not copied, which keeps dropout's per-context site counter intact).
const active = new WeakMap<ForwardContext, RowAdapters>();

/**
 * Makes `rows` visible to the HyperFormer sites run with `ctx` (the encoder's job).
 *
 * @example
 * ```ts
 * setRowAdapters(ctx, rows);
 * try { runLayers(); } finally { clearRowAdapters(ctx); }
 * ```
 */
export function setRowAdapters(ctx: ForwardContext, rows: RowAdapters): void {
  active.set(ctx, rows);
}

/**
 * Removes what {@link setRowAdapters} set.
 *
 * @example
 * ```ts
 * clearRowAdapters(ctx);
 * ```
 */
export function clearRowAdapters(ctx: ForwardContext): void {
  active.delete(ctx);
}

/**
 * The row adapters of the running forward pass; throws when the site runs outside a
 * {@link HyperFormerEncoder} forward.
 *
 * @example
 * ```ts
 * const w = rowAdaptersOf(ctx, this.constructor.name).adapter(layer, position);
 * ```
 */
export function rowAdaptersOf(ctx: ForwardContext, where: string): RowAdapters {
  const rows = active.get(ctx);
  if (!rows) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${where}: a HyperFormer adapter site ran outside its encoder's forward, so no generated adapters were available; run the whole model (or its bert.encoder), not a single layer`,
    );
  }
  return rows;
}

/**
 * The int32 `[B]` task ids of a forward pass: `ctx.batch.task_ids`, checked; with no
 * `task_ids` feed and exactly one task, task 0 for every row. `owner` names the model in the
 * error and the way to run one task without `task_ids` (default: HyperFormer's).
 *
 * @example
 * ```ts
 * const ids = resolveTaskIds(ctx, 8, ["sst2", "mrpc"], graph); // ctx.batch.task_ids
 * ```
 */
export function resolveTaskIds(
  ctx: ForwardContext,
  batchSize: number,
  tasks: readonly string[],
  graph: Graph,
  owner: { readonly model: string; readonly oneTask: string } = {
    model: "HyperFormer model",
    oneTask: "export one task's adapters with exportHyperFormerTaskAdapter",
  },
): Tensor {
  const ids = ctx.batch?.task_ids;
  if (ids === undefined) {
    if (tasks.length === 1) return full(graph, [batchSize], 0, "int32");
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `this ${owner.model} serves ${tasks.length} tasks [${tasks.join(", ")}] and needs a task_ids input (int32 [batch], each row's index into that list), but the batch has ${ctx.batch ? `only [${Object.keys(ctx.batch).join(", ")}]` : "no inputs in ctx.batch"}; add task_ids to the batch (the multi-task trainer does), or ${owner.oneTask}`,
    );
  }
  if (ids.dtype !== "int32" || ids.rank !== 1 || ids.shape[0] !== batchSize) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `task_ids must be int32 [${batchSize}] (one task index per batch row), got ${ids.dtype} [${ids.shape.join(", ")}]`,
    );
  }
  return ids;
}
