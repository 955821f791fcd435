import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { JobData, JobResult } from "./job-data.js";
import { DEFAULT_QUEUE } from "./redis.js";
import type { SweepJob } from "./sweep.js";

/**
 * How {@link submitJobs} enqueues jobs.
 *
 * @example
 * ```ts
 * const o: SubmitOptions = { sweep: "strategies.yaml", attempts: 3, backoffMs: 10_000 };
 * ```
 */
export interface SubmitOptions {
  /** The sweep file's name, kept with each job for the results table. */
  readonly sweep: string;
  /** Queue name (default {@link DEFAULT_QUEUE}). */
  readonly queue?: string;
  /** Starts a job may have before it fails for good (default 3; config errors fail at once). */
  readonly attempts?: number;
  /** First retry delay in ms, doubled per retry (default 10,000). */
  readonly backoffMs?: number;
}

/**
 * Jobs a submission added and those already in the queue (any state, finished included).
 *
 * @example
 * ```ts
 * const { added, existing } = await submitJobs(connection, jobs, { sweep: "s.yaml" });
 * ```
 */
export interface SubmitReport {
  readonly added: readonly SweepJob[];
  readonly existing: readonly SweepJob[];
}

/**
 * Adds sweep jobs to the queue with their deterministic ids as BullMQ job ids: a job whose
 * id is already there (waiting, running, finished or failed) is left alone, so submitting a
 * sweep twice adds nothing. Finished and failed jobs are kept for `tunekit jobs results`.
 *
 * @example
 * ```ts
 * const report = await submitJobs(await openRedis(url), await readSweepFile("sweep.yaml", process.cwd()), { sweep: "sweep.yaml" });
 * ```
 */
export async function submitJobs(
  connection: Redis,
  jobs: readonly SweepJob[],
  o: SubmitOptions,
): Promise<SubmitReport> {
  const queue = new Queue<JobData, JobResult>(o.queue ?? DEFAULT_QUEUE, { connection });
  try {
    const existing: SweepJob[] = [];
    const fresh: SweepJob[] = [];
    for (const j of jobs) ((await queue.getJob(j.id)) === undefined ? fresh : existing).push(j);
    // addBulk with the same jobId is a no-op in BullMQ as well, so a race with another submit is harmless
    await queue.addBulk(
      fresh.map((j) => ({
        name: j.name,
        data: { sweep: o.sweep, name: j.name, params: j.params, config: j.config },
        opts: {
          jobId: j.id,
          attempts: o.attempts ?? 3,
          backoff: { type: "exponential", delay: o.backoffMs ?? 10_000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    return { added: fresh, existing };
  } finally {
    await queue.close();
  }
}
