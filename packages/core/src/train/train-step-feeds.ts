import type { DeviceTensor } from "../backend/backend.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import type { InputSpec } from "./train-step.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

/** Name → dtype and shape of each batch field, in name order. @example `specsOf(batch)` */
export function specsOf(batch: Readonly<Record<string, HostTensor>>): Record<string, InputSpec> {
  const specs: Record<string, InputSpec> = {};
  for (const name of Object.keys(batch).sort()) {
    const t = batch[name]!;
    specs[name] = { dtype: t.dtype, shape: t.shape };
  }
  return specs;
}

/** One string per batch shape, the key of the compile caches. @example `signatureOf(specsOf(batch))` */
export function signatureOf(specs: Record<string, InputSpec>): string {
  return Object.entries(specs)
    .map(([n, s]) => `${n}:${s.dtype}${fmt(s.shape)}`)
    .join(";");
}

/**
 * Whether a run output was left on the device (the runner keeps outputs typed as HostTensor in
 * its maps until told apart here).
 *
 * @example
 * ```ts
 * if (isDevice(value)) device.set(name, value, host);
 * ```
 */
export const isDevice = (t: HostTensor | DeviceTensor): t is DeviceTensor & HostTensor =>
  (t as { kind?: unknown }).kind === "device";

/** A float32 scalar. @example `scalarF32(0.01)` */
export const scalarF32 = (v: number): HostTensor => hostTensor("float32", [], [v]);
/** A copy of a host tensor (its own array). @example `copyTensor(t)` */
export const copyTensor = (t: HostTensor): HostTensor => ({
  ...t,
  shape: [...t.shape],
  data: t.data.slice() as never,
});
