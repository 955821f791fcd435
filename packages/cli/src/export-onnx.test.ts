import { copyFile, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { loadBertCheckpoint, loadTokenizer, type Tokenizer } from "@tunekit/core";
import { traceForward } from "@tunekit/core/models";
import { startHubServer } from "@tunekit/core/testing";
import { env, pipeline } from "@huggingface/transformers";
import { describe, expect, it } from "vitest";
import { EXIT } from "./run-cli.js";
import { loadTrainedModel } from "./setup/model-setup.js";
import { cliRun } from "./testing/cli-run.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// `tunekit export` round trip: tiny random BERTs trained for a couple of steps, exported, and
// loaded by Transformers.js offline from the exported folder; its labels and scores must be
// tunekit's (predict / the model's own forward) within 1e-4, on batches of different sizes
// and lengths (one exported graph: dynamic axes).
env.allowRemoteModels = false;
const TOL = 1e-4;

const cli = (args: string[], cwd = REPO, expected?: number) => cliRun(args, expected, { cwd });

/** A short `tunekit train` of `config` in a fresh folder (its name starts with `prefix`); returns the folder. */
async function trainRun(prefix: string, config: string, train: number, steps: number, set: string[]) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const flags = set.flatMap((s) => ["--set", s]);
  await cli([
    "train",
    config,
    ...smallRunFlags({ train }),
    ...flags,
    "--max-steps",
    String(steps),
    "--output",
    dir,
  ]);
  return dir;
}

/** A folder with `vocab.txt` of `words`, for `--tokenizer`. */
async function vocabFolder(words: readonly string[]) {
  const vocab = await mkdtemp(join(tmpdir(), "tunekit-vocab-"));
  await writeFile(join(vocab, "vocab.txt"), `${words.join("\n")}\n`);
  return vocab;
}

async function exportTo(run: string, cwd: string, extra: string[] = []) {
  const out = join(await mkdtemp(join(tmpdir(), "tunekit-onnx-")), "exported-model");
  const { out: text } = await cli(["export", run, "--out", out, "--json", ...extra], cwd);
  return { out, summary: JSON.parse(text) as Record<string, unknown> };
}

/** tunekit's logits of an encoded batch (`data`) and its length `s`: `model` traced and run on `backend`. */
async function tracedLogits(
  backend: Awaited<ReturnType<typeof createOnnxBackend>>,
  model: Parameters<typeof traceForward>[0],
  enc: ReturnType<Tokenizer["encodeBatch"]>,
) {
  const [b, s] = enc.inputIds.shape as [number, number];
  const { graph } = traceForward(model, { batchSize: b, seqLength: s });
  const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
  const exe = await backend.compile(graph, { constants });
  const { logits } = await exe.run({
    input_ids: enc.inputIds,
    attention_mask: enc.attentionMask,
    token_type_ids: enc.tokenTypeIds,
  });
  exe.dispose();
  return { logits: logits!.data, s };
}

/** Transformers.js loads `dir` by name from its parent folder, never from the network. */
function local(dir: string, dtype?: "q8") {
  env.localModelPath = `${dirname(dir)}/`;
  return { name: basename(dir), options: { local_files_only: true, ...(dtype ? { dtype } : {}) } };
}
async function textClassifier(dir: string, dtype?: "q8") {
  const { name, options } = local(dir, dtype);
  return pipeline("text-classification", name, options);
}
async function tokenClassifier(dir: string, dtype?: "q8") {
  const { name, options } = local(dir, dtype);
  return pipeline("token-classification", name, options);
}

/** A WordPiece vocabulary for the 50-token parity fixture `bert-3l-h24-seq13-2labels`. */
const TINY_VOCAB = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  ...Array.from({ length: 45 }, (_, i) => `w${i}`),
];

// short texts of different lengths: no truncation, so both sides see every token
const SENTENCES = [
  "a gripping , beautifully acted film .",
  "bad",
  "the plot is thin and the jokes fall flat , but the cast keeps it moving .",
  "it is neither good nor bad , just long .",
  "tunekit exports models",
];

