import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { expandSweep, jobId, MAX_SWEEP_JOBS, readSweepFile } from "./sweep.js";
import { writeToySweep } from "./testing/toy-sweep.js";

const where = (dir: string) => ({ source: "sweep.yaml", dir, cwd: dir });

async function configError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isTunekitError(e, "CONFIG_INVALID"), String(e)).toBe(true);
  return (e as Error).message;
}

describe("sweep files", () => {
  it("expands set + tasks x strategies x grid x list x seeds in order, with paths made absolute", async () => {
    const toy = await writeToySweep();
    await writeFile(
      join(toy.dir, "sweep.yaml"),
      [
        "base: base.json",
        "set: { training.maxLength: 12 }",
        "tasks:",
        "  a: { data.maxRows.train: 16 }",
        "  b: { data.maxRows.train: 24 }",
        "strategies: [full, { method: lora, r: 4 }]",
        "grid:",
        "  training.lr: [0.001, 0.002, 0.003]",
        "list:",
        "  - { training.batchSize: 4 }",
        "  - { training.batchSize: 8, training.warmupSteps: 1 }",
        "seeds: [1, 2]",
      ].join("\n"),
    );
    const jobs = await readSweepFile(join(toy.dir, "sweep.yaml"), "/");
    expect(jobs).toHaveLength(2 * 2 * 3 * 2 * 2);
    expect(jobs[0]!.name).toBe("task=a strategy=full training.lr=0.001 training.batchSize=4 seed=1");
    expect(jobs.at(-1)!.name).toBe(
      'task=b strategy={"method":"lora","r":4} training.lr=0.003 training.batchSize=8 training.warmupSteps=1 seed=2',
    );
    const last = jobs.at(-1)!.config as {
      strategy: unknown;
      training: unknown;
      output?: unknown;
      data: { baseDir: string; maxRows: { train: number } };
    };
    expect(last.strategy).toEqual({ method: "lora", r: 4 });
    expect(last.training).toMatchObject({ lr: 0.003, batchSize: 8, warmupSteps: 1, seed: 2, maxLength: 12 });
    expect(last.data.maxRows.train).toBe(24);
    expect(last.data.baseDir).toBe(toy.dir);
    expect(last.output).toBeUndefined();
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    expect(jobs[0]!.params).toEqual({
      task: "a",
      strategy: "full",
      "training.lr": "0.001",
      list: { "training.batchSize": 4 },
      seed: "1",
    });
    // same sweep, same ids
    expect((await readSweepFile(join(toy.dir, "sweep.yaml"), "/")).map((j) => j.id)).toEqual(
      jobs.map((j) => j.id),
    );
  });

  it("keeps Hugging Face Hub ids of model.path / tokenizer (each worker resolves them in its Hub cache)", async () => {
    const toy = await writeToySweep();
    const base = { ...toy.config, model: { path: "prajjwal1/bert-tiny" }, tokenizer: "bert-base-uncased" };
    const [hub] = await expandSweep({ base }, where(toy.dir));
    expect(hub!.config).toMatchObject({
      model: { path: "prajjwal1/bert-tiny" },
      tokenizer: "bert-base-uncased",
    });
    // a relative folder that exists is a path, made absolute
    const [local] = await expandSweep({ base: { ...base, tokenizer: "." } }, where(toy.dir));
    expect(local!.config.tokenizer).toBe(toy.dir);
    const [folder] = await expandSweep({ base: { ...base, model: { path: "./models/x" } } }, where(toy.dir));
    expect(folder!.config.model).toEqual({ path: join(toy.dir, "models/x") });
  });

  it("ids hash the config: key order and output do not matter, any value does", () => {
    const a = { training: { lr: 1e-3, seed: 1 }, strategy: "lora", output: "x" };
    expect(jobId(a)).toBe(jobId({ strategy: "lora", training: { seed: 1, lr: 1e-3 }, output: "y" }));
    expect(jobId(a)).not.toBe(jobId({ ...a, training: { lr: 1e-3, seed: 2 } }));
    expect(jobId(a)).toMatch(/^job-[0-9a-f]{16}$/);
  });

  it("validates every job with the train config validator, naming the job", async () => {
    const toy = await writeToySweep();
    const msg = await configError(
      expandSweep({ base: "base.json", grid: { "training.lr": [0.001, -1] } }, where(toy.dir)),
    );
    expect(msg).toContain("sweep.yaml (job training.lr=-1): training.lr is -1");
    const typo = await configError(
      expandSweep({ base: "base.json", strategies: ["lora", "lorra"] }, where(toy.dir)),
    );
    expect(typo).toContain("strategy=lorra");
  });

  it("refuses hostile or mistaken sweeps with CONFIG_INVALID", async () => {
    const toy = await writeToySweep();
    const base = toy.config;
    const cases: [unknown, string][] = [
      [null, "(top level) is null; expected an object"],
      [{ base }, ""],
      [{ base: 42 }, "base is 42"],
      [{ base, grid: { "__proto__.polluted": [1] } }, "a config key path"],
      [{ base, grid: { "training..lr": [1] } }, "a config key path"],
      [{ base, grid: { output: ["elsewhere"] } }, "any key but output"],
      [{ base, grid: { "training.lr": [] } }, "a non-empty list"],
      [{ base, grid: { "training.lr": 0.1 } }, "a non-empty list"],
      [{ base, seeds: [1, -2] }, "seeds[1] is -2"],
      [{ base, tasks: {} }, "at least one task"],
      [{ base, list: [{}] }, "at least one dot.path"],
      [{ base, seeds: [1, 1] }, "every job to differ"],
      [{ base, gird: {} }, 'did you mean "grid"'],
      [{ base: { ...base, stages: [] } }, "stages"],
      [
        {
          base,
          grid: Object.fromEntries(["a", "b", "c", "d", "e"].map((k) => [`training.${k}`, range(20)])),
        },
        `at most ${MAX_SWEEP_JOBS} jobs`,
      ],
    ];
    for (const [raw, expected] of cases) {
      if (expected === "") {
        expect(await expandSweep(raw, where(toy.dir))).toHaveLength(1);
        continue;
      }
      expect(await configError(expandSweep(raw, where(toy.dir)))).toContain(expected);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const missing = await expandSweep({ base: "missing.json" }, where(toy.dir)).catch((e: unknown) => e);
    expect(isTunekitError(missing, "IO_ERROR") && missing.message).toContain("missing.json");
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
