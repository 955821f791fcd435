import { spawn } from "node:child_process";
import { constants } from "node:os";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseTrainConfig } from "@tunekit/cli";
import { isTunekitError, TunekitError } from "@tunekit/core";
import { listCheckpoints } from "@tunekit/core/trainer";
import type { JobData, JobResult } from "./job-data.js";

/**
 * File in `STORAGE/<id>/` with the job's train config (its `output` is that folder).
 *
 * @example
 * ```ts
 * const config = JSON.parse(await readFile(join(storage, id, JOB_CONFIG_FILE), "utf8"));
 * ```
 */
export const JOB_CONFIG_FILE = "job-config.json";

/**
 * File in `STORAGE/<id>/` with the finished job's {@link JobResult}.
 *
 * @example
 * ```ts
 * const result = JSON.parse(await readFile(join(storage, id, JOB_RESULT_FILE), "utf8"));
 * ```
 */
export const JOB_RESULT_FILE = "job-result.json";

/**
 * A job whose config or data can never work (a config error, exit code 2 of `tunekit train`):
 * the worker fails it at once, without retries.
 *
 * @example
 * ```ts
 * if (e instanceof PoisonedJobError) throw new UnrecoverableError(e.message);
 * ```
 */
export class PoisonedJobError extends TunekitError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super("CONFIG_INVALID", message, options);
    this.name = "PoisonedJobError";
  }
}

/**
 * A job stopped by SIGINT / SIGTERM after writing a checkpoint: it goes back to the queue
 * and the next worker resumes it.
 *
 * @example
 * ```ts
 * if (e instanceof InterruptedJobError) await job.moveToDelayed(Date.now(), token);
 * ```
 */
export class InterruptedJobError extends TunekitError {
  constructor(message: string) {
    super("IO_ERROR", message);
    this.name = "InterruptedJobError";
  }
}

/**
 * Options of {@link runJob}.
 *
 * @example
 * ```ts
 * const o: RunJobOptions = { storage: "/shared/runs", jobId: "job-1", worker: "host-42", attempt: 1, takeover: false, log: console.error };
 * ```
 */
export interface RunJobOptions {
  /** Shared folder: the job writes to `storage/<jobId>/`. */
  readonly storage: string;
  readonly jobId: string;
  readonly worker: string;
  readonly attempt: number;
  /** Another worker held the job before (it stalled or failed): take over its run lock. */
  readonly takeover: boolean;
  /** Progress and notices of the training run, one line at a time. */
  readonly log: (line: string) => void;
}

/**
 * Runs one sweep job with `tunekit train` in a child process (so the worker keeps renewing the
 * job's lock however long a training step blocks), writing to `STORAGE/<id>/`. SIGINT /
 * SIGTERM received meanwhile are passed on to it (it stops at a checkpoint). When
 * that folder holds checkpoints of an earlier start (a worker that died), training resumes
 * from the newest one (bit-exact, like `tunekit train --resume`); when it holds a finished
 * result, that result is returned without training again. Config errors throw
 * {@link PoisonedJobError}, a stop by signal {@link InterruptedJobError}, anything else a
 * `TunekitError` with the run's error message.
 *
 * @example
 * ```ts
 * const result = await runJob(job.data, { storage: "/shared/runs", jobId: job.id!, worker: "host-1", attempt: 1, takeover: false, log: console.error });
 * ```
 */
