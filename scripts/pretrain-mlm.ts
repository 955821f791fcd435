// Pre-trains a small BERT with masked-language modelling on the unlabelled text of the local
// data sets (../shared/data), with tunekit itself (BertForMaskedLM, maskTokensForMlm,
// TrainStepRunner on the ONNX backend), and writes a Hugging Face folder (config.json,
// model.safetensors, tokenizer files, README.md model card) that every example and
// `loadBertCheckpoint` can start from. No pre-trained weights exist offline here; this is how
// examples/models/bert-tiny-mlm was made.
//
//   npx tsx --conditions=@tunekit/source scripts/pretrain-mlm.ts --out examples/models/bert-tiny-mlm \
//     [--steps 6000] [--batch 64] [--seq 64] [--lr 1e-3] [--layers 2] [--hidden 128] [--heads 2]
//     [--intermediate 512] [--seed 0] [--minutes M] [--dtype float32|float16]
//     [--init FOLDER] [--position-shift N]
//
// --init continues from a BertForMaskedLM folder (its config wins over the size flags).
// --position-shift N gives half of the rows position ids starting at a random 1..N instead of 0
// (Hugging Face's position_ids), so the model does not depend on [CLS] sitting at position 0:
// prefix and prompt tuning shift every real token's position by their number of virtual
// tokens, as Hugging Face BERT does with past_key_values.
//
// --dtype float16 stores the final weights as F16 (half the bytes; intermediate saves every
// 1,000 steps stay float32).
//
// Corpus: the train splits of every local data set except MR and SUBJ (movie-review snippets
// from the same source as SST-2's dev/test sentences), TweetEval's validation/test text and
// QNLI's dev text (they have no train split), minus any text equal to an SST-2 dev or test
// sentence after normalisation. Texts are shuffled and packed into rows of up to --seq
// tokens ([CLS] a [SEP] b [SEP] …); 1% of rows are held out for the MLM loss/accuracy report.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  adamw,
  BertForMaskedLM,
  type HostTensor,
  hostTensor,
  loadBertCheckpoint,
  linearWarmupSchedule,
  loadDataset,
  loadTokenizer,
  maskedLmForward,
  maskTokensForMlm,
  mulberry32,
  parseBertConfig,
  saveBertCheckpoint,
  shuffleInPlace,
  TrainStepRunner,
} from "@tunekit/core";

const ROOT = resolve(import.meta.dirname, "..");
const TOKENIZER = resolve(ROOT, "../shared/tokenizers/bert-base-uncased");

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    steps: { type: "string", default: "6000" },
    batch: { type: "string", default: "64" },
    seq: { type: "string", default: "64" },
    lr: { type: "string", default: "1e-3" },
    layers: { type: "string", default: "2" },
    hidden: { type: "string", default: "128" },
    heads: { type: "string", default: "2" },
    intermediate: { type: "string", default: "512" },
    seed: { type: "string", default: "0" },
    minutes: { type: "string" },
    dtype: { type: "string", default: "float32" },
    init: { type: "string" },
    "position-shift": { type: "string", default: "0" },
  },
});
if (values.out === undefined) throw new Error("--out FOLDER is required");
const OUT = resolve(values.out);
if (values.dtype !== "float32" && values.dtype !== "float16") {
  throw new Error(`--dtype ${values.dtype}: expected float32 or float16`);
}
const num = (k: keyof typeof values): number => Number(values[k]);
const steps = num("steps");
const batchSize = num("batch");
const seq = num("seq");
const seed = num("seed");
const deadline =
  values.minutes === undefined ? Number.POSITIVE_INFINITY : Date.now() + num("minutes") * 60_000;

// --- corpus ---------------------------------------------------------------------------------
const SETS: readonly [string, readonly ("train" | "validation" | "test")[]][] = [
  ["sst2", ["train"]],
  ["sst5", ["train"]],
  ["tweeteval-sentiment", ["validation", "test"]],
  ["rte", ["train"]],
  ["mrpc", ["train"]],
  ["stsb", ["train"]],
  ["cola", ["train"]],
  ["qnli", ["validation"]],
  ["cr", ["train"]],
  ["mpqa", ["train"]],
];
const normalise = (t: string): string =>
  t
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
const readConfig = async (name: string): Promise<unknown> =>
  JSON.parse(await readFile(join(ROOT, "examples/data", `${name}.json`), "utf8"));
