import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type CliCommand, type CommandContext, formatTable, stringFlag, UsageError } from "@tunekit/cli";
import { Queue } from "bullmq";
import { DEFAULT_QUEUE, openRedis } from "../redis.js";
import { collectResults, countStates, formatResults, JOB_STATES, type ResultsFormat } from "../results.js";
import { redisFlag, REDIS_HELP } from "./redis-flag.js";

/** `tunekit jobs status|results|cancel`: what the queue holds, the results table, cancelling jobs. */
export const jobsCommand: CliCommand = {
  name: "jobs",
  summary: "show the queue (status), the results table (results) or cancel queued jobs (cancel)",
  usage:
    "tunekit jobs status|results|cancel [ID...] [--redis URL] [--queue NAME] [--format table|csv|json] [--out FILE] [--all]",
  help: [
    "status           jobs per state, the running ones with their worker, failures with their error",
    "results          one row per job: state, worker, attempts, the step a resumed job continued",
    "                 from, steps, losses, metrics, trainable parameters, adapter bytes, seconds",
    "cancel ID...     remove these jobs (waiting, delayed or failed; a running job is left to finish)",
    "cancel --all     remove every job that has not started",
    "",
    "options:",
    ...REDIS_HELP,
    "  --format F       results as table (default), csv or json",
    "  --out FILE       write the results to FILE instead of stdout",
    "  --all            with cancel: every job that has not started",
  ],
  options: {
    redis: { type: "string" },
    queue: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    all: { type: "boolean" },
  },
  positionals: [1, 10_000],
  run: runJobs,
};

async function runJobs(ctx: CommandContext): Promise<number> {
  const [action, ...ids] = ctx.positionals;
  if (action !== "status" && action !== "results" && action !== "cancel") {
    throw new UsageError(`jobs ${JSON.stringify(action)}: expected status, results or cancel`, "jobs");
  }
  if (action !== "cancel" && ids.length > 0) {
    throw new UsageError(`jobs ${action} takes no job ids (got ${ids.join(" ")})`, "jobs");
  }
  const queue = stringFlag(ctx, "queue") ?? DEFAULT_QUEUE;
  const connection = await openRedis(redisFlag(ctx));
  try {
    if (action === "cancel") return await cancel(ctx, connection, queue, ids);
    const rows = await collectResults(connection, { queue });
    if (action === "status") {
      const counts = countStates(rows);
      if (ctx.json) {
        ctx.io.stdout(
          `${JSON.stringify({ ok: true, command: "jobs status", queue, counts, jobs: rows.map(({ result: _r, ...r }) => r) })}\n`,
        );
        return 0;
      }
      const lines = [formatTable([["state", "jobs"], ...JOB_STATES.map((s) => [s, String(counts[s])])])];
      const active = rows.filter((r) => r.state === "active");
      if (active.length > 0) {
        lines.push(
          "",
          formatTable([
            ["running", "worker", "attempt", "job"],
            ...active.map((r) => [r.id, r.worker ?? "-", String(r.attempts), r.name]),
          ]),
        );
      }
      const failed = rows.filter((r) => r.state === "failed");
      if (failed.length > 0) {
        lines.push(
          "",
          formatTable([
            ["failed", "attempts", "job", "error"],
            ...failed.map((r) => [r.id, String(r.attempts), r.name, (r.error ?? "").slice(0, 100)]),
          ]),
        );
      }
      ctx.io.stdout(`${lines.join("\n")}\n`);
      return 0;
    }
    const format = (stringFlag(ctx, "format", ["table", "csv", "json"]) ??
      (ctx.json ? "json" : "table")) as ResultsFormat;
    const text = `${formatResults(rows, format)}\n`;
    const out = stringFlag(ctx, "out");
    if (out === undefined) ctx.io.stdout(text);
    else {
      await writeFile(resolve(ctx.io.cwd, out), text);
      ctx.io.stderr(`${rows.length} job(s) written to ${out}\n`);
    }
    return 0;
  } finally {
    connection.disconnect();
  }
}

async function cancel(
  ctx: CommandContext,
  connection: Awaited<ReturnType<typeof openRedis>>,
  name: string,
  ids: readonly string[],
): Promise<number> {
  const all = ctx.flags.all === true;
  if (all === ids.length > 0)
    throw new UsageError("jobs cancel takes job ids or --all (one of them)", "jobs");
  const queue = new Queue(name, { connection });
  try {
    const removed: string[] = [];
    const kept: string[] = [];
    const targets = all
      ? (await queue.getJobs(["waiting", "delayed", "prioritized"], 0, -1)).flatMap((j) =>
          j?.id ? [j.id] : [],
        )
      : ids;
    for (const id of targets) {
      const job = await queue.getJob(id);
      if (job === undefined) {
        kept.push(`${id} (no such job)`);
        continue;
      }
      const state = await job.getState();
      if (state === "active") {
        kept.push(`${id} (running on ${job.processedBy ?? "a worker"}; it finishes)`);
        continue;
      }
      await job.remove();
      removed.push(id);
    }
    if (ctx.json) ctx.io.stdout(`${JSON.stringify({ ok: true, command: "jobs cancel", removed, kept })}\n`);
    else {
      ctx.io.stdout(
        `removed ${removed.length} job(s)${removed.length > 0 ? `: ${removed.join(", ")}` : ""}\n`,
      );
      for (const k of kept) ctx.io.stdout(`not removed: ${k}\n`);
    }
    return kept.some((k) => k.endsWith("(no such job)")) ? 1 : 0;
  } finally {
    await queue.close();
  }
}