export async function runJob(data: JobData, o: RunJobOptions): Promise<JobResult> {
  const started = performance.now();
  const dir = join(o.storage, o.jobId);
  const config = { ...data.config, output: dir };
  try {
    parseTrainConfig(config, { source: `job ${o.jobId}`, configDir: o.storage, cwd: o.storage });
  } catch (e) {
    if (isTunekitError(e, "CONFIG_INVALID")) throw new PoisonedJobError(e.message, { cause: e });
    throw e;
  }
  const finished = await readJson(join(dir, JOB_RESULT_FILE));
  if (finished !== undefined) {
    o.log(`job ${o.jobId}: already finished in ${dir} (an earlier worker stopped before reporting it)`);
    return finished as JobResult;
  }
  await mkdir(dir, { recursive: true });
  const configFile = join(dir, JOB_CONFIG_FILE);
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const checkpointDir = join(dir, "checkpoints");
  const resume = (await readdir(checkpointDir).catch(() => [] as string[])).length > 0;
  const last = resume ? (await listCheckpoints(checkpointDir)).at(-1) : undefined;
  const args = ["train", configFile, "--output", dir, "--json"];
  if (resume) args.push("--resume");
  if (o.takeover) args.push("--break-lock");
  o.log(
    `job ${o.jobId} (${data.name}): ${last === undefined ? "training from step 0" : `resuming from ${last.name}`} in ${dir}`,
  );
  const { code, out, err } = await trainInChild(args, (line) => o.log(`[${o.jobId}] ${line}`));
  const message = lastError(err) ?? `tunekit train exited with code ${code}`;
  if (code === 2) throw new PoisonedJobError(`job ${o.jobId} (${data.name}): ${message}`);
  if (code === 130 || code === 143) {
    throw new InterruptedJobError(`job ${o.jobId}: stopped by a signal after writing a checkpoint`);
  }
  if (code !== 0) throw new TunekitError("IO_ERROR", `job ${o.jobId} (${data.name}): ${message}`);
  const summary = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as TrainSummary;
  const result: JobResult = {
    jobId: o.jobId,
    name: data.name,
    worker: o.worker,
    attempt: o.attempt,
    resumedFromStep: last === undefined ? null : last.step,
    steps: summary.steps,
    trainLoss: summary.trainLoss ?? null,
    evalLoss: summary.evaluation?.loss ?? null,
    metrics: summary.evaluation?.metrics ?? {},
    strategy: summary.strategy,
    trainableParameters: summary.parameters.trainable,
    totalParameters: summary.parameters.total,
    adapterBytes: await folderBytes(summary.adapter ?? join(dir, "model"), summary.adapter === undefined),
    wallSeconds: (performance.now() - started) / 1000,
    output: dir,
  };
  await writeFile(join(dir, JOB_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** Child entry: `job-child.js` next to this module (`.ts` when run from the sources). */
const CHILD = fileURLToPath(
  new URL(`./job-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/**
 * Runs `tunekit train ARGS` in a child process of the same Node (and loader flags) with an IPC
 * channel (the child dies with this process), in its own process group (a terminal's Ctrl-C
 * reaches it once, through this process). Returns its exit code (128 + signal number when a
 * signal ended it), stdout and the tail of stderr; stderr lines go to `log`.
 */
function trainInChild(
  args: readonly string[],
  log: (line: string) => void,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CHILD, ...args], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      detached: true,
    });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    let out = "";
    let err = "";
    let partial = "";
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      const s = b.toString();
      err = (err + s).slice(-20_000);
      partial += s;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") log(line);
    });
    child.on("error", (e) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      reject(e);
    });
    child.on("close", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      if (partial.trim() !== "") log(partial);
      const bySignal = signal === null ? undefined : 128 + (constants.signals[signal] ?? 0);
      resolveRun({ code: code ?? bySignal ?? 1, out, err });
    });
  });
}

/** The part of `tunekit train --json`'s summary a job result reads. */
interface TrainSummary {
  readonly steps: number;
  readonly trainLoss?: number | null;
  readonly strategy: string;
  readonly adapter?: string;
  readonly parameters: { readonly total: number; readonly trainable: number };
  readonly evaluation?: { readonly loss: number; readonly metrics: Record<string, number> } | null;
}

/** Bytes of the weight files (`*.safetensors`, or every file) in a folder. */
async function folderBytes(dir: string, weightsOnly: boolean): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (weightsOnly && !name.endsWith(".safetensors")) continue;
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function lastError(stderr: string): string | undefined {
  const line = stderr
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("tunekit: error"));
  return line?.replace(/^tunekit: /, "");
}