const sst2 = await loadDataset(await readConfig("sst2"), { baseDir: ROOT });
const heldOut = new Set([...(sst2.validation?.texts ?? []), ...(sst2.test?.texts ?? [])].map(normalise));
const texts: string[] = [];
const perSet: string[] = [];
let dropped = 0;
for (const [name, splits] of SETS) {
  const ds = await loadDataset(await readConfig(name), { baseDir: ROOT });
  let n = 0;
  for (const split of splits) {
    const d = ds[split];
    if (!d) throw new Error(`${name} has no ${split} split`);
    for (const [i, t] of d.texts.entries()) {
      for (const text of [t, d.textPairs?.[i]]) {
        if (text === undefined || text.trim() === "") continue;
        if (heldOut.has(normalise(text))) {
          dropped++;
          continue;
        }
        texts.push(text);
        n++;
      }
    }
  }
  perSet.push(`${name} ${n}`);
}
console.log(
  `corpus: ${texts.length} texts (${perSet.join(", ")}); ${dropped} equal to SST-2 dev/test dropped`,
);

const tok = await loadTokenizer(TOKENIZER);
const id = (t: string): number => {
  const v = tok.tokenToId(t);
  if (v === undefined) throw new Error(`tokenizer has no ${t}`);
  return v;
};
const CLS = id("[CLS]");
const SEP = id("[SEP]");
const MASK = id("[MASK]");
const specialIds = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(id);
const rng = mulberry32(seed);
shuffleInPlace(texts, rng);
const t0 = Date.now();
const rows: Int32Array[] = [];
let current: number[] = [CLS];
let corpusTokens = 0;
for (const text of texts) {
  const ids = tok.tokenize(text).slice(0, seq - 2);
  corpusTokens += ids.length;
  if (current.length + ids.length + 1 > seq) {
    rows.push(Int32Array.from(current));
    current = [CLS];
  }
  current.push(...ids, SEP);
}
if (current.length > 1) rows.push(Int32Array.from(current));
const evalRows = rows.splice(0, Math.max(batchSize, Math.floor(rows.length / 100)));
const fill = rows.reduce((s, r) => s + r.length, 0) / (rows.length * seq);
console.log(
  `tokenised ${corpusTokens} word pieces in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${rows.length} training rows ` +
    `of ≤ ${seq} tokens (${(100 * fill).toFixed(1)}% filled), ${evalRows.length} held out`,
);

// --- model and training -----------------------------------------------------------------------
const config = parseBertConfig({
  model_type: "bert",
  vocab_size: tok.vocabSize,
  hidden_size: num("hidden"),
  num_hidden_layers: num("layers"),
  num_attention_heads: num("heads"),
  intermediate_size: num("intermediate"),
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: tok.padId,
});
const model =
  values.init === undefined
    ? new BertForMaskedLM(config, { seed })
    : (await loadBertCheckpoint(resolve(values.init), { task: "masked-lm" })).model;
if (model.config.vocabSize !== tok.vocabSize) {
  throw new Error(
    `--init ${values.init}: vocab_size ${model.config.vocabSize} but the tokenizer has ${tok.vocabSize}`,
  );
}
const maxShift = num("position-shift");

/** Adds `position_ids`: half the rows (when --position-shift > 0) start at a random 1..maxShift. */
function withPositions<T extends { input_ids: HostTensor }>(
  batch: T,
  random: () => number,
): T & {
  position_ids?: HostTensor;
} {
  if (maxShift <= 0) return batch;
  const [b, s] = batch.input_ids.shape as [number, number];
  const ids = new Int32Array(b * s);
  for (let r = 0; r < b; r++) {
    const start = random() < 0.5 ? 0 : 1 + Math.floor(random() * maxShift);
    for (let t = 0; t < s; t++) ids[r * s + t] = Math.min(start + t, model.config.maxPositionEmbeddings - 1);
  }
  return { ...batch, position_ids: hostTensor("int32", [b, s], ids) };
}
const total = model.namedParameters().reduce((n, [, p]) => n + p.value.data.length, 0);
const mc = model.config;
console.log(
  `BertForMaskedLM ${mc.numHiddenLayers} layers, hidden ${mc.hiddenSize}, ${mc.numAttentionHeads} heads, ` +
    `${mc.intermediateSize} intermediate, vocab ${mc.vocabSize}: ${model.namedParameters().length} tensors ` +
    `(~${(total / 1e6).toFixed(2)} M parameters)${values.init === undefined ? "" : `, from ${values.init}`}`,
);
const backend = await createOnnxBackend();
const runner = new TrainStepRunner({
  backend,
  params: model.namedParameters().map(([, p]) => p),
  forward: maskedLmForward(model),
  optimizer: adamw({ weightDecay: 0.01 }),
  clipNorm: 1,
  dropout: true,
  seed,
});
const schedule = linearWarmupSchedule({
  lr: num("lr"),
  warmupSteps: Math.round(steps * 0.05),
  totalSteps: steps,
});
const masking = { maskId: MASK, vocabSize: config.vocabSize, specialIds, seqLength: seq, padId: tok.padId };

