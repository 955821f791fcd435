import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { resolveClassWeights } from "./config/class-balance.js";
import { parseTrainConfig } from "./config/train-config.js";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// training.classWeights, training.sampling, training.evalEvery ("epoch" | N | "never") and
// training.checkpointEvery: validation errors name the key, and a real train run applies them.
const base = {
  model: { random: {} },
  tokenizer: "tok",
  data: { config: "d.json" },
  output: "out",
};

function configError(training: Record<string, unknown>): string {
  try {
    parseTrainConfig(
      { ...base, training: { epochs: 1, ...training } },
      { source: "t.json", configDir: "/", cwd: "/" },
    );
  } catch (e) {
    if (isTunekitError(e, "CONFIG_INVALID")) return e.message;
    throw e;
  }
  throw new Error("expected a CONFIG_INVALID error");
}

describe("training config: class balance and the evaluation schedule", () => {
  it("accepts the documented forms", () => {
    const parse = (training: Record<string, unknown>) =>
      parseTrainConfig(
        { ...base, training: { epochs: 1, ...training } },
        { source: "t.json", configDir: "/", cwd: "/" },
      ).training;
    expect(parse({ evalEvery: "never", checkpointEvery: 50 })).toMatchObject({
      evalEvery: "never",
      checkpointEvery: 50,
    });
    expect(parse({ evalEvery: "epoch" }).evalEvery).toBe("epoch");
    expect(parse({ evalEvery: 20 }).evalEvery).toBe(20);
    expect(parse({ classWeights: "balanced", sampling: "balanced" })).toMatchObject({
      classWeights: { kind: "balanced" },
      sampling: "balanced",
    });
    expect(parse({ classWeights: [1, 2.5] }).classWeights).toEqual({ kind: "list", weights: [1, 2.5] });
    expect(parse({ classWeights: { positive: 3 } }).classWeights).toEqual({
      kind: "by-name",
      weights: { positive: 3 },
    });
  });

  it("names the key, the value received and what is allowed", () => {
    expect(configError({ evalEvery: "sometimes" })).toBe(
      't.json: training.evalEvery is "sometimes"; expected a positive integer (updates), "epoch" or "never"',
    );
    expect(configError({ evalEvery: 0 })).toMatch(/training\.evalEvery is 0; expected an integer >= 1/);
    expect(configError({ checkpointEvery: -3 })).toMatch(
      /training\.checkpointEvery is -3; expected an integer >= 1/,
    );
    expect(configError({ sampling: "oversample" })).toBe(
      't.json: training.sampling is "oversample"; expected one of "shuffle", "balanced"',
    );
    expect(configError({ classWeights: "inverse" })).toMatch(
      /training\.classWeights is "inverse"; expected "balanced", a list of positive numbers .* or an object of positive numbers by label name/,
    );
    expect(configError({ classWeights: [1, 0] })).toMatch(/training\.classWeights is \[1,0\]/);
    expect(configError({ classWeights: { positive: "x" } })).toMatch(
      /training\.classWeights\.positive is "x"; expected a positive number/,
    );
    expect(configError({ evalEvery: "never", earlyStopping: { patience: 2 } })).toMatch(
      /training\.earlyStopping is \{"patience":2\}; expected to be left out when training\.evalEvery is "never"/,
    );
  });

  it("resolves weights against the data set's labels", () => {
    const labels = ["negative", "neutral", "positive"];
    const train = Int32Array.of(0, 0, 0, 0, 1, 2, 2, 2);
    // balanced: n / (k * count) = 8 / (3 * [4, 1, 3])
    const balanced = resolveClassWeights({ kind: "balanced" }, labels, train, "t.json");
    for (const [i, w] of [8 / 12, 8 / 3, 8 / 9].entries()) expect(balanced[i]).toBeCloseTo(w, 12);
    expect(
      resolveClassWeights({ kind: "by-name", weights: { neutral: 4 } }, labels, train, "t.json"),
    ).toEqual([1, 4, 1]);
    expect(() =>
      resolveClassWeights({ kind: "by-name", weights: { neutrl: 4 } }, labels, train, "t.json"),
    ).toThrow(/"neutrl" is not a label of the data set \[negative, neutral, positive\]/);
    expect(() => resolveClassWeights({ kind: "list", weights: [1, 2] }, labels, train, "t.json")).toThrow(
      /training\.classWeights is \[1,2\]; expected 3 weights, one per label in order/,
    );
  });
});

