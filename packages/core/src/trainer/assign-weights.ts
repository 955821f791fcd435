import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { TrainerModel } from "./trainer-model.js";

const describe = (t: HostTensor): string => `${t.dtype}[${t.shape.join(", ")}]`;

/**
 * Sets every parameter of `model` from `tensors` (by full name). Any missing, unexpected
 * or mis-shaped name throws `CHECKPOINT_MISMATCH` listing them all, and nothing is assigned.
 *
 * @example
 * ```ts
 * assignWeights(model, ckpt.model, "runs/x/checkpoint-10");
 * ```
 */
export function assignWeights(
  model: TrainerModel,
  tensors: ReadonlyMap<string, HostTensor>,
  source: string,
): void {
  const params = model.namedParameters();
  const names = new Set(params.map(([n]) => n));
  const problems: string[] = [];
  for (const [name, p] of params) {
    const t = tensors.get(name);
    if (t === undefined) problems.push(`missing ${name}`);
    else if (describe(t) !== describe(p.value))
      problems.push(`${name} is ${describe(t)}, the model has ${describe(p.value)}`);
  }
  for (const name of tensors.keys()) if (!names.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${source}: the weights do not fit the model (${problems.slice(0, 8).join("; ")}${problems.length > 8 ? `; … ${problems.length - 8} more` : ""}); build the same model (config, labels, strategy) before resuming`,
    );
  }
  for (const [name, p] of params) p.value = tensors.get(name)!;
}
