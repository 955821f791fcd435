import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { Module } from "./module.js";

/**
 * The current value of every parameter of `model` by full name (values are shared, not
 * copied).
 *
 * @example
 * ```ts
 * const tensors = stateDict(model); // { "bert.embeddings.word_embeddings.weight": ..., ... }
 * ```
 */
export function stateDict(model: Module): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, p] of model.namedParameters()) out[name] = p.value;
  return out;
}

/**
 * What {@link loadStateDict} did.
 *
 * @example
 * ```ts
 * const { loaded, missing, unexpected, mismatched } = loadStateDict(model, tensors, { strict: false });
 * ```
 */
export interface LoadStateDictResult {
  readonly loaded: string[];
  /** Model parameters with no entry in the dict (kept at their current value). */
  readonly missing: string[];
  /** Dict entries that name no parameter (not loaded). */
  readonly unexpected: string[];
  /** Entries whose shape or dtype differ from the parameter's (not loaded). */
  readonly mismatched: { name: string; expected: string; received: string }[];
}

const describe = (t: HostTensor): string => `${t.dtype}[${t.shape.join(", ")}]`;

/**
 * Assigns tensors to parameters by full name. With `strict` (default), any missing,
 * unexpected or mismatched name throws `CHECKPOINT_MISMATCH` listing them all and nothing
 * is assigned; otherwise the matching entries are assigned and the rest reported.
 *
 * @example
 * ```ts
 * loadStateDict(model, stateDict(otherModel));
 * ```
 */
export function loadStateDict(
  model: Module,
  tensors: Readonly<Record<string, HostTensor>>,
  options: { strict?: boolean } = {},
): LoadStateDictResult {
  const params = new Map(model.namedParameters());
  const result: LoadStateDictResult = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  for (const [name, t] of Object.entries(tensors)) {
    const p = params.get(name);
    if (!p) result.unexpected.push(name);
    else if (describe(t) !== describe(p.value)) {
      result.mismatched.push({ name, expected: describe(p.value), received: describe(t) });
    } else result.loaded.push(name);
  }
  for (const name of params.keys()) if (!(name in tensors)) result.missing.push(name);
  const bad = result.missing.length + result.unexpected.length + result.mismatched.length;
  if ((options.strict ?? true) && bad > 0) {
    throw new TunekitError("CHECKPOINT_MISMATCH", describeMismatch(result), { details: { ...result } });
  }
  for (const name of result.loaded) params.get(name)!.value = tensors[name]!;
  return result;
}

/**
 * A readable multi-line message for missing / unexpected / mismatched names.
 *
 * @example
 * ```ts
 * throw new TunekitError("CHECKPOINT_MISMATCH", describeMismatch(result));
 * ```
 */
export function describeMismatch(r: {
  missing: readonly string[];
  unexpected: readonly string[];
  mismatched: readonly { name: string; expected: string; received: string }[];
}): string {
  const lines = ["checkpoint does not match the model:"];
  if (r.missing.length) lines.push(`  missing (${r.missing.length}): ${r.missing.join(", ")}`);
  if (r.unexpected.length) lines.push(`  unexpected (${r.unexpected.length}): ${r.unexpected.join(", ")}`);
  for (const m of r.mismatched) {
    lines.push(`  shape mismatch: ${m.name}: model has ${m.expected}, checkpoint has ${m.received}`);
  }
  lines.push("check that the checkpoint and config.json belong to the same model (and the task/num_labels)");
  return lines.join("\n");
}