async function evaluateHeldOut(): Promise<{ loss: number; accuracy: number }> {
  const evalRng = mulberry32(12345);
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (let i = 0; i + batchSize <= evalRows.length; i += batchSize) {
    const batch = maskTokensForMlm(evalRows.slice(i, i + batchSize), { ...masking, rng: evalRng });
    const { logits } = await runner.evaluate({ ...batch });
    const v = config.vocabSize;
    batch.labels.data.forEach((label, j) => {
      if (label === -100) return;
      const row = logits!.data.subarray(j * v, (j + 1) * v) as Float32Array;
      let max = Number.NEGATIVE_INFINITY;
      let arg = 0;
      for (let k = 0; k < v; k++) {
        if (row[k]! > max) {
          max = row[k]!;
          arg = k;
        }
      }
      let sum = 0;
      for (let k = 0; k < v; k++) sum += Math.exp(row[k]! - max);
      lossSum += Math.log(sum) + max - row[label]!;
      if (arg === label) correct++;
      count++;
    });
  }
  return { loss: lossSum / count, accuracy: correct / count };
}

async function save(
  step: number,
  heldOutResult: { loss: number; accuracy: number } | undefined,
  dtype: "float32" | "float16" = "float32",
): Promise<void> {
  await mkdir(OUT, { recursive: true });
  await saveBertCheckpoint(model, OUT, { dtype });
  for (const f of ["vocab.txt", "tokenizer.json", "tokenizer_config.json"]) {
    await copyFile(join(TOKENIZER, f), join(OUT, f)).catch(() => undefined);
  }
  const info = {
    init: values.init ?? null,
    positionShift: maxShift,
    steps: step,
    batchSize,
    seqLength: seq,
    lr: num("lr"),
    seed,
    corpusTexts: texts.length,
    corpusWordPieces: corpusTokens,
    trainingRows: rows.length,
    heldOutRows: evalRows.length,
    heldOut: heldOutResult,
    minutes: (Date.now() - started) / 60_000,
  };
  await writeFile(join(OUT, "pretraining.json"), `${JSON.stringify(info, null, 2)}\n`);
}

const started = Date.now();
const before = await evaluateHeldOut();
console.log(
  `held-out MLM before training: loss ${before.loss.toFixed(3)}, accuracy ${before.accuracy.toFixed(3)}`,
);
let order = Array.from(rows.keys());
let cursor = rows.length;
let window = 0;
let windowN = 0;
let step = 0;
for (; step < steps && Date.now() < deadline; step++) {
  if (cursor + batchSize > rows.length) {
    order = shuffleInPlace(order, rng);
    cursor = 0;
  }
  const picked = order.slice(cursor, cursor + batchSize).map((i) => rows[i]!);
  cursor += batchSize;
  const batch = withPositions(maskTokensForMlm(picked, { ...masking, rng }), rng);
  const { loss } = await runner.step({ ...batch }, { lr: schedule(step + 1) });
  window += loss;
  windowN++;
  if ((step + 1) % 200 === 0 || step + 1 === 20) {
    const secs = (Date.now() - started) / 1000;
    const eta = (secs / (step + 1)) * (steps - step - 1);
    console.log(
      `step ${step + 1}/${steps} loss ${(window / windowN).toFixed(3)} lr ${schedule(step + 1).toExponential(2)} ` +
        `${(((step + 1) * batchSize * seq) / secs).toFixed(0)} tok/s, ${secs.toFixed(0)} s, eta ${eta.toFixed(0)} s`,
    );
    window = 0;
    windowN = 0;
  }
  if ((step + 1) % 1000 === 0) await save(step + 1, undefined);
}
const after = await evaluateHeldOut();
console.log(
  `held-out MLM after ${step} steps: loss ${after.loss.toFixed(3)}, accuracy ${after.accuracy.toFixed(3)}`,
);
await save(step, after, values.dtype === "float16" ? "float16" : "float32");
console.log(`wrote ${OUT}`);