describe("tunekit export (text classification)", { timeout: 180_000 }, () => {
  it("LoRA run: merged, Transformers.js labels and scores = tunekit predict (1e-4) at batch 1, 2 and 3; int8 copy runs", async () => {
    const dir = await trainRun("tunekit-export-run-", "examples/sst2-tiny.json", 32, 2, [
      'strategy={"method":"lora","r":4,"targetModules":["query","value","dense"]}',
      "training.lr=0.05",
    ]);
    const { out, summary } = await exportTo(dir, REPO, ["--quantize", "int8", "--eval-data", "validation"]);
    expect(summary).toMatchObject({
      task: "sequence-classification",
      pipeline: "text-classification",
      labels: ["negative", "positive"],
      files: [
        "onnx/model.onnx",
        "onnx/model_quantized.onnx",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
      ],
      adapter: { method: "lora", merged: true },
      inputs: [
        { name: "input_ids", dtype: "int64", dims: ["batch_size", "sequence_length"] },
        { name: "attention_mask", dtype: "int64", dims: ["batch_size", "sequence_length"] },
        { name: "token_type_ids", dtype: "int64", dims: ["batch_size", "sequence_length"] },
      ],
      outputs: [{ name: "logits", dtype: "float32", dims: ["batch_size", 2] }],
    });
    const probe = summary.probe as { maxAbsDifference: number; int8MaxAbsDifference: number };
    expect(probe.maxAbsDifference).toBeLessThan(TOL);
    expect(probe.int8MaxAbsDifference).toBeGreaterThan(0);
    const evaluation = summary.evaluation as {
      rows: number;
      accuracy: number;
      int8: { accuracy: number; agreement: number };
    };
    expect(evaluation.rows).toBe(32);
    expect(evaluation.int8.agreement).toBeGreaterThanOrEqual(0.75);
    const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({
      architectures: ["BertForSequenceClassification"],
      model_type: "bert",
      id2label: { "0": "negative", "1": "positive" },
      label2id: { negative: 0, positive: 1 },
    });

    await writeFile(join(dir, "input.txt"), `${SENTENCES.join("\n")}\n`);
    await cli(["predict", dir, "--input", join(dir, "input.txt"), "--out", join(dir, "preds.jsonl")]);
    const preds = (await readFile(join(dir, "preds.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { prediction: string; probabilities: Record<string, number> });

    const classify = await textClassifier(out);
    type Scored = { label: string; score: number }[];
    const groups = [[0], [1, 2], [3, 4, 0]]; // batch sizes 1, 2, 3; longest rows 9, 18, 11 tokens
    let compared = 0;
    for (const group of groups) {
      const results = (await classify(
        group.map((i) => SENTENCES[i]!),
        { top_k: null },
      )) as unknown as Scored[];
      results.forEach((scores, k) => {
        const want = preds[group[k]!]!;
        expect(scores[0]!.label).toBe(want.prediction);
        for (const { label, score } of scores) {
          expect(
            Math.abs(score - want.probabilities[label]!),
            `${SENTENCES[group[k]!]} ${label}`,
          ).toBeLessThan(TOL);
          compared++;
        }
      });
    }
    expect(compared).toBe(12);

    const q8 = await textClassifier(out, "q8");
    const quantized = (await q8(SENTENCES, { top_k: null })) as unknown as Scored[];
    quantized.forEach((scores, i) => {
      const fp = preds[i]!.probabilities[scores[0]!.label]!;
      expect(Math.abs(scores[0]!.score - fp)).toBeLessThan(0.05);
    });
  });

  for (const strategy of ['{"method":"houlsby"}', '{"method":"prefix","numVirtualTokens":3}']) {
    it(`${strategy}: an adapter that does not fold is exported as its ops (= tunekit on the probe, 1e-4)`, async () => {
      const dir = await trainRun("tunekit-export-adapter-", "examples/sst2-tiny.json", 16, 1, [
        `strategy=${strategy}`,
        "training.lr=0.05",
      ]);
      const { out, summary } = await exportTo(dir, REPO);
      expect(summary.adapter).toEqual({
        method: JSON.parse(strategy).method,
        merged: false,
        layers: 0,
        maxAbsDifference: 0,
      });
      expect((summary.probe as { maxAbsDifference: number }).maxAbsDifference).toBeLessThan(TOL);
      const classify = await textClassifier(out);
      const scores = (await classify(SENTENCES.slice(0, 2), { top_k: null })) as unknown as {
        score: number;
      }[][];
      for (const row of scores) expect(row[0]!.score + row[1]!.score).toBeCloseTo(1, 5);
    });
  }

  it("regression: --eval-data scores the export by Pearson, equal to tunekit evaluate's (1e-4)", async () => {
    const dir = await trainRun("tunekit-export-stsb-", "examples/stsb-tiny.yaml", 32, 2, []);
    const { out, summary } = await exportTo(dir, REPO, ["--quantize", "int8", "--eval-data", "validation"]);
    expect(summary).toMatchObject({
      task: "regression",
      outputs: [{ name: "logits", dims: ["batch_size", 1] }],
    });
    const evaluation = summary.evaluation as {
      rows: number;
      pearson: number;
      int8: { pearson: number; maxAbsDifference: number };
    };
    const evaluated = JSON.parse((await cli(["evaluate", dir, "--json"])).out) as {
      metrics: { pearson: number };
    };
    expect(evaluation.rows).toBe(32);
    expect(Math.abs(evaluation.pearson - evaluated.metrics.pearson)).toBeLessThan(TOL);
    // (2 steps from random weights predict a near-constant score, so its Pearson is fragile:
    // check the int8 outputs themselves)
    expect(evaluation.int8.pearson).toBeGreaterThanOrEqual(-1);
    expect(evaluation.int8.maxAbsDifference).toBeLessThan(0.01);
    const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ problem_type: "regression", num_labels: 1 });
  });

  it("refuses a missing --out, another --format, and --eval-data on a plain folder", async () => {
    const none = await cli(["export", "examples/models/bert-4l-h128"], REPO, EXIT.usageError);
    expect(none.err).toContain("export needs --out DIR");
    const out = await mkdtemp(join(tmpdir(), "tunekit-onnx-"));
    const format = await cli(
      ["export", "examples/models/bert-4l-h128", "--out", out, "--format", "tflite"],
      REPO,
      EXIT.usageError,
    );
    expect(format.err).toContain("--format");
    const evalData = await cli(
      ["export", "examples/models/bert-4l-h128", "--out", out, "--eval-data", "validation"],
      REPO,
      EXIT.usageError,
    );
    expect(evalData.err).toContain("reads the data set of a tunekit run");
  });

  it("a plain pre-trained folder exports as a bare encoder: Transformers.js mean pooling = tunekit (1e-4)", async () => {
    const { out, summary } = await exportTo("examples/models/bert-4l-h128", REPO);
    expect(summary).toMatchObject({
      task: "feature-extraction",
      outputs: [{ name: "last_hidden_state", dims: ["batch_size", "sequence_length", 128] }],
    });
    expect((summary.probe as { maxAbsDifference: number }).maxAbsDifference).toBeLessThan(TOL);
    const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config.architectures).toEqual(["BertModel"]);
    expect((await stat(join(out, "onnx", "model.onnx"))).size).toBeGreaterThan(1000);

    // Transformers.js feature extraction with mean pooling = tunekit's sentence_embedding (1e-4)
    const { name, options } = local(out);
    const extract = await pipeline("feature-extraction", name, options);
    const texts = [SENTENCES[0]!, SENTENCES[2]!]; // 9 and 18 tokens: padding is masked out
    const got = await extract(texts, { pooling: "mean" });
    const { model } = await loadBertCheckpoint(join(REPO, "examples/models/bert-4l-h128"), { task: "base" });
    const tokenizer = await loadTokenizer(join(REPO, "examples/models/bert-4l-h128"));
    const enc = tokenizer.encodeBatch(texts);
    const [b, s] = enc.inputIds.shape as [number, number];
    const { graph } = traceForward(model, { batchSize: b, seqLength: s, pooling: "mean" });
    const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
    const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
    const exe = await backend.compile(graph, { constants, outputs: ["sentence_embedding"] });
    const want = (
      await exe.run({
        input_ids: enc.inputIds,
        attention_mask: enc.attentionMask,
        token_type_ids: enc.tokenTypeIds,
      })
    ).sentence_embedding!;
    exe.dispose();
    backend.dispose();
    expect(got.dims).toEqual([2, 128]);
    const worst = Array.from(want.data).reduce(
      (m, v, i) => Math.max(m, Math.abs(v - (got.data[i] as number))),
      0,
    );
    expect(worst).toBeLessThan(TOL);

    // a folder without tokenizer files (a tiny BERT classifier) needs --tokenizer
    const bare = await mkdtemp(join(tmpdir(), "tunekit-bare-"));
    for (const f of ["config.json", "model.safetensors"]) {
      await copyFile(join(REPO, "fixtures/parity/bert-3l-h24-seq13-2labels", f), join(bare, f));
    }
    const missing = await cli(["export", bare, "--out", join(bare, "out")], REPO, EXIT.runtimeError);
    expect(missing.err).toContain("has neither tokenizer.json nor vocab.txt");
    const vocab = await vocabFolder(TINY_VOCAB);
    const { summary: withTokenizer } = await exportTo(bare, REPO, ["--tokenizer", vocab]);
    expect(withTokenizer.files).toContain("tokenizer.json");
  });
});

