/**
 * What a sweep job carries in the queue.
 *
 * @example
 * ```ts
 * const data: JobData = { sweep: "strategies.yaml", name: "strategy=lora seed=1", params: { strategy: "lora", seed: 1 }, config: {} };
 * ```
 */
export interface JobData {
  /** The sweep file it came from (for the results table). */
  readonly sweep: string;
  /** The varied values as `key=value` words. */
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The complete train config (absolute input paths, no `output`). */
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * What a finished job returns (stored by BullMQ as the job's return value and written to
 * `STORAGE/<id>/job-result.json`).
 *
 * @example
 * ```ts
 * const r: JobResult = { jobId: "job-1", name: "seed=1", worker: "host-123", attempt: 1, resumedFromStep: null, steps: 20, trainLoss: 0.6, evalLoss: 0.5, metrics: { accuracy: 0.8 }, strategy: "lora", trainableParameters: 1000, totalParameters: 100000, adapterBytes: 4096, wallSeconds: 12.5, output: "/shared/runs/job-1" };
 * ```
 */
export interface JobResult {
  readonly jobId: string;
  readonly name: string;
  /** `hostname-pid` of the worker process that finished it. */
  readonly worker: string;
  /** Which start of the job this was (1: the first). */
  readonly attempt: number;
  /** The checkpoint step the finishing worker continued from (null: trained from step 0). */
  readonly resumedFromStep: number | null;
  readonly steps: number;
  readonly trainLoss: number | null;
  readonly evalLoss: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  readonly strategy: string;
  readonly trainableParameters: number;
  readonly totalParameters: number;
  /** Bytes of the saved adapter folder (PEFT strategies) or of the saved model weights. */
  readonly adapterBytes: number;
  /** Seconds the finishing worker spent on the job. */
  readonly wallSeconds: number;
  readonly output: string;
}
