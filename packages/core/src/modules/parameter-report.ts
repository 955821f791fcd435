import { sizeOf } from "../tensor/host-tensor.js";
import type { Module } from "./module.js";
import type { Parameter } from "./parameter.js";

/** Parameter counts of one module group in a {@link ParameterReport}. @example `parameterReport(model).perModule.map((m) => m.module + ": " + m.trainable)` */
export interface ModuleParameterCount {
  /** Module path prefix (e.g. `bert.encoder`), `""` for parameters of the root. */
  readonly module: string;
  readonly total: number;
  readonly trainable: number;
  readonly bytes: number;
}

/**
 * Counts of a model's parameters: elements, trainable elements, and host bytes.
 *
 * @example
 * ```ts
 * const r = parameterReport(model);
 * console.log(`${r.percentTrainable.toFixed(2)}% trainable`);
 * ```
 */
export interface ParameterReport {
  readonly total: number;
  readonly trainable: number;
  /** `100 * trainable / total` (0 for a model without parameters). */
  readonly percentTrainable: number;
  readonly bytes: number;
  readonly trainableBytes: number;
  /** Per module group (parameter paths cut to `depth` module segments), in model order. */
  readonly perModule: readonly ModuleParameterCount[];
}

function bytesOf(p: Parameter): number {
  return sizeOf(p.value.shape) * (p.value.dtype === "bool" ? 1 : 4);
}

/**
 * Builds a {@link ParameterReport}; `depth` (default 2) sets how many leading path
 * segments of the owning module group the per-module rows.
 *
 * @example
 * ```ts
 * parameterReport(model, { depth: 3 }).perModule; // bert.encoder.layer, …
 * ```
 */
export function parameterReport(model: Module, options: { depth?: number } = {}): ParameterReport {
  const depth = options.depth ?? 2;
  let total = 0;
  let trainable = 0;
  let bytes = 0;
  let trainableBytes = 0;
  const groups = new Map<string, { total: number; trainable: number; bytes: number }>();
  for (const [name, p] of model.namedParameters()) {
    const n = sizeOf(p.value.shape);
    const b = bytesOf(p);
    total += n;
    bytes += b;
    if (p.trainable) {
      trainable += n;
      trainableBytes += b;
    }
    const key = name.split(".").slice(0, -1).slice(0, depth).join(".");
    const g = groups.get(key) ?? { total: 0, trainable: 0, bytes: 0 };
    g.total += n;
    g.bytes += b;
    if (p.trainable) g.trainable += n;
    groups.set(key, g);
  }
  return {
    total,
    trainable,
    percentTrainable: total === 0 ? 0 : (100 * trainable) / total,
    bytes,
    trainableBytes,
    perModule: [...groups].map(([module, g]) => ({ module, ...g })),
  };
}

/**
 * A plain-text table of a {@link ParameterReport}: one row per module group, then totals.
 *
 * @example
 * ```ts
 * console.log(formatParameterReport(parameterReport(model)));
 * ```
 */
export function formatParameterReport(report: ParameterReport): string {
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const rows: string[][] = [["module", "params", "trainable", "bytes"]];
  for (const m of report.perModule) {
    rows.push([m.module || "(root)", fmt(m.total), fmt(m.trainable), formatBytes(m.bytes)]);
  }
  rows.push(["total", fmt(report.total), fmt(report.trainable), formatBytes(report.bytes)]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  const sep = widths.map((w) => "-".repeat(w)).join("  ");
  const body = rows.slice(1, -1).map(line);
  return [
    line(rows[0]!),
    sep,
    ...body,
    sep,
    line(rows[rows.length - 1]!),
    `trainable: ${fmt(report.trainable)} of ${fmt(report.total)} (${report.percentTrainable.toFixed(2)}%), ` +
      `${formatBytes(report.trainableBytes)} of ${formatBytes(report.bytes)}`,
  ].join("\n");
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
