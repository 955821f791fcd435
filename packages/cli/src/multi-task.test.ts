import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO } from "./testing/small-run.js";

// A `tasks` mixture trains one model with a head per task from one config; evaluate and
// predict pick a head with --task.
const tiny = { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64, seed: 0 } };
const task = (name: string, config: string, rows: number, extra: Record<string, unknown> = {}) => ({
  name,
  data: {
    config: join(REPO, "examples/data", config),
    baseDir: REPO,
    maxRows: { train: rows, validation: 24, test: 8 },
  },
  ...extra,
});

async function writeConfig(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, "mt.json");
  const config = {
    model: tiny,
    tokenizer: join(REPO, "examples/models/bert-4l-h128"),
    tasks: [
      task("sst2", "sst2.json", 48),
      task("stsb", "stsb.json", 32, { metric: "spearman", lossWeight: 0.5 }),
      task("rte", "rte.json", 16),
    ],
    sampling: { strategy: "temperature", temperature: 2 },
    batching: "mixed",
    training: { lr: 1e-3, maxSteps: 6, evalEvery: 3, batchSize: 8, maxLength: 32, seed: 1 },
    output: join(dir, "run"),
    ...extra,
  };
  await writeFile(path, JSON.stringify(config));
  return path;
}

describe("tunekit train with a tasks mixture", () => {
  it("trains one model with a head per task, reports per-task and macro metrics, saves a multi-task folder; evaluate/predict take --task", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-mt-cli-"));
    const config = await writeConfig(dir);
    const io = captureIo({ cwd: REPO });
    const code = await runCli(["train", config, "--json"], io);
    expect(code, io.err()).toBe(EXIT.ok);
    expect(io.err()).toMatch(/mixture of 3 tasks, mixed batches/);
    expect(io.err()).toMatch(/task stsb: data stsb, train 32 rows, validation 24 rows; regression/);
    const summary = JSON.parse(io.out()) as {
      evaluation: { metrics: Record<string, number> };
      best: { metric: string };
    };
    const m = summary.evaluation.metrics;
    expect(Object.keys(m)).toContain("sst2/accuracy");
    expect(Object.keys(m)).toContain("stsb/spearman");
    expect(m.macro).toBeCloseTo((m["sst2/accuracy"]! + m["stsb/spearman"]! + m["rte/accuracy"]!) / 3, 10);
    expect(summary.best.metric).toBe("macro");
    const saved = JSON.parse(await readFile(join(dir, "run/model/config.json"), "utf8")) as {
      architectures: string[];
      task_heads: { name: string; kind: string; lossWeight: number }[];
    };
    expect(saved.architectures).toEqual(["MultiTaskModel"]);
    expect(saved.task_heads.map((h) => [h.name, h.kind, h.lossWeight])).toEqual([
      ["sst2", "classification", 1],
      ["stsb", "regression", 0.5],
      ["rte", "classification", 1],
    ]);

    const ev = captureIo({ cwd: REPO });
    expect(await runCli(["evaluate", join(dir, "run"), "--task", "stsb", "--json"], ev), ev.err()).toBe(
      EXIT.ok,
    );
    const stsb = JSON.parse(ev.out()) as { metrics: Record<string, number> };
    expect(stsb.metrics.spearman).toBeCloseTo(m["stsb/spearman"]!, 5);

    const pr = captureIo({ cwd: REPO });
    const out = join(dir, "rte.jsonl");
    const args = [
      "predict",
      join(dir, "run"),
      "--task",
      "rte",
      "--split",
      "validation",
      "--out",
      out,
      "--format",
      "jsonl",
    ];
    expect(await runCli(args, pr), pr.err()).toBe(EXIT.ok);
    const rows = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { label: string });
    expect(rows).toHaveLength(24);
    expect(rows.every((r) => r.label === "entailment" || r.label === "not_entailment")).toBe(true);

    const missing = captureIo({ cwd: REPO });
    expect(await runCli(["evaluate", join(dir, "run")], missing)).toBe(EXIT.usageError);
    expect(missing.err()).toMatch(/multi-task model with tasks sst2, stsb, rte: pass --task NAME/);
  });

  for (const strategy of [
    { method: "hyperformer++", reductionFactor: 8 },
    { method: "task-adapters", adapter: { method: "lora", r: 4 } },
    "head-only",
  ]) {
    const name = typeof strategy === "string" ? strategy : strategy.method;
    it(`strategy ${name} over the mixture: only its own parameters train; evaluate --task rebuilds the model`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "tunekit-mt-cli-"));
      const config = await writeConfig(dir, { strategy });
      const io = captureIo({ cwd: REPO });
      expect(await runCli(["train", config, "--json"], io), io.err()).toBe(EXIT.ok);
      const summary = JSON.parse(io.out()) as {
        parameters: { total: number; trainable: number };
        evaluation: { metrics: Record<string, number> };
      };
      expect(summary.parameters.trainable).toBeLessThan(summary.parameters.total / 2);
      expect(summary.parameters.trainable).toBeGreaterThan(0);
      const ev = captureIo({ cwd: REPO });
      expect(await runCli(["evaluate", join(dir, "run"), "--task", "sst2", "--json"], ev), ev.err()).toBe(
        EXIT.ok,
      );
      const sst2 = JSON.parse(ev.out()) as { metrics: Record<string, number> };
      expect(sst2.metrics.accuracy).toBeCloseTo(summary.evaluation.metrics["sst2/accuracy"]!, 5);
    });
  }

  it("info reports each method's cost per task: shared, per added task, stored, against full copies", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-mt-cli-"));
    const config = await writeConfig(dir);
    const io = captureIo({ cwd: REPO });
    const args = [
      "info",
      config,
      "--strategy",
      "full",
      "--strategy",
      "houlsby",
      "--strategy",
      "hyperformer++",
      "--json",
    ];
    expect(await runCli(args, io), io.err()).toBe(EXIT.ok);
    const info = JSON.parse(io.out()) as {
      tasks: string[];
      strategies: { method: string; trainable: number }[];
      perTask: {
        method: string;
        sharedTrainable: number;
        perTask: number;
        stored: number;
        fullCopies: number;
      }[];
    };
    expect(info.tasks).toEqual(["sst2", "stsb", "rte"]);
    // heads: sst2 and rte 2 labels, stsb 1 output, hidden 32 → (66 + 33 + 66) / 3 per task
    const head = (2 * 33 + 33 + 2 * 33) / 3;
    const [full, houlsby, hyper] = info.perTask;
    expect(full!.perTask).toBeCloseTo(head, 10);
    expect(full!.fullCopies).toBe(3 * (full!.stored - 3 * head) + 3 * head);
    expect(houlsby!.sharedTrainable + 3 * head).toBe(info.strategies[1]!.trainable); // adapters shared, heads train
    expect(hyper!.perTask).toBeCloseTo(head + 64, 10); // one task embedding (t = 64) and a head
    expect(hyper!.stored).toBeLessThan(hyper!.fullCopies / 2);
  });

  it("config errors name the key path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-mt-cli-"));
    const bad = async (extra: Record<string, unknown>, re: RegExp): Promise<void> => {
      const io = captureIo({ cwd: REPO });
      expect(await runCli(["train", await writeConfig(dir, extra)], io)).not.toBe(EXIT.ok);
      expect(io.err()).toMatch(re);
    };
    await bad({ data: { config: "x.json" } }, /data .*to be left out when tasks is given/);
    await bad({ tasks: [] }, /tasks .*a non-empty list of tasks/);
    await bad(
      { tasks: [task("a", "sst2.json", 8), task("a", "rte.json", 8)] },
      /tasks\[1\]\.name .*a name no other task has/,
    );
    await bad({ tasks: [{ name: "a", data: { config: "sst2.json", zzz: 1 } }] }, /tasks\[0\]\.data/);
    await bad({ sampling: { strategy: "zipf" } }, /sampling\.strategy/);
    await bad(
      { tasks: [task("a", "sst2.json", 8, { metric: "pearson" })] },
      /tasks\["a"\]\.metric is "pearson"; expected a classification metric/,
    );
  });
});