describe("tunekit export (other encoders)", { timeout: 180_000 }, () => {
  for (const [folder, arch] of [
    ["distilbert-2l-h24-3labels-b3-seq9", "DistilBertForSequenceClassification"],
    ["electra-2l-h32-e16-3labels-b3-seq9", "ElectraForSequenceClassification"],
    ["roberta-2l-h24-3labels-b3-seq9", "RobertaForSequenceClassification"], // positions from the ids
  ] as const) {
    it(`${folder}: Transformers.js scores = tunekit's forward (1e-4)`, async () => {
      const dir = join(REPO, "fixtures/parity", folder);
      const words = [...TINY_VOCAB, ...Array.from({ length: 10 }, (_, i) => `v${i}`)]; // 60 tokens
      const vocab = await vocabFolder(words);
      const { out, summary } = await exportTo(dir, REPO, ["--tokenizer", vocab]);
      const noTypes = folder.startsWith("distilbert");
      expect((summary.inputs as { name: string }[]).map((i) => i.name)).toEqual(
        noTypes ? ["input_ids", "attention_mask"] : ["input_ids", "attention_mask", "token_type_ids"],
      );
      const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
      expect(config.architectures).toEqual([arch]);

      const texts = ["w1 w2 w3", "v4 w9 v1 w30 w31 w7 w8"];
      const classify = await textClassifier(out);
      const got = (await classify(texts, { top_k: null })) as unknown as { label: string; score: number }[][];
      const { model } = await loadBertCheckpoint(dir, { task: "sequence-classification" });
      const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
      const { logits } = await tracedLogits(backend, model, (await loadTokenizer(vocab)).encodeBatch(texts));
      backend.dispose();
      got.forEach((scores, r) => {
        const row = Array.from(logits.slice(r * 3, r * 3 + 3));
        const top = Math.max(...row);
        const sum = row.reduce((a, v) => a + Math.exp(v - top), 0);
        for (const { label, score } of scores) {
          const c = Number(label.replace("LABEL_", ""));
          expect(Math.abs(score - Math.exp(row[c]! - top) / sum)).toBeLessThan(TOL);
        }
      });
    });
  }
});

