import { join } from "node:path";
import { TunekitError } from "../../errors.js";
import { assertFiniteWeights } from "../../io/finite-check.js";
import { readModelWeights } from "../../io/model-weights.js";
import type { Module } from "../../modules/module.js";
import type { HostTensor } from "../../tensor/host-tensor.js";

// Loading a decoder's Hugging Face weights, shared by the decoder families (Llama-family, GPT-2).

/** How one decoder family names and lays out its checkpoint tensors. */
export interface DecoderWeightRules {
  /** The architecture named in the mismatch error. */
  readonly architecture: string;
  /** The decoder stack's child name (`model`, `transformer`): a bare stack's keys lack it. */
  readonly stack: string;
  /** Checkpoint keys deliberately not loaded (buffers, a tied `lm_head.weight`). */
  ignorable(key: string): boolean;
  /** A parameter's value in the checkpoint's layout (for shape checks and messages). */
  toHf(name: string, value: HostTensor): HostTensor;
  /** A checkpoint tensor in the model's layout. */
  fromHf(name: string, value: HostTensor): HostTensor;
  /** What to check, the last line of the mismatch error. */
  readonly hint: string;
}

const describe = (t: HostTensor): string => `${t.dtype}[${t.shape.join(", ")}]`;

/**
 * Assigns checkpoint tensors (Hugging Face names) to `model`'s parameters: keys of a bare stack
 * are accepted; ignorable keys are reported; missing parameters, unexpected keys and shape or
 * dtype mismatches throw `CHECKPOINT_MISMATCH` listing every name and shape, before anything
 * is assigned.
 */
export function assignDecoderWeights(
  model: Module,
  tensors: ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>,
  rules: DecoderWeightRules,
): { loaded: string[]; ignored: string[] } {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const params = new Map(model.namedParameters());
  const assign = new Map<string, { key: string; value: HostTensor }>();
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const mismatched: string[] = [];
  const seen = new Set<string>();
  for (const [key, value] of entries) {
    const target = [key, `${rules.stack}.${key}`].find((n) => params.has(n));
    if (target === undefined) {
      if (rules.ignorable(key)) ignored.push(key);
      else unexpected.push(`${key} ${describe(value)}`);
      continue;
    }
    const previous = assign.get(target);
    if (previous) {
      unexpected.push(`${key} ${describe(value)} (duplicate of ${previous.key}, both name ${target})`);
      continue;
    }
    seen.add(target);
    const expected = rules.toHf(target, params.get(target)!.value);
    if (describe(expected) !== describe(value)) {
      mismatched.push(`${key}: checkpoint has ${describe(value)}, model expects ${describe(expected)}`);
      continue;
    }
    assign.set(target, { key, value: rules.fromHf(target, value) });
  }
  const missing = [...params]
    .filter(([name]) => !seen.has(name))
    .map(([name, p]) => `${name} ${describe(rules.toHf(name, p.value))}`);
  if (missing.length + unexpected.length + mismatched.length > 0) {
    const lines = [`checkpoint does not match the ${rules.architecture}:`];
    if (missing.length) lines.push(`  missing (${missing.length}):`, ...missing.map((m) => `    ${m}`));
    if (unexpected.length)
      lines.push(`  unexpected (${unexpected.length}):`, ...unexpected.map((m) => `    ${m}`));
    if (mismatched.length)
      lines.push(`  shape mismatch (${mismatched.length}):`, ...mismatched.map((m) => `    ${m}`));
    lines.push(rules.hint);
    throw new TunekitError("CHECKPOINT_MISMATCH", lines.join("\n"), {
      details: { missing, unexpected, mismatched },
    });
  }
  for (const [name, { value }] of assign) params.get(name)!.value = value;
  return { loaded: [...assign.keys()], ignored };
}

/**
 * The weights of a Hugging Face folder (see `readModelWeights`), refused before anything is
 * allocated when they are NaN / infinite (`CHECKPOINT_INVALID`) or far fewer than the config's
 * `needed` parameters (`CHECKPOINT_MISMATCH`).
 */
export async function readDecoderWeights(
  folder: string,
  modelType: string,
  needed: number,
): Promise<Map<string, HostTensor>> {
  const { tensors, file } = await readModelWeights(folder);
  assertFiniteWeights(tensors, join(folder, file));
  let stored = 0;
  for (const t of tensors.values()) stored += t.data.length;
  if (needed > 4 * stored + 1_000_000) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${join(folder, "config.json")} describes a ${modelType} model of ${needed} parameters, but ` +
        `${join(folder, file)} holds only ${stored} values; check that config.json and ${file} belong together`,
    );
  }
  return tensors;
}
