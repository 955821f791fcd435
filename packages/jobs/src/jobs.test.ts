import { readFile, readdir, writeFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type CliIo, runCli } from "@tunekit/cli";
import { listCheckpoints } from "@tunekit/core/trainer";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedis } from "./redis.js";
import { collectResults, formatResults, type ResultRow } from "./results.js";
import { expandSweep } from "./sweep.js";
import { startRedis, type TestRedis } from "./testing/redis-server.js";
import { REPO, spawnWorker, stopProcess, waitFor, writeToySweep } from "./testing/toy-sweep.js";

// A real redis-server on a free loopback port (append-only file, synced per write) and three
// worker processes (a pool of 2 and a single one) running jobs of a toy random BERT.

function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    isTTY: false,
    cwd: REPO,
  };
  return runCli(args, io).then((code) => ({ code, out, err }));
}

/** The parent process id of `pid` (Linux `/proc`), or undefined when it is gone. */
async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const ppid = stat === undefined ? Number.NaN : Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

describe("tunekit submit / worker / jobs over Redis", () => {
  let redis: TestRedis;
  let connection: Redis;
  let storage: string;
  const workers: ReturnType<typeof spawnWorker>[] = [];
  const logs = (): string => workers.map((w) => w.output().slice(-3000)).join("\n----\n");

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true });
    storage = await mkdtemp(join(tmpdir(), "tunekit-storage-"));
    const fast = ["--lock-duration", "2000", "--stalled-interval", "1000"];
    workers.push(spawnWorker(["--redis", redis.url, "--storage", storage, "--concurrency", "2", ...fast]));
    workers.push(spawnWorker(["--redis", redis.url, "--storage", storage, ...fast]));
    connection = await openRedis(redis.url);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w.child)));
    connection?.disconnect();
    await redis?.stop();
  });

  const completed = (rows: readonly ResultRow[], n: number): ResultRow[] | undefined =>
    rows.filter((r) => r.state === "completed").length >= n ? [...rows] : undefined;

  it("runs a 6-job sweep on 3 worker processes through a Redis restart; submitting again adds nothing", async () => {
    const toy = await writeToySweep({ epochs: 2 });
    const sweep = join(toy.dir, "sweep.yaml");
    await writeFile(sweep, "base: base.json\nstrategies: [full, lora, bitfit]\nseeds: [1, 2]\n");
    const first = await cli(["submit", sweep, "--redis", redis.url, "--json"]);
    expect(first.code, first.err).toBe(0);
    const submitted = JSON.parse(first.out) as { added: { id: string }[]; existing: unknown[] };
    expect(submitted.added).toHaveLength(6);
    const again = await cli(["submit", sweep, "--redis", redis.url, "--json"]);
    expect(JSON.parse(again.out)).toMatchObject({ added: [], existing: submitted.added });

    // restart Redis (SIGKILL) once the first job is done: the append-only file keeps every job
    await waitFor(async () => completed(await collectResults(connection), 1), {
      timeoutMs: 90_000,
      what: "the first finished job",
      context: logs,
    });
    await redis.restart();
    const rows = await waitFor(async () => completed(await collectResults(connection), 6), {
      timeoutMs: 120_000,
      what: "6 finished jobs",
      context: logs,
    });
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.id).sort()).toEqual(submitted.added.map((j) => j.id).sort());
    for (const r of rows) {
      expect(r.result?.steps).toBe(8); // 32 rows, batch 8, 2 epochs
      expect(r.result?.metrics.accuracy).toBeGreaterThanOrEqual(0);
      const onDisk = JSON.parse(await readFile(join(storage, r.id, "job-result.json"), "utf8"));
      expect(onDisk).toEqual(r.result);
    }
    const byStrategy = new Map(rows.map((r) => [r.result!.strategy, r.result!]));
    expect(byStrategy.get("lora")!.trainableParameters).toBeLessThan(
      byStrategy.get("full")!.trainableParameters,
    );
    expect(byStrategy.get("lora")!.adapterBytes).toBeLessThan(byStrategy.get("full")!.adapterBytes);

    const after = await cli(["submit", sweep, "--redis", redis.url, "--json"]);
    expect(JSON.parse(after.out).added).toEqual([]);
    const csv = await cli(["jobs", "results", "--redis", redis.url, "--format", "csv"]);
    expect(csv.code, csv.err).toBe(0);
    const lines = csv.out.trim().split("\n");
    expect(lines[0]).toContain(
      "id,name,state,worker,attempts,resumed_from_step,steps,train_loss,eval_loss,accuracy",
    );
    expect(lines).toHaveLength(7);
    const status = await cli(["jobs", "status", "--redis", redis.url, "--json"]);
    expect(JSON.parse(status.out).counts).toMatchObject({ completed: 6, failed: 0, waiting: 0, active: 0 });
  }, 240_000);

  it("a job stopped by SIGTERM, then SIGKILLed: other workers resume it from its checkpoints; weights equal an uninterrupted run's", async () => {
    const toy = await writeToySweep({ epochs: 12, trainRows: 48 });
    const sweep = join(toy.dir, "kill.yaml");
    await writeFile(sweep, "base: base.json\nstrategies: [lora]\nseeds: [5]\n");
    const sub = await cli(["submit", sweep, "--redis", redis.url, "--json"]);
    expect(sub.code, sub.err).toBe(0);
    const id = (JSON.parse(sub.out) as { added: { id: string }[] }).added[0]!.id;
    const dir = join(storage, id);
    // the process holding the run lock once the job has a checkpoint newer than `after`
    const holder = (after: number, not: number) => async () => {
      const ckpts = await listCheckpoints(join(dir, "checkpoints")).catch(() => []);
      const step = ckpts.at(-1)?.step ?? 0;
      if (step <= after) return undefined;
      const lock = await readFile(join(dir, ".tunekit-lock"), "utf8").catch(() => undefined);
      // the lock is held by the job's training process; its parent is the worker
      const trainer = lock === undefined ? undefined : (JSON.parse(lock) as { pid: number }).pid;
      const pid = trainer === undefined ? undefined : await parentPid(trainer);
      return pid === undefined || pid === not ? undefined : { pid, step };
    };
    // SIGTERM: the worker stops the job at a checkpoint and puts it back in the queue
    const stopped = await waitFor(holder(0, 0), {
      timeoutMs: 120_000,
      what: "a first checkpoint",
      everyMs: 20,
      context: logs,
    });
    process.kill(stopped.pid, "SIGTERM");
    // SIGKILL the worker that took it over, once it has written a newer checkpoint
    const killed = await waitFor(holder(stopped.step, stopped.pid), {
      timeoutMs: 120_000,
      what: "another worker's checkpoint of the job",
      everyMs: 20,
      context: logs,
    });
    process.kill(killed.pid, "SIGKILL");
    const [row] = await waitFor(
      async () => {
        const r = (await collectResults(connection)).filter((x) => x.id === id && x.state === "completed");
        return r.length === 1 ? r : undefined;
      },
      { timeoutMs: 120_000, what: "the resumed job to finish", context: logs },
    );
    const result = row!.result!;
    expect(result.steps).toBe(72); // 48 rows, batch 8, 12 epochs
    expect(result.resumedFromStep).toBeGreaterThanOrEqual(killed.step); // not step 0
    expect(killed.step).toBeGreaterThan(stopped.step); // the second worker resumed too
    expect(result.attempt).toBeGreaterThanOrEqual(3);
    expect([stopped.pid, killed.pid].map((pid) => `${hostname()}-${pid}`)).not.toContain(result.worker);

    // the same config trained in one go
    const config = JSON.parse(await readFile(join(dir, "job-config.json"), "utf8"));
    const fresh = join(toy.dir, "uninterrupted");
    const file = join(toy.dir, "uninterrupted.json");
    await writeFile(file, JSON.stringify({ ...config, output: fresh }));
    const straight = await cli(["train", file, "--json"]);
    expect(straight.code, straight.err).toBe(0);
    const names = (await readdir(join(dir, "adapter"))).filter((n) => n.endsWith(".safetensors"));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) {
      const resumed = await readFile(join(dir, "adapter", n));
      const uninterrupted = await readFile(join(fresh, "adapter", n));
      expect(resumed.equals(uninterrupted), `${n} differs`).toBe(true);
    }
    expect(result.metrics).toEqual(JSON.parse(straight.out).evaluation.metrics);
  }, 300_000);

  it("a poisoned config fails at once; a failing job is retried, then kept in the failed set with its error", async () => {
    const toy = await writeToySweep({ epochs: 1 });
    // passes tunekit's config validation, fails when the data set config is read (exit 2)
    await writeFile(join(toy.dir, "broken-data.json"), JSON.stringify({ name: "x", format: "nope" }));
    // a tokenizer folder that is missing: a runtime error (exit 1), retried
    const sweep = join(toy.dir, "bad.yaml");
    await writeFile(
      sweep,
      [
        "base: base.json",
        "list:",
        "  - { data.config: broken-data.json }",
        "  - { tokenizer: no-such-tokenizer }",
      ].join("\n"),
    );
    const sub = await cli([
      "submit",
      sweep,
      "--redis",
      redis.url,
      "--attempts",
      "2",
      "--backoff",
      "200",
      "--json",
    ]);
    expect(sub.code, sub.err).toBe(0);
    const ids = (JSON.parse(sub.out) as { added: { id: string; name: string }[] }).added;
    const failed = await waitFor(
      async () => {
        const r = (await collectResults(connection)).filter(
          (x) => ids.some((j) => j.id === x.id) && x.state === "failed",
        );
        return r.length === 2 ? r : undefined;
      },
      { timeoutMs: 120_000, what: "2 failed jobs", context: logs },
    );
    const poisoned = failed.find((r) => r.name.includes("broken-data"))!;
    const flaky = failed.find((r) => r.name.includes("no-such-tokenizer"))!;
    expect(poisoned.attempts).toBe(1);
    expect(poisoned.error).toContain("CONFIG_INVALID");
    expect(flaky.attempts).toBe(2);
    expect(flaky.error).toContain("no-such-tokenizer");
    const table = formatResults(failed, "table");
    expect(table).toContain("failed");

    // a sweep with a bad value is refused before anything is queued, naming the job
    await writeFile(sweep, "base: base.json\ngrid:\n  training.lr: [0.001, -1]\n");
    const refused = await cli(["submit", sweep, "--redis", redis.url]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("(job training.lr=-1): training.lr is -1");
    const queued = (await collectResults(connection)).map((r) => r.id);
    const valid = await expandSweep(
      { base: "base.json", grid: { "training.lr": [0.001] } },
      { source: "s", dir: toy.dir, cwd: toy.dir },
    );
    expect(queued).not.toContain(valid[0]!.id); // the valid job of the refused sweep was not queued

    const status = await cli(["jobs", "status", "--redis", redis.url]);
    expect(status.out).toMatch(new RegExp(`${poisoned.id} +1 +data\\.config=broken-data\\.json +`));
    expect(status.out).toMatch(new RegExp(`${flaky.id} +2 +tokenizer=no-such-tokenizer +`));
    const cancel = await cli(["jobs", "cancel", poisoned.id, "job-0000000000000000", "--redis", redis.url]);
    expect(cancel.code).toBe(1); // one id is unknown
    expect(cancel.out).toContain(`removed 1 job(s): ${poisoned.id}`);
    expect(cancel.out).toContain("not removed: job-0000000000000000 (no such job)");
    expect((await collectResults(connection)).map((r) => r.id)).not.toContain(poisoned.id);
  }, 200_000);
});
