import { type HostTensor, type Parameter, TunekitError } from "@tunekit/core";

const fmt = (t: { dtype: string; shape: readonly number[] }): string => `${t.dtype}[${t.shape.join(", ")}]`;

/**
 * Assigns file tensors to parameters by key, strictly: every expected key must be present
 * with the parameter's dtype and shape, and no other key may be. Otherwise nothing is
 * assigned and a `CHECKPOINT_MISMATCH` error lists the missing keys (with the expected
 * shapes), the unexpected ones (with their shapes) and the mismatched ones (expected vs
 * received). `optional` keys may be absent (e.g. a head the file does not carry).
 *
 * @example
 * ```ts
 * assignTensorsStrictly(new Map([["prompt_embeddings", param]]), tensors, "adapter_model.safetensors");
 * ```
 */
export function assignTensorsStrictly(
  expected: ReadonlyMap<string, Parameter>,
  tensors: ReadonlyMap<string, HostTensor>,
  source: string,
  optional: ReadonlySet<string> = new Set(),
): string[] {
  const missing = [...expected].filter(([k]) => !tensors.has(k) && !optional.has(k));
  const unexpected = [...tensors].filter(([k]) => !expected.has(k));
  const mismatched = [...tensors].filter(
    ([k, t]) => expected.has(k) && fmt(expected.get(k)!.value) !== fmt(t),
  );
  if (missing.length + unexpected.length + mismatched.length > 0) {
    const lines = [`${source} does not match the adapted model:`];
    if (missing.length)
      lines.push(`  missing (${missing.length}):`, ...missing.map(([k, p]) => `    ${k} ${fmt(p.value)}`));
    if (unexpected.length)
      lines.push(`  unexpected (${unexpected.length}):`, ...unexpected.map(([k, t]) => `    ${k} ${fmt(t)}`));
    if (mismatched.length)
      lines.push(
        `  shape mismatch (${mismatched.length}):`,
        ...mismatched.map(
          ([k, t]) => `    ${k}: expected ${fmt(expected.get(k)!.value)}, file has ${fmt(t)}`,
        ),
      );
    lines.push("  check that the adapter was saved from a model of the same size and with the same options");
    throw new TunekitError("CHECKPOINT_MISMATCH", lines.join("\n"), {
      details: {
        missing: missing.map(([k]) => k),
        unexpected: unexpected.map(([k]) => k),
        mismatched: mismatched.map(([k]) => k),
      },
    });
  }
  const loaded: string[] = [];
  for (const [k, t] of tensors) {
    expected.get(k)!.value = t;
    loaded.push(k);
  }
  return loaded;
}
