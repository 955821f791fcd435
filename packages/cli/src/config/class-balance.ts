import { TunekitError } from "@tunekit/core";
import { balancedClassWeights } from "@tunekit/core/trainer";
import { type ConfigValidator, isRecord } from "./validate.js";

/**
 * `training.classWeights`: `"balanced"` (scikit-learn's `n / (k · count)` over the train
 * labels), one weight per label in label order, or weights by label name (others 1).
 *
 * @example
 * ```ts
 * const w: ClassWeightsSpec = { kind: "by-name", weights: { positive: 2 } };
 * ```
 */
export type ClassWeightsSpec =
  | { readonly kind: "balanced" }
  | { readonly kind: "list"; readonly weights: readonly number[] }
  | { readonly kind: "by-name"; readonly weights: Readonly<Record<string, number>> };

const EXPECTED =
  '"balanced", a list of positive numbers (one per label, in label order) or an object of positive numbers by label name, e.g. {"positive": 2}';

/**
 * Parses `training.classWeights` (every error names the key, the value and what is allowed).
 *
 * @example
 * ```ts
 * parseClassWeights(v, "balanced"); // { kind: "balanced" }
 * ```
 */
export function parseClassWeights(v: ConfigValidator, raw: unknown): ClassWeightsSpec | undefined {
  const key = "training.classWeights";
  if (raw === undefined) return undefined;
  if (raw === "balanced") return { kind: "balanced" };
  const positive = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x > 0;
  if (Array.isArray(raw)) {
    if (raw.length < 2 || !raw.every(positive)) v.fail(key, raw, EXPECTED);
    return { kind: "list", weights: raw as number[] };
  }
  if (isRecord(raw)) {
    const entries = Object.entries(raw);
    if (entries.length === 0) v.fail(key, raw, EXPECTED);
    for (const [label, w] of entries) if (!positive(w)) v.fail(`${key}.${label}`, w, "a positive number");
    return { kind: "by-name", weights: raw as Record<string, number> };
  }
  return v.fail(key, raw, EXPECTED);
}

/**
 * The weight of each label for the Trainer's `classWeights`: computed from the train labels
 * (`"balanced"`), or checked against the data set's labels (a `CONFIG_INVALID` error names
 * the key, what was given and the labels).
 *
 * @example
 * ```ts
 * resolveClassWeights({ kind: "by-name", weights: { positive: 2 } }, ["negative", "positive"], train.labels!, "t.json"); // [1, 2]
 * ```
 */
export function resolveClassWeights(
  spec: ClassWeightsSpec,
  labels: readonly string[],
  trainLabels: ArrayLike<number>,
  source: string,
): number[] {
  const fail = (received: string, expected: string): never => {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: training.classWeights is ${received}; expected ${expected}`,
      { details: { path: "training.classWeights", received, expected } },
    );
  };
  if (spec.kind === "balanced") return balancedClassWeights(trainLabels, labels.length);
  if (spec.kind === "list") {
    if (spec.weights.length !== labels.length) {
      fail(
        JSON.stringify(spec.weights),
        `${labels.length} weights, one per label in order [${labels.join(", ")}]`,
      );
    }
    return [...spec.weights];
  }
  for (const name of Object.keys(spec.weights)) {
    if (!labels.includes(name)) {
      fail(
        JSON.stringify(spec.weights),
        `weights by label name; "${name}" is not a label of the data set [${labels.join(", ")}]`,
      );
    }
  }
  return labels.map((l) => spec.weights[l] ?? 1);
}
