import { hostname } from "node:os";
import { resolve } from "node:path";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { JobData, JobResult } from "./job-data.js";
import { DEFAULT_QUEUE, openRedis } from "./redis.js";
import { InterruptedJobError, PoisonedJobError, runJob } from "./run-job.js";

/**
 * Options of {@link startWorker}.
 *
 * @example
 * ```ts
 * const o: SweepWorkerOptions = { redisUrl: "redis://127.0.0.1:6379", storage: "/shared/runs", log: console.error };
 * ```
 */
export interface SweepWorkerOptions {
  readonly redisUrl: string;
  /** Shared folder every worker sees; job `id` writes to `storage/id/`. */
  readonly storage: string;
  /** Queue name (default {@link DEFAULT_QUEUE}). */
  readonly queue?: string;
  /** Name in the results table (default `hostname-pid`). */
  readonly workerId?: string;
  /** How long a job's lock lasts without renewal (ms, default 30,000); a dead worker's job is stalled after it. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for (ms, default 30,000). */
  readonly stalledIntervalMs?: number;
  /** How many times a job may stall (its worker died) before it fails (default 3). */
  readonly maxStalledCount?: number;
  readonly log: (line: string) => void;
}

/**
 * A running sweep worker.
 *
 * @example
 * ```ts
 * const w = await startWorker({ redisUrl, storage, log: console.error });
 * process.on("SIGTERM", () => void w.close());
 * ```
 */
export interface SweepWorker {
  readonly id: string;
  readonly worker: Worker<JobData, JobResult>;
  /** Stops taking jobs, waits for the current one (a signal stops it at a checkpoint), disconnects. */
  close(): Promise<void>;
}

/**
 * Starts a BullMQ worker that runs sweep jobs one at a time (each in a child process) with
 * {@link runJob}. A job whose worker dies is found stalled once its lock expires and handed
 * to another worker, which resumes from the job's last checkpoint. A config error fails the
 * job at once (`UnrecoverableError`); other errors are retried as the job's `attempts` say,
 * then the job lands in the failed set with its error. A job stopped by SIGINT / SIGTERM
 * goes back to the queue without using up an attempt.
 *
 * @example
 * ```ts
 * const w = await startWorker({ redisUrl: "redis://127.0.0.1:6379", storage: "/shared/runs", log: console.error });
 * ```
 */
export async function startWorker(o: SweepWorkerOptions): Promise<SweepWorker> {
  const id = o.workerId ?? `${hostname()}-${process.pid}`;
  const storage = resolve(o.storage);
  const connection = await openRedis(o.redisUrl);
  const worker = new Worker<JobData, JobResult>(
    o.queue ?? DEFAULT_QUEUE,
    async (job: Job<JobData, JobResult>, token?: string) => {
      const jobId = job.id!;
      try {
        return await runJob(job.data, {
          storage,
          jobId,
          worker: id,
          attempt: job.attemptsStarted,
          takeover: job.attemptsStarted > 1 || job.stalledCounter > 0,
          log: o.log,
        });
      } catch (e) {
        if (e instanceof PoisonedJobError) throw new UnrecoverableError(e.message);
        if (e instanceof InterruptedJobError) {
          o.log(`${e.message}; it goes back to the queue`);
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        throw e;
      }
    },
    {
      connection,
      name: id,
      concurrency: 1,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 3,
      autorun: true,
    },
  );
  worker.on("completed", (job) => o.log(`job ${job.id} done (${job.data.name})`));
  worker.on("failed", (job, e) => {
    if (job === undefined || e instanceof DelayedError || e.name === "DelayedError") return;
    o.log(`job ${job.id} failed on attempt ${job.attemptsMade}: ${e.message}`);
  });
  worker.on("error", (e) => o.log(`worker ${id}: ${e.message}`));
  await worker.waitUntilReady();
  o.log(`worker ${id} waiting for jobs on queue ${o.queue ?? DEFAULT_QUEUE} (storage ${storage})`);
  let closing: Promise<void> | undefined;
  return {
    id,
    worker,
    close: () => {
      closing ??= (async () => {
        await worker.close();
        connection.disconnect();
      })();
      return closing;
    },
  };
}
