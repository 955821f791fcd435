import { type CliCommand, type CommandContext, formatTable, intFlag, stringFlag } from "@tunekit/cli";
import { redactUrl, openRedis } from "../redis.js";
import { submitJobs } from "../submit.js";
import { readSweepFile } from "../sweep.js";
import { redisFlag, REDIS_HELP } from "./redis-flag.js";

/** `tunekit submit SWEEP`: expands a sweep file into jobs and adds the new ones to the queue. */
export const submitCommand: CliCommand = {
  name: "submit",
  summary: "expand a sweep file into training jobs and queue them for tunekit worker",
  usage:
    "tunekit submit SWEEP [--redis URL] [--queue NAME] [--attempts N] [--backoff MS] [--dry-run] [--json]",
  help: [
    "SWEEP is a .json, .yaml or .yml file: base (a train config file or an inline config),",
    "and any of tasks, strategies, grid, list, seeds (see docs/scaling-out.md). Every job is",
    "validated like tunekit train validates a config before anything is queued. Job ids are a",
    "hash of each job's config: submitting the same sweep again adds nothing.",
    "",
    "options:",
    ...REDIS_HELP,
    "  --attempts N     starts a job may have before it fails for good (default 3; config",
    "                   errors fail at once)",
    "  --backoff MS     delay before the first retry, doubled for each further one (default 10000)",
    "  --dry-run        print the jobs without queueing them (no Redis needed)",
  ],
  options: {
    redis: { type: "string" },
    queue: { type: "string" },
    attempts: { type: "string" },
    backoff: { type: "string" },
    "dry-run": { type: "boolean" },
  },
  positionals: 1,
  run: runSubmit,
};

async function runSubmit(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const file = ctx.positionals[0]!;
  const jobs = await readSweepFile(file, io.cwd);
  const queue = stringFlag(ctx, "queue");
  if (ctx.flags["dry-run"] === true) {
    if (ctx.json) io.stdout(`${JSON.stringify({ ok: true, command: "submit", dryRun: true, jobs })}\n`);
    else
      io.stdout(
        `${formatTable([["id", "job"], ...jobs.map((j) => [j.id, j.name])])}\n${jobs.length} job(s)\n`,
      );
    return 0;
  }
  const url = redisFlag(ctx);
  const attempts = intFlag(ctx, "attempts");
  const backoffMs = intFlag(ctx, "backoff");
  const connection = await openRedis(url);
  try {
    const report = await submitJobs(connection, jobs, {
      sweep: file,
      ...(queue === undefined ? {} : { queue }),
      ...(attempts === undefined ? {} : { attempts }),
      ...(backoffMs === undefined ? {} : { backoffMs }),
    });
    const added = new Set(report.added.map((j) => j.id));
    if (ctx.json) {
      io.stdout(
        `${JSON.stringify({
          ok: true,
          command: "submit",
          queue: queue ?? "tunekit",
          added: report.added.map((j) => ({ id: j.id, name: j.name })),
          existing: report.existing.map((j) => ({ id: j.id, name: j.name })),
        })}\n`,
      );
    } else {
      const rows = jobs.map((j) => [j.id, added.has(j.id) ? "queued" : "already there", j.name]);
      io.stdout(`${formatTable([["id", "submit", "job"], ...rows])}\n`);
      io.stdout(
        `${report.added.length} job(s) queued, ${report.existing.length} already in the queue, on ${redactUrl(url)}\n`,
      );
    }
    return 0;
  } finally {
    connection.disconnect();
  }
}
