import { type ForwardContext, type Tensor, TunekitError } from "@tunekit/core";
import { add, cast, equal, mul, reshape } from "@tunekit/core/ir";
import { EVAL_CONTEXT } from "@tunekit/core/models";
import { resolveTaskIds } from "../hyperformer/row-adapters.js";

const OWNER = {
  model: "task-adapters model",
  oneTask: "export one task's adapter with saveTaskAdapter (or taskAdapterModel) and run that",
} as const;

/**
 * The int32 `[B]` task ids a task-adapter layer routes by: `ctx.batch.task_ids` (checked),
 * or task 0 for every row when the model has one task and the batch carries none.
 *
 * @example
 * ```ts
 * const ids = taskIdsOf(ctx, x, ["sst2", "rte"]); // [B]
 * ```
 */
export function taskIdsOf(ctx: ForwardContext | undefined, x: Tensor, tasks: readonly string[]): Tensor {
  if (x.rank < 2) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `a task adapter reads [batch, ..., features] activations, got [${x.shape.join(", ")}]`,
    );
  }
  return resolveTaskIds(ctx ?? EVAL_CONTEXT, x.shape[0]!, tasks, x.graph, OWNER);
}

/**
 * `Σ_t mask_t ⊙ delta_t`: each batch row keeps the delta of its own task (`mask_t` is 1 on
 * the rows whose task id is `t`, broadcast over the other axes) and gets exactly 0 from the
 * others, so a row's result is bit-for-bit its task's delta, and a task with no rows in the
 * batch gets exactly zero gradient. `deltas[t]` is task `t`'s delta (`[B, ...]`); one task
 * skips the masks.
 *
 * @example
 * ```ts
 * const delta = routedSum(taskIds, tasks.map((t) => adapters.get(t)!.delta(y))); // [B, S, H]
 * ```
 */
export function routedSum(taskIds: Tensor, deltas: readonly Tensor[]): Tensor {
  const first = deltas[0];
  if (first === undefined) {
    throw new TunekitError("INVALID_ARGUMENT", "routedSum: expected one delta per task, got none");
  }
  if (deltas.length === 1) return first;
  const b = first.shape[0]!;
  const maskShape = [b, ...first.shape.slice(1).map(() => 1)];
  let sum: Tensor | undefined;
  deltas.forEach((d, t) => {
    const mask = reshape(cast(equal(taskIds, t), "float32"), maskShape);
    const term = mul(mask, d);
    sum = sum === undefined ? term : add(sum, term);
  });
  return sum!;
}
