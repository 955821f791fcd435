import { formatTable } from "@tunekit/cli";
import { type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { JobData, JobResult } from "./job-data.js";
import { DEFAULT_QUEUE } from "./redis.js";

/**
 * Job states the results table reports, in the order rows are grouped.
 *
 * @example
 * ```ts
 * JOB_STATES.includes("failed"); // true
 * ```
 */
export const JOB_STATES = ["completed", "failed", "active", "waiting", "delayed", "prioritized"] as const;

/**
 * A job's state as BullMQ reports it.
 *
 * @example
 * ```ts
 * const s: JobState = "active";
 * ```
 */
export type JobState = (typeof JOB_STATES)[number];

/**
 * One row of the results table: every job of the queue, with its result when finished and
 * its error when failed.
 *
 * @example
 * ```ts
 * const row: ResultRow = { id: "job-1", name: "seed=1", sweep: "s.yaml", state: "failed", attempts: 3, worker: "host-1", error: "…", result: null };
 * ```
 */
export interface ResultRow {
  readonly id: string;
  readonly name: string;
  readonly sweep: string;
  readonly state: JobState;
  /** Starts so far. */
  readonly attempts: number;
  /** The worker that finished it or works on it now (null: none yet). */
  readonly worker: string | null;
  readonly error: string | null;
  readonly result: JobResult | null;
}

/**
 * Reads every job of the queue (at most `limit` per state) as {@link ResultRow}s, sorted by
 * sweep and name.
 *
 * @example
 * ```ts
 * const rows = await collectResults(await openRedis(url));
 * console.log(formatResults(rows, "table"));
 * ```
 */
export async function collectResults(
  connection: Redis,
  o: { readonly queue?: string; readonly limit?: number } = {},
): Promise<ResultRow[]> {
  const queue = new Queue<JobData, JobResult>(o.queue ?? DEFAULT_QUEUE, { connection });
  try {
    const rows: ResultRow[] = [];
    for (const state of JOB_STATES) {
      const jobs = await queue.getJobs([state], 0, (o.limit ?? 100_000) - 1, true);
      for (const job of jobs) if (job !== undefined) rows.push(toRow(job, state));
    }
    return rows.sort((a, b) => a.sweep.localeCompare(b.sweep) || a.name.localeCompare(b.name));
  } finally {
    await queue.close();
  }
}

function toRow(job: Job<JobData, JobResult>, state: JobState): ResultRow {
  const result = state === "completed" ? (job.returnvalue ?? null) : null;
  return {
    id: job.id ?? "",
    name: job.data?.name ?? job.name,
    sweep: job.data?.sweep ?? "",
    state,
    attempts: job.attemptsStarted,
    worker: result?.worker ?? job.processedBy ?? null,
    error: state === "failed" ? (job.failedReason ?? "unknown error") : null,
    result,
  };
}

/**
 * Output formats of the results table.
 *
 * @example
 * ```ts
 * const f: ResultsFormat = "csv";
 * ```
 */
export type ResultsFormat = "table" | "csv" | "json";

/**
 * Renders result rows: an aligned `table`, `csv` (one column per metric, raw numbers) or
 * `json` (the rows as they are).
 *
 * @example
 * ```ts
 * formatResults(rows, "csv").split("\n")[0]; // "id,name,state,worker,attempts,resumed_from_step,steps,train_loss,eval_loss,accuracy,…"
 * ```
 */
export function formatResults(rows: readonly ResultRow[], format: ResultsFormat): string {
  if (format === "json") return JSON.stringify(rows, null, 2);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.result?.metrics ?? {})))];
  const header = [
    "id",
    "name",
    "state",
    "worker",
    "attempts",
    "resumed_from_step",
    "steps",
    "train_loss",
    "eval_loss",
    ...metrics,
    "trainable_params",
    "adapter_bytes",
    "wall_seconds",
    "error",
  ];
  const table = format === "table";
  const num = (v: number | null | undefined, digits: number): string =>
    v === null || v === undefined ? (table ? "-" : "") : table ? v.toFixed(digits) : String(v);
  const body = rows.map((r) => {
    const x = r.result;
    return [
      r.id,
      r.name,
      r.state,
      r.worker ?? (table ? "-" : ""),
      String(r.attempts),
      x?.resumedFromStep === null || x === null ? (table ? "-" : "") : String(x.resumedFromStep),
      x === null ? (table ? "-" : "") : String(x.steps),
      num(x?.trainLoss, 4),
      num(x?.evalLoss, 4),
      ...metrics.map((m) => num(x?.metrics[m], 4)),
      x === null ? (table ? "-" : "") : String(x.trainableParameters),
      x === null ? (table ? "-" : "") : String(x.adapterBytes),
      num(x?.wallSeconds, 1),
      table ? (r.error ?? "").slice(0, 60) : (r.error ?? ""),
    ];
  });
  if (table) return formatTable([header, ...body]);
  return [header, ...body].map((row) => row.map(csvCell).join(",")).join("\n");
}

/**
 * How many jobs are in each state.
 *
 * @example
 * ```ts
 * countStates(rows); // { completed: 10, failed: 1, active: 2, waiting: 3, delayed: 0, prioritized: 0 }
 * ```
 */
export function countStates(rows: readonly ResultRow[]): Record<JobState, number> {
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const r of rows) counts[r.state]++;
  return counts;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
