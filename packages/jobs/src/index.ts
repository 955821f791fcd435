export { JOBS_COMMANDS } from "./commands/index.js";
export { DEFAULT_REDIS_URL, redisFlag } from "./commands/redis-flag.js";
export type { JobData, JobResult } from "./job-data.js";
export type { PoolOptions } from "./pool.js";
export { runPool } from "./pool.js";
export { DEFAULT_QUEUE, openRedis, redactUrl } from "./redis.js";
export type { JobState, ResultRow, ResultsFormat } from "./results.js";
export { collectResults, countStates, formatResults, JOB_STATES } from "./results.js";
export type { RunJobOptions } from "./run-job.js";
export {
  InterruptedJobError,
  JOB_CONFIG_FILE,
  JOB_RESULT_FILE,
  PoisonedJobError,
  runJob,
} from "./run-job.js";
export type { SubmitOptions, SubmitReport } from "./submit.js";
export { submitJobs } from "./submit.js";
export type { SweepJob } from "./sweep.js";
export { expandSweep, jobId, MAX_SWEEP_JOBS, readSweepFile } from "./sweep.js";
export type { SweepWorker, SweepWorkerOptions } from "./worker.js";
export { startWorker } from "./worker.js";