describe("tunekit train with class balance and evaluation switches", () => {
  it("--eval-every never: no evaluation during training, final weights kept; balanced weights and sampling applied", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-balance-"));
    const io = captureIo({ cwd: REPO });
    const code = await runCli(
      [
        "train",
        "examples/sst2-tiny.json",
        ...smallRunFlags({ train: 48, validation: 16, maxLength: 32 }),
        "--max-steps",
        "3",
        "--eval-every",
        "never",
        "--checkpoint-every",
        "1",
        "--set",
        "training.classWeights=balanced",
        "--set",
        "training.sampling=balanced",
        "--output",
        out,
        "--json",
      ],
      io,
    );
    expect(code, io.err()).toBe(EXIT.ok);
    const summary = JSON.parse(io.out()) as {
      evaluations: unknown[];
      best: unknown;
      steps: number;
      evaluation: { classes: { perClass: Record<string, { support: number }> } };
    };
    expect(summary.steps).toBe(3);
    expect(summary.evaluations).toEqual([]);
    expect(summary.best).toBeNull();
    expect(io.err()).toContain('training.evalEvery is "never"');
    expect(io.err()).toContain("the final weights are kept");
    // balanced weights from the 48 train rows: n / (2 * count)
    const rows = (await readFile(join(REPO, "../shared/data/sst2/train.tsv"), "utf8"))
      .split("\n")
      .slice(1, 49);
    const positives = rows.filter((r) => r.endsWith("\t1")).length;
    const w = (count: number): string => String(Math.round((48 / (2 * count)) * 1e4) / 1e4);
    expect(io.err()).toContain(`class weights: negative ${w(48 - positives)}, positive ${w(positives)}`);
    expect(io.err()).toContain("balanced sampling");
    // the final model is still scored, with per-class support of the 16 validation rows
    const support = Object.values(summary.evaluation.classes.perClass).reduce((s, c) => s + c.support, 0);
    expect(support).toBe(16);
    // --checkpoint-every 1: a checkpoint per update (the newest is kept), and the SVG beside metrics.json
    const files = await readdir(out);
    expect(files).toContain("confusion-matrix.svg");
    expect(io.err()).toMatch(/checkpoint-1\b/);
    expect(io.err()).toMatch(/checkpoint-2\b/);
  }, 120_000);

  it("--eval-every and --checkpoint-every go through the config's validation", async () => {
    for (const [flag, value, message] of [
      [
        "--eval-every",
        "sometimes",
        'training.evalEvery is "sometimes"; expected a positive integer (updates), "epoch" or "never"',
      ],
      ["--checkpoint-every", "0", '--checkpoint-every is "0"; expected a positive integer'],
    ] as const) {
      const io = captureIo({ cwd: REPO });
      const code = await runCli(["train", "examples/sst2-tiny.json", flag, value, "--output", "unused"], io);
      expect(code).toBe(EXIT.usageError);
      expect(io.err()).toContain(message);
    }
  });

  it("refuses balanced sampling for regression, naming the key", async () => {
    const io = captureIo({ cwd: REPO });
    const code = await runCli(
      [
        "train",
        "examples/stsb-tiny.yaml",
        ...smallRunFlags({ train: 16 }),
        "--max-steps",
        "1",
        "--set",
        "training.sampling=balanced",
        "--output",
        await mkdtemp(join(tmpdir(), "tunekit-balance-")),
      ],
      io,
    );
    expect(code).toBe(EXIT.usageError);
    expect(io.err()).toContain('training.sampling is "balanced"; expected it left out for task regression');
  }, 60_000);
});
