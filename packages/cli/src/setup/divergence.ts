import { type HostTensor, isTunekitError, TunekitError } from "@tunekit/core";

/**
 * The first parameter holding NaN or ±Infinity, in `namedParameters` order, with the index
 * and value; `undefined` when every parameter is finite.
 *
 * @example
 * ```ts
 * const bad = firstNonFiniteParameter(model); // { name: "bert.embeddings.word_embeddings.weight", index: 12, value: NaN }
 * ```
 */
export function firstNonFiniteParameter(model: {
  namedParameters(): readonly (readonly [string, { readonly value: HostTensor }])[];
}): { readonly name: string; readonly index: number; readonly value: number } | undefined {
  for (const [name, p] of model.namedParameters()) {
    if (p.value.dtype !== "float32") continue;
    const d = p.value.data as Float32Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return { name, index: i, value: d[i]! };
  }
  return undefined;
}

/**
 * Adds to a `TRAINING_DIVERGED` error the first tensor that went bad: the first non-finite
 * parameter after the update, or that every parameter is still finite (then the loss alone
 * overflowed: the targets or the learning rate). Other errors are returned unchanged.
 *
 * @example
 * ```ts
 * await trainer.fit(train).catch((e) => { throw explainDivergence(e, model); });
 * ```
 */
export function explainDivergence(e: unknown, model: Parameters<typeof firstNonFiniteParameter>[0]): unknown {
  if (!isTunekitError(e, "TRAINING_DIVERGED")) return e;
  const bad = firstNonFiniteParameter(model);
  const where =
    bad === undefined
      ? "every parameter is still finite, so the loss itself overflowed (check the labels or targets, then the lr)"
      : `the first non-finite tensor is parameter ${bad.name} (index ${bad.index} is ${bad.value})`;
  return new TunekitError("TRAINING_DIVERGED", `${e.message}; ${where}`, {
    cause: e,
    details: { ...e.details, ...(bad === undefined ? {} : { tensor: bad.name, index: bad.index }) },
  });
}