describe("tunekit export (a Hub name)", { timeout: 180_000 }, () => {
  it("org/name from a loopback Hub: downloaded into the cache, exported from its snapshot", async () => {
    const ENV = ["HF_ENDPOINT", "HF_HOME", "HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE"] as const;
    const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
    // a 3-layer BERT classifier (2 labels, vocabulary of 50) and a WordPiece vocab.txt
    const fixture = join(REPO, "fixtures/parity/bert-3l-h24-seq13-2labels");
    const repo = {
      commit: "7".repeat(40),
      files: {
        "config.json": new Uint8Array(await readFile(join(fixture, "config.json"))),
        "model.safetensors": new Uint8Array(await readFile(join(fixture, "model.safetensors"))),
        "vocab.txt": new TextEncoder().encode(`${TINY_VOCAB.join("\n")}\n`),
      },
      lfs: ["model.safetensors"],
    };
    const hub = await startHubServer({ repos: { "org/tiny-classifier": repo } });
    try {
      for (const k of ENV) delete process.env[k];
      process.env.HF_ENDPOINT = hub.endpoint;
      process.env.HF_HOME = await mkdtemp(join(tmpdir(), "tunekit-hf-home-"));
      const { out, summary } = await exportTo("org/tiny-classifier@main", REPO);
      expect(summary).toMatchObject({
        task: "sequence-classification",
        labels: ["LABEL_0", "LABEL_1"],
        outputs: [{ name: "logits", dims: ["batch_size", 2] }],
      });
      expect(summary.model as string).toContain(join("models--org--tiny-classifier", "snapshots"));
      expect((summary.probe as { maxAbsDifference: number }).maxAbsDifference).toBeLessThan(TOL);
      // tokenizer.json derived from the repository's vocab.txt, loadable by Transformers.js
      const classify = await textClassifier(out);
      const [first] = (await classify(["w1 w2 w3"])) as unknown as { label: string }[];
      expect(["LABEL_0", "LABEL_1"]).toContain(first!.label);
    } finally {
      await hub.close();
      for (const k of ENV) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});

describe("tunekit export (token classification)", { timeout: 180_000 }, () => {
  it("Transformers.js entities and scores = tunekit's tags (predict) and forward (1e-4) at batch 1 and 3", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-export-token-"));
    const lines = (await readFile(join(REPO, "../shared/data/sst2/dev.tsv"), "utf8"))
      .split("\n")
      .slice(1, 65);
    const rows = lines.map((l) => {
      const tokens = l.split("\t")[0]!.trim().split(/\s+/);
      return { tokens, tags: tokens.map((t) => (/^[^\p{L}\p{N}]+$/u.test(t) ? "PUNCT" : "WORD")) };
    });
    await writeFile(join(dir, "train.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n"));
    await writeFile(
      join(dir, "dev.jsonl"),
      rows
        .slice(0, 16)
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    await writeFile(
      join(dir, "train.json"),
      JSON.stringify({
        model: { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 } },
        tokenizer: join(REPO, "../shared/tokenizers/bert-base-uncased"),
        data: { tokens: { name: "punct", splits: { train: "train.jsonl", validation: "dev.jsonl" } } },
        training: { lr: 0.01, maxSteps: 3, batchSize: 16, maxLength: 32 },
        output: join(dir, "run"),
      }),
    );
    await cli(["train", "train.json"], dir);
    const { out, summary } = await exportTo("run", dir, ["--quantize", "int8", "--eval-data", "validation"]);
    expect(summary).toMatchObject({
      task: "token-classification",
      pipeline: "token-classification",
      labels: ["PUNCT", "WORD"],
      outputs: [{ name: "logits", dims: ["batch_size", "sequence_length", 2] }],
    });
    expect((summary.evaluation as { units: number }).units).toBeGreaterThan(100);
    const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config.architectures).toEqual(["BertForTokenClassification"]);
    expect(config.id2label).toEqual({ "0": "PUNCT", "1": "WORD" });

    const texts = ["a gripping , funny film .", "bad", "the cast , the plot and the jokes fall flat ."];
    await writeFile(join(dir, "input.txt"), `${texts.join("\n")}\n`);
    await cli(["predict", "run", "--input", "input.txt", "--out", "preds.jsonl"], dir);
    const tags = (await readFile(join(dir, "preds.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { prediction: string[] }).prediction);

    // tunekit's forward for every token's score (predict writes one tag per word, no scores)
    const { model } = await loadTrainedModel(join(dir, "run", "model"));
    const tokenizer = await loadTokenizer(join(dir, "run", "model"));
    const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
    const tunekitScores = (batch: string[]) => tracedLogits(backend, model, tokenizer.encodeBatch(batch));
    const wordStarts = (text: string) => {
      let at = 1; // after [CLS]
      return text.split(" ").map((w) => {
        const start = at;
        at += tokenizer.tokenize(w).length;
        return start;
      });
    };

    const tag = await tokenClassifier(out);
    type Entity = { entity: string; score: number; index: number };
    let compared = 0;
    for (const group of [[1], [0, 1, 2]]) {
      const batch = group.map((i) => texts[i]!);
      const results = (await tag(batch, { ignore_labels: [] })) as unknown as Entity[][];
      const { logits, s } = await tunekitScores(batch);
      results.forEach((entities, r) => {
        const byIndex = new Map(entities.map((e) => [e.index, e]));
        expect(byIndex.size).toBe(tokenizer.tokenize(batch[r]!).length); // every word piece, no specials
        for (const e of entities) {
          const at = (r * s + e.index) * 2;
          const [a, b] = [logits[at]!, logits[at + 1]!];
          const best = b > a ? 1 : 0;
          const p = 1 / (1 + Math.exp(-Math.abs(b - a)));
          expect(e.entity).toBe(["PUNCT", "WORD"][best]);
          expect(Math.abs(e.score - p)).toBeLessThan(TOL);
          compared++;
        }
        // the word tags of tunekit predict are the entities at each word's first piece
        const words = wordStarts(batch[r]!).map((i) => byIndex.get(i)!.entity);
        expect(words).toEqual(tags[group[r]!]);
      });
    }
    expect(compared).toBeGreaterThan(15);
    backend.dispose();

    const fp32 = ((await tag(texts, { ignore_labels: [] })) as unknown as Entity[][]).flat();
    const q8 = await tokenClassifier(out, "q8");
    const quantized = ((await q8(texts, { ignore_labels: [] })) as unknown as Entity[][]).flat();
    expect(quantized.map((e) => e.index)).toEqual(fp32.map((e) => e.index));
    const agree = quantized.filter((e, i) => e.entity === fp32[i]!.entity).length;
    expect(agree / fp32.length).toBeGreaterThanOrEqual(0.9);
  });
});
