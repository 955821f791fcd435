import { type CliCommand, type CommandContext, intFlag, stringFlag, UsageError } from "@tunekit/cli";
import { runPool } from "../pool.js";
import { startWorker } from "../worker.js";
import { redisFlag, REDIS_HELP } from "./redis-flag.js";

/** `tunekit worker --storage DIR`: runs queued sweep jobs until stopped by SIGINT / SIGTERM. */
export const workerCommand: CliCommand = {
  name: "worker",
  summary: "run queued training jobs (one at a time per process) until stopped",
  usage:
    "tunekit worker --storage DIR [--redis URL] [--queue NAME] [--concurrency N] [--lock-duration MS] [--stalled-interval MS]",
  help: [
    "Takes jobs from the queue and trains each with tunekit train into DIR/<job id>/ (DIR is",
    "shared by every worker: a network filesystem when workers run on several machines). A job",
    "whose worker died is handed to another one once its lock expires; that worker continues",
    "from the job's last checkpoint. SIGINT / SIGTERM stop the current job at a checkpoint and",
    "put it back in the queue.",
    "",
    "options:",
    "  --storage DIR    shared folder for checkpoints, models and adapters (required)",
    ...REDIS_HELP,
    "  --concurrency N  worker processes (default 1), each running one job at a time",
    "  --lock-duration MS",
    "                   how long a job's lock lasts without renewal (default 30000); a dead",
    "                   worker's job goes to another worker after about this long",
    "  --stalled-interval MS",
    "                   how often to look for stalled jobs (default 30000)",
    "  --max-stalled N  times a job may lose its worker before it fails (default 3)",
    "  --worker-id NAME name in the results table (default HOSTNAME-PID)",
  ],
  options: {
    storage: { type: "string" },
    redis: { type: "string" },
    queue: { type: "string" },
    concurrency: { type: "string" },
    "lock-duration": { type: "string" },
    "stalled-interval": { type: "string" },
    "max-stalled": { type: "string" },
    "worker-id": { type: "string" },
  },
  positionals: 0,
  run: runWorker,
};

async function runWorker(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const storage = stringFlag(ctx, "storage");
  if (storage === undefined)
    throw new UsageError("worker needs --storage DIR (a folder every worker sees)", "worker");
  const url = redisFlag(ctx);
  const queue = stringFlag(ctx, "queue");
  const concurrency = intFlag(ctx, "concurrency") ?? 1;
  const lockDurationMs = intFlag(ctx, "lock-duration");
  const stalledIntervalMs = intFlag(ctx, "stalled-interval");
  const maxStalledCount = intFlag(ctx, "max-stalled");
  const workerId = stringFlag(ctx, "worker-id");
  const log = (line: string): void => io.stderr(`${line}\n`);
  if (concurrency > 1) {
    if (workerId !== undefined)
      throw new UsageError("--worker-id names one process: use it without --concurrency", "worker");
    const args = ["worker", "--storage", storage, "--redis", url, "--concurrency", "1"];
    const pass = {
      queue,
      "lock-duration": lockDurationMs,
      "stalled-interval": stalledIntervalMs,
      "max-stalled": maxStalledCount,
    };
    for (const [k, v] of Object.entries(pass)) if (v !== undefined) args.push(`--${k}`, String(v));
    return runPool({ size: concurrency, args, log });
  }
  const worker = await startWorker({
    redisUrl: url,
    storage,
    log,
    ...(queue === undefined ? {} : { queue }),
    ...(workerId === undefined ? {} : { workerId }),
    ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
    ...(stalledIntervalMs === undefined ? {} : { stalledIntervalMs }),
    ...(maxStalledCount === undefined ? {} : { maxStalledCount }),
  });
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      log(
        `worker ${worker.id}: ${signal}: finishing (the current job stops at a checkpoint and goes back to the queue)`,
      );
      void worker.close().then(resolveStop);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    // a worker process of a pool (--concurrency N): stop when the pool process is gone
    // (as on SIGTERM: the current job stops at a checkpoint)
    if (process.connected)
      process.once("disconnect", () => !stopping && process.kill(process.pid, "SIGTERM"));
  });
  log(`worker ${worker.id}: stopped`);
  if (process.connected) process.disconnect();
  return 0;
}
