import { isTunekitError, type TunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { parseTrainConfig } from "./train-config.js";

const where = { source: "train.json", configDir: "/repo/examples", cwd: "/srv" };
const minimal = {
  model: { random: { layers: 1, hidden: 32, heads: 2 } },
  tokenizer: "tok",
  data: { config: "data/sst2.json", baseDir: ".." },
  training: { epochs: 1 },
  output: "runs/x",
};

function errorOf(raw: unknown): TunekitError {
  try {
    parseTrainConfig(raw, where);
  } catch (e) {
    if (isTunekitError(e)) return e;
    throw e;
  }
  throw new Error("expected a TunekitError");
}

describe("parseTrainConfig", () => {
  it("fills defaults and resolves inputs against the config folder, output against cwd", () => {
    const c = parseTrainConfig(minimal, where);
    expect(c.model).toEqual({
      kind: "random",
      layers: 1,
      hidden: 32,
      heads: 2,
      intermediate: 128,
      maxPositions: 512,
      seed: 0,
    });
    expect(c.tokenizer).toBe("/repo/examples/tok");
    expect(c.data).toEqual({
      configPath: "/repo/examples/data/sst2.json",
      baseDir: "/repo",
      maxRows: {},
      evalSplit: "validation",
    });
    expect(c.output).toBe("/srv/runs/x");
    expect(c.backend).toEqual({ name: "onnx" });
    expect(
      parseTrainConfig({ ...minimal, backend: { name: "onnx", providers: ["webgpu", "cpu"] } }, where)
        .backend,
    ).toEqual({
      name: "onnx",
      providers: ["webgpu", "cpu"],
    });
    expect(c.strategy).toEqual({ method: "full", options: {} });
    expect(c.training).toMatchObject({
      lr: 5e-5,
      epochs: 1,
      batchSize: 32,
      maxLength: 128,
      schedule: "linear",
      seed: 42,
      dropout: true,
    });
    expect(c.task).toBeUndefined();
  });

  it("accepts a pre-trained model path, a tfjs backend with an engine and a strategy block", () => {
    const c = parseTrainConfig(
      {
        ...minimal,
        model: { path: "/models/bert" },
        backend: { name: "tfjs", engine: "wasm" },
        strategy: { method: "head-only", trainable: ["bert.pooler"] },
      },
      where,
    );
    expect(c.model).toEqual({ kind: "pretrained", path: "/models/bert" });
    expect(c.backend).toEqual({ name: "tfjs", engine: "wasm" });
    expect(c.strategy).toEqual({ method: "head-only", options: { trainable: ["bert.pooler"] } });
  });

  it("names the key path, the value and the allowed values", () => {
    const e = errorOf({ ...minimal, backend: "cuda" });
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toBe('train.json: backend is "cuda"; expected one of "onnx", "tfjs"');
    expect(errorOf({ ...minimal, training: { epochs: 1, lr: -1 } }).message).toBe(
      "train.json: training.lr is -1; expected a number > 0, e.g. 5e-5",
    );
    expect(errorOf({ ...minimal, training: { epochs: 1.5 } }).message).toContain(
      "training.epochs is 1.5; expected an integer >= 1",
    );
    expect(errorOf({ ...minimal, task: "ner" }).message).toContain(
      'task is "ner"; expected one of "sequence-classification", "regression"',
    );
    expect(errorOf({ ...minimal, training: { epochs: 1, schedule: "step" } }).message).toContain(
      'training.schedule is "step"; expected one of "constant", "linear", "cosine"',
    );
  });

  it("suggests the nearest key for a typo", () => {
    const e = errorOf({ ...minimal, training: { epochs: 1, learningRate: 1e-3, bathSize: 8 } });
    expect(e.message).toContain("training.learningRate is 0.001; expected no such key");
    const typo = errorOf({ ...minimal, training: { epochs: 1, bathSize: 8 } });
    expect(typo.message).toContain(
      'training.bathSize is 8; expected no such key (did you mean "batchSize"?)',
    );
  });

  it("rejects missing or contradictory settings", () => {
    expect(errorOf({ ...minimal, training: {} }).message).toContain(
      "training.epochs is missing; expected training.epochs (e.g. 3) or training.maxSteps",
    );
    expect(errorOf({ ...minimal, model: { path: "a", random: {} } }).message).toContain("model is");
    expect(errorOf({ ...minimal, model: { random: { hidden: 30, heads: 4 } } }).message).toContain(
      "model.random.heads is 4; expected a divisor of model.random.hidden (30)",
    );
    expect(errorOf({ ...minimal, backend: { name: "onnx", engine: "wasm" } }).message).toContain(
      'backend.engine is "wasm"; expected nothing unless backend.name is "tfjs"',
    );
    expect(errorOf({ ...minimal, backend: { name: "tfjs", providers: ["webgpu"] } }).message).toContain(
      'backend.providers is ["webgpu"]; expected nothing unless backend.name is "onnx"',
    );
    expect(errorOf({ ...minimal, backend: { name: "onnx", providers: [] } }).message).toContain(
      'backend.providers is []; expected a non-empty list of "webgpu", "cuda", "cpu"',
    );
    expect(errorOf({ ...minimal, backend: { name: "onnx", providers: ["metal"] } }).message).toContain(
      'backend.providers[0] is "metal"; expected one of "cpu", "cuda", "webgpu"',
    );
    expect(
      errorOf({ ...minimal, training: { epochs: 1, warmupSteps: 10, warmupRatio: 0.1 } }).message,
    ).toContain("training.warmupRatio is 0.1; expected to be left out when training.warmupSteps is given");
    expect(errorOf({ ...minimal, strategy: "lora2" }).message).toContain(
      'strategy is "lora2"; expected one of "full", "head-only", "lora"',
    );
    expect(errorOf({ ...minimal, data: { config: 5 } }).message).toContain(
      "data.config is 5; expected a path to a data set config",
    );
    expect(errorOf({ ...minimal, output: "" }).message).toBe(
      'train.json: output is ""; expected a non-empty string',
    );
    expect(errorOf([]).message).toBe("train.json: (top level) is []; expected an object");
  });

  it("validates an inline data set config with core's parser", () => {
    const e = errorOf({ ...minimal, data: { config: { format: "xml", splits: {} } } });
    expect(e.message).toContain("train.json: data.config: format must be one of tsv, csv");
    const ok = parseTrainConfig(
      {
        ...minimal,
        data: {
          config: { format: "tsv", columns: { text: "t", label: "l" }, splits: { train: "a.tsv" } },
          maxRows: { train: 10 },
        },
      },
      where,
    );
    expect(ok.data.inline?.format).toBe("tsv");
    expect(ok.data.baseDir).toBe("/repo/examples");
    expect(ok.data.maxRows).toEqual({ train: 10 });
  });
});

describe("training.optimizerOnHost / hostThreads", () => {
  it("are passed through when given and left out otherwise", () => {
    const withHost = parseTrainConfig(
      { ...minimal, training: { epochs: 1, optimizerOnHost: true, hostThreads: 2 } },
      where,
    );
    expect(withHost.training).toMatchObject({ optimizerOnHost: true, hostThreads: 2 });
    const plain = parseTrainConfig(minimal, where);
    expect(plain.training.optimizerOnHost).toBeUndefined();
    expect(plain.training.hostThreads).toBeUndefined();
  });

  it("reject hostThreads above 1 without optimizerOnHost, a non-boolean optimizerOnHost and 0 threads, naming the key", () => {
    const noHost = errorOf({ ...minimal, training: { epochs: 1, hostThreads: 2 } });
    expect(noHost.message).toContain("training.hostThreads");
    expect(noHost.message).toContain("optimizerOnHost is true");
    expect(errorOf({ ...minimal, training: { epochs: 1, optimizerOnHost: "yes" } }).message).toContain(
      "training.optimizerOnHost",
    );
    expect(
      errorOf({ ...minimal, training: { epochs: 1, optimizerOnHost: true, hostThreads: 0 } }).message,
    ).toContain("training.hostThreads");
  });
});
