import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { TunekitError } from "@tunekit/core";

/**
 * Time spent in one ONNX op type over a profile: total microseconds, share of all kernel
 * time, and how many kernel calls.
 *
 * @example
 * ```ts
 * const row: OpTypeTime = { opType: "MatMul", micros: 81000, share: 0.62, calls: 40 };
 * ```
 */
export interface OpTypeTime {
  readonly opType: string;
  readonly micros: number;
  readonly share: number;
  readonly calls: number;
}

/**
 * Summary of an onnxruntime profile: kernel time by op type (largest first), the total, and
 * the number of `run` calls profiled.
 *
 * @example
 * ```ts
 * const { byOpType, totalMicros } = summarizeOnnxProfile(JSON.parse(text));
 * ```
 */
export interface OnnxProfileSummary {
  readonly byOpType: readonly OpTypeTime[];
  readonly totalMicros: number;
  readonly runs: number;
}

interface TraceEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly ts?: number;
  readonly args?: { readonly op_name?: string };
}

/**
 * Sums the kernel times of an onnxruntime profile (the Chrome-trace JSON array that
 * `enableProfiling` writes) by op type, leaving out the first `skipRuns` runs (warm-up).
 *
 * @example
 * ```ts
 * const summary = summarizeOnnxProfile(JSON.parse(readFileSync(file, "utf8")));
 * summary.byOpType[0]; // { opType: "FusedMatMul", micros: ..., share: 0.4, calls: ... }
 * ```
 */
export function summarizeOnnxProfile(
  events: unknown,
  options: { skipRuns?: number } = {},
): OnnxProfileSummary {
  if (!Array.isArray(events)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `summarizeOnnxProfile: expected the JSON array of trace events onnxruntime writes, got ${typeof events}; ` +
        "pass JSON.parse of the profile file",
    );
  }
  const all = events as TraceEvent[];
  const runEnds = all
    .filter((e) => e.cat === "Session" && e.name === "model_run")
    .map((e) => (e.ts ?? 0) + (e.dur ?? 0))
    .sort((a, b) => a - b);
  const skip = options.skipRuns ?? 0;
  const from = skip > 0 ? (runEnds[skip - 1] ?? Number.POSITIVE_INFINITY) : Number.NEGATIVE_INFINITY;
  const totals = new Map<string, { micros: number; calls: number }>();
  let total = 0;
  const runs = Math.max(0, runEnds.length - skip);
  for (const e of all) {
    if (e.cat !== "Node" || !e.name?.endsWith("_kernel_time") || (e.ts ?? 0) < from) continue;
    const op = e.args?.op_name ?? "?";
    const dur = e.dur ?? 0;
    const t = totals.get(op) ?? { micros: 0, calls: 0 };
    t.micros += dur;
    t.calls++;
    totals.set(op, t);
    total += dur;
  }
  const byOpType = [...totals]
    .map(([opType, t]) => ({
      opType,
      micros: t.micros,
      share: total > 0 ? t.micros / total : 0,
      calls: t.calls,
    }))
    .sort((a, b) => b.micros - a.micros);
  return { byOpType, totalMicros: total, runs };
}

/**
 * Profile files that onnxruntime wrote for `prefix` (a file name prefix, relative to the
 * working directory or absolute) since `sinceMs`, newest first.
 *
 * @example
 * ```ts
 * const files = profileFiles("profiles/step", Date.now() - 60_000);
 * ```
 */
export function profileFiles(prefix: string, sinceMs: number): string[] {
  const full = resolve(prefix);
  const dir = dirname(full);
  const stem = basename(full);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(stem) && n.endsWith(".json"))
    .map((n) => ({ path: join(dir, n), mtime: statSync(join(dir, n)).mtimeMs }))
    .filter((f) => f.mtime >= sinceMs)
    .sort((a, b) => b.mtime - a.mtime)
    .map((f) => f.path);
}

/**
 * Reads and summarises one profile file (see {@link summarizeOnnxProfile}).
 *
 * @example
 * ```ts
 * const [file] = await backend.endProfiling();
 * console.log(readOnnxProfile(file).byOpType.slice(0, 5));
 * ```
 */
export function readOnnxProfile(path: string, options: { skipRuns?: number } = {}): OnnxProfileSummary {
  return summarizeOnnxProfile(JSON.parse(readFileSync(path, "utf8")), options);
}
