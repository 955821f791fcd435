import { type Module, parameterReport, type Strategy } from "@tunekit/core";
import { adapterRecordOf } from "./peft/adapter-record.js";
import { serializeAdapter } from "./peft/save-adapter.js";

/**
 * One row of a {@link strategyReport}: what a strategy trains on a base model.
 *
 * @example
 * ```ts
 * const row: StrategyReportRow = strategyReport(model, [lora()]).rows[0]!;
 * ```
 */
export interface StrategyReportRow {
  readonly method: string;
  /** Trainable parameter count of the adapted model. */
  readonly trainable: number;
  /** Parameters added to the base (adapter weights). */
  readonly added: number;
  /** `100 · trainable / base total`. */
  readonly percentOfBase: number;
  /** Bytes of `adapter_model.safetensors` (PEFT strategies), else of the trained float32 weights. */
  readonly fileBytes: number;
  /** Whether `fileBytes` is an adapter file's exact size (false: trained weights × 4 bytes). */
  readonly isAdapterFile: boolean;
}

/**
 * Parameter report per strategy on one base model.
 *
 * @example
 * ```ts
 * console.log(formatStrategyReport(strategyReport(model, [lora(), ia3(), bitfit()])));
 * ```
 */
export interface StrategyReport {
  /** Parameters of the base model. */
  readonly baseTotal: number;
  readonly rows: readonly StrategyReportRow[];
}

/**
 * Applies each strategy to `base` (which is left as it was) and measures trainable count,
 * % of the base, and the adapter file's size in bytes (exact: the file is serialised in
 * memory).
 *
 * @example
 * ```ts
 * const report = strategyReport(model, [lora({ r: 8 }), ia3(), bitfit(), fullFineTuning()]);
 * ```
 */
export function strategyReport(base: Module, strategies: readonly Strategy[]): StrategyReport {
  const baseTotal = parameterReport(base).total;
  const rows = strategies.map((s) => reportRow(base, s.apply(base), strategyLabel(s), baseTotal));
  return { baseTotal, rows };
}

/**
 * A short label of a strategy for tables: its method, with the LoRA variant
 * (`lora+rslora`, `lora+dora`) and rank when known.
 *
 * @example
 * ```ts
 * strategyLabel(lora({ r: 8, useDora: true })); // "lora+dora r=8"
 * ```
 */
export function strategyLabel(s: Strategy): string {
  const o = s.options;
  const variant = o.useDora === true ? "+dora" : o.useRslora === true ? "+rslora" : "";
  return `${s.method}${variant}${typeof o.r === "number" ? ` r=${o.r}` : ""}`;
}

function reportRow(base: Module, adapted: Module, method: string, baseTotal: number): StrategyReportRow {
  const r = parameterReport(adapted);
  const record = adapterRecordOf(adapted);
  const fileBytes = record ? serializeAdapter(adapted).weights.byteLength : r.trainableBytes;
  return {
    method,
    trainable: r.trainable,
    added: r.total - parameterReport(base).total,
    percentOfBase: baseTotal === 0 ? 0 : (100 * r.trainable) / baseTotal,
    fileBytes,
    isAdapterFile: record !== undefined,
  };
}

/**
 * A plain-text table of a {@link StrategyReport}.
 *
 * @example
 * ```ts
 * console.log(formatStrategyReport(report));
 * ```
 */
export function formatStrategyReport(report: StrategyReport): string {
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const rows = [["method", "trainable", "% of base", "added", "file bytes"]];
  for (const r of report.rows) {
    rows.push([
      r.method,
      fmt(r.trainable),
      `${r.percentOfBase.toFixed(3)}%`,
      fmt(r.added),
      `${fmt(r.fileBytes)}${r.isAdapterFile ? "" : "*"}`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [
    `base model: ${fmt(report.baseTotal)} parameters`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
    "* no adapter file: trained float32 weights",
  ].join("\n");
}
