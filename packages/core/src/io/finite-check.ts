import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/**
 * Where the first NaN or ±Infinity is: the tensor's name, the flat index and the value.
 *
 * @example
 * ```ts
 * const bad: NonFiniteValue = { name: "classifier.weight", index: 3, value: Number.NaN };
 * ```
 */
export interface NonFiniteValue {
  readonly name: string;
  readonly index: number;
  readonly value: number;
}

/**
 * The first NaN / ±Infinity in float tensors, in iteration order (integer and boolean
 * tensors are always finite), or `undefined`. One pass, no copies.
 *
 * @example
 * ```ts
 * const bad = firstNonFinite(model.namedParameters().map(([n, p]) => [n, p.value]));
 * if (bad) console.error(`${bad.name}[${bad.index}] is ${bad.value}`);
 * ```
 */
export function firstNonFinite(tensors: Iterable<readonly [string, HostTensor]>): NonFiniteValue | undefined {
  for (const [name, t] of tensors) {
    if (t.dtype !== "float32") continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) {
      // x - x is 0 for finite x and NaN for NaN and ±Infinity: one comparison per value
      if (d[i]! - d[i]! !== 0) return { name, index: i, value: d[i]! };
    }
  }
  return undefined;
}

/**
 * Throws `CHECKPOINT_INVALID` when a weight is NaN or ±Infinity, naming the tensor, the
 * index, the value and `source` (the file): a model with such weights would evaluate and
 * predict NaN silently.
 *
 * @example
 * ```ts
 * assertFiniteWeights(tensors, "bert-tiny/model.safetensors");
 * ```
 */
export function assertFiniteWeights(tensors: Iterable<readonly [string, HostTensor]>, source: string): void {
  const bad = firstNonFinite(tensors);
  if (bad === undefined) return;
  throw new TunekitError(
    "CHECKPOINT_INVALID",
    `${source}: tensor "${bad.name}" holds ${bad.value} at index ${bad.index}; expected finite weights ` +
      "(a run that diverged saves such weights): use an earlier checkpoint or retrain with a lower lr or clipNorm",
    { details: { file: source, tensor: bad.name, index: bad.index, value: String(bad.value) } },
  );
}
