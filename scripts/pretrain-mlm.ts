// Pre-trains a small BERT with masked-language modelling (and, with --nsp, next-sentence
// prediction) on the unlabelled text of the local data sets (../shared/data), with tunekit itself
// (BertForMaskedLM / BertForPreTraining, maskTokensForMlm, TrainStepRunner on the ONNX backend),
// and writes a Hugging Face folder (config.json, model.safetensors, tokenizer files,
// pretraining.json) that every example and `loadBertCheckpoint` can start from. No pre-trained
// weights exist offline here; examples/models/bert-4l-h128/README.md lists the four runs that
// made the shipped model.
//
//   npx tsx --conditions=@tunekit/source scripts/pretrain-mlm.ts --out runs/my-bert \
//     [--steps 6000] [--batch 64] [--seq 64] [--lr 1e-3] [--layers 2] [--hidden 128] [--heads 2]
//     [--intermediate 512] [--seed 0] [--minutes M] [--dtype float32|float16]
//     [--init FOLDER] [--position-shift N] [--nsp] [--grow-layers N]
//
// --grow-layers N (with --init) stacks the initial model to N layers, layer i starting as a
// copy of its layer i mod L (progressive stacking, Gong et al. 2019), before training on.
// --init continues from a BertForMaskedLM folder (its config wins over the size flags).
// --position-shift N gives half of the rows position ids starting at a random 1..N instead of 0
// (Hugging Face's position_ids), so the model does not depend on [CLS] sitting at position 0:
// prefix and prompt tuning shift every real token's position by their number of virtual
// tokens, as Hugging Face BERT does with past_key_values.
//
// --nsp adds BERT's next-sentence prediction (BertForPreTraining): rows become
// [CLS] A [SEP] B [SEP] where B continues A (a pair data set's second text, or the rest of a
// single text cut at a random point) or, half of the time, is another row's B. It trains the
// pooler and the [CLS] representation that sequence classifiers read, which masked-LM alone
// never touches. --init may then be a BertForMaskedLM folder (pooler and next-sentence head
// start fresh) or a BertForPreTraining one.
//
// --dtype float16 stores the final weights as F16 (half the bytes; intermediate saves every
// 1,000 steps stay float32).
//
// Corpus (scripts/pretraining-corpus.ts): the train splits of every local data set except MR and
// SUBJ (movie-review snippets from the same source as SST-2's dev/test sentences), TweetEval's
// validation/test text and QNLI's dev text, minus any text equal to an SST-2 dev or test
// sentence after normalisation. Without --nsp, texts are shuffled and packed into rows of up to
// --seq tokens ([CLS] a [SEP] b [SEP] …). 1% of the rows are held out for the report.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  adamw,
  type HostTensor,
  hostTensor,
  loadBertCheckpoint,
  linearWarmupSchedule,
  loadTokenizer,
  saveBertCheckpoint,
  TrainStepRunner,
} from "@tunekit/core";
import {
  BertForMaskedLM,
  BertForPreTraining,
  maskedLmForward,
  parseBertConfig,
  preTrainingForward,
} from "@tunekit/core/models";
import { maskTokensForMlm, mulberry32, shuffleInPlace } from "@tunekit/core/data";
import type { ForwardFn } from "@tunekit/core/trainer";
import {
  nextSentenceRow,
  readPretrainingCorpus,
  type SegmentPair,
  segmentPairs,
} from "./pretraining-corpus.js";

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
    nsp: { type: "boolean", default: false },
    "grow-layers": { type: "string" },
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

const nsp = values.nsp === true;

// --- corpus ---------------------------------------------------------------------------------
const { docs, perSet, dropped } = await readPretrainingCorpus(ROOT);
console.log(
  `corpus: ${docs.length} documents (texts: ${perSet.join(", ")}); ${dropped} equal to SST-2 dev/test dropped`,
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
shuffleInPlace(docs, rng);
const t0 = Date.now();
let corpusTokens = 0;
const tokenize = (text: string): number[] => {
  const ids = tok.tokenize(text).slice(0, seq - 2);
  corpusTokens += ids.length;
  return ids;
};

/** A training example: a packed masked-LM row, or a next-sentence segment pair. */
type Example = Int32Array | SegmentPair;
let examples: Example[];
if (nsp) {
  examples = segmentPairs(docs, tokenize, rng);
} else {
  const rows: Int32Array[] = [];
  let current: number[] = [CLS];
  for (const text of docs.flatMap((d) => (d.pair === undefined ? [d.text] : [d.text, d.pair]))) {
    const ids = tokenize(text);
    if (current.length + ids.length + 1 > seq) {
      rows.push(Int32Array.from(current));
      current = [CLS];
    }
    current.push(...ids, SEP);
  }
  if (current.length > 1) rows.push(Int32Array.from(current));
  examples = rows;
}
const evalExamples = examples.splice(0, Math.max(batchSize, Math.floor(examples.length / 100)));
console.log(
  `tokenised ${corpusTokens} word pieces in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${examples.length} training ` +
    `${nsp ? "segment pairs" : `rows of ≤ ${seq} tokens`}, ${evalExamples.length} held out`,
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
async function initialModel(): Promise<BertForMaskedLM | BertForPreTraining> {
  const create = (c: typeof config): BertForMaskedLM | BertForPreTraining =>
    nsp ? new BertForPreTraining(c, { seed }) : new BertForMaskedLM(c, { seed });
  if (values.init === undefined) return create(config);
  const task = nsp ? "pretraining" : "masked-lm";
  const loaded = (await loadBertCheckpoint(resolve(values.init), { task, seed })).model;
  const from = loaded.config.numHiddenLayers;
  const to = values["grow-layers"] === undefined ? from : num("grow-layers");
  if (to === from) return loaded;
  if (to < from) throw new Error(`--grow-layers ${to}: the --init model already has ${from} layers`);
  // Progressive stacking (Gong et al., 2019): layer i starts as a copy of trained layer i mod from.
  const grown = create({ ...loaded.config, numHiddenLayers: to });
  const source = new Map(loaded.namedParameters());
  for (const [name, p] of grown.namedParameters()) {
    const m = /^bert\.encoder\.layer\.(\d+)\.(.*)$/.exec(name);
    const key = m ? `bert.encoder.layer.${Number(m[1]) % from}.${m[2]}` : name;
    const value = source.get(key)?.value;
    if (value === undefined) throw new Error(`--grow-layers: ${values.init} has no ${key}`);
    p.value = value;
  }
  console.log(`grew ${from} → ${to} layers (layer i copies layer i mod ${from})`);
  return grown;
}
const model = await initialModel();
if (model.config.vocabSize !== tok.vocabSize) {
  throw new Error(
    `--init ${values.init}: vocab_size ${model.config.vocabSize} but the tokenizer has ${tok.vocabSize}`,
  );
}
const maxShift = num("position-shift");
const masking = { maskId: MASK, vocabSize: config.vocabSize, specialIds, seqLength: seq, padId: tok.padId };

/** Position ids: half the rows (when --position-shift > 0) start at a random 1..maxShift. */
function positionIds(b: number, random: () => number): HostTensor | undefined {
  if (maxShift <= 0) return undefined;
  const ids = new Int32Array(b * seq);
  for (let r = 0; r < b; r++) {
    const start = random() < 0.5 ? 0 : 1 + Math.floor(random() * maxShift);
    for (let t = 0; t < seq; t++)
      ids[r * seq + t] = Math.min(start + t, model.config.maxPositionEmbeddings - 1);
  }
  return hostTensor("int32", [b, seq], ids);
}

/** The batch of `picked` examples: masked tokens, and for --nsp token types and next-sentence labels. */
function makeBatch(picked: readonly Example[], random: () => number): Record<string, HostTensor> {
  const batch: Record<string, HostTensor> = {};
  let rows: Int32Array[];
  if (nsp) {
    const made = picked.map((p) =>
      nextSentenceRow(p as SegmentPair, examples as SegmentPair[], seq, { cls: CLS, sep: SEP }, random),
    );
    rows = made.map((m) => m.row);
    const types = new Int32Array(picked.length * seq);
    for (const [r, m] of made.entries()) types.set(m.types, r * seq);
    batch.token_type_ids = hostTensor("int32", [picked.length, seq], types);
    batch.next_sentence_label = hostTensor(
      "int32",
      [picked.length],
      Int32Array.from(made, (m) => m.label),
    );
  } else rows = picked as Int32Array[];
  Object.assign(batch, maskTokensForMlm(rows, { ...masking, rng: random }));
  const positions = positionIds(picked.length, random);
  if (positions) batch.position_ids = positions;
  return batch;
}

const total = model.namedParameters().reduce((n, [, p]) => n + p.value.data.length, 0);
const mc = model.config;
console.log(
  `${model.constructor.name} ${mc.numHiddenLayers} layers, hidden ${mc.hiddenSize}, ${mc.numAttentionHeads} heads, ` +
    `${mc.intermediateSize} intermediate, vocab ${mc.vocabSize}: ${model.namedParameters().length} tensors ` +
    `(~${(total / 1e6).toFixed(2)} M parameters)${values.init === undefined ? "" : `, from ${values.init}`}`,
);
const backend = await createOnnxBackend();
const forward: ForwardFn =
  model instanceof BertForPreTraining ? preTrainingForward(model) : maskedLmForward(model);
const runner = new TrainStepRunner({
  backend,
  params: model.namedParameters().map(([, p]) => p),
  forward,
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

interface HeldOut {
  loss: number;
  accuracy: number;
  nextSentenceAccuracy?: number;
}

/** Masked-LM loss and accuracy on the held-out examples (positions unshifted), and next-sentence accuracy. */
async function evaluateHeldOut(): Promise<HeldOut> {
  const evalRng = mulberry32(12345);
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  let nspCorrect = 0;
  let nspCount = 0;
  const v = config.vocabSize;
  for (let i = 0; i + batchSize <= evalExamples.length; i += batchSize) {
    const batch = makeBatch(evalExamples.slice(i, i + batchSize), evalRng);
    delete batch.position_ids;
    const out = await runner.evaluate(batch);
    batch.labels!.data.forEach((label, j) => {
      if (label === -100) return;
      const row = out.logits!.data.subarray(j * v, (j + 1) * v) as Float32Array;
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
    const nspLogits = out.seq_relationship_logits;
    if (nspLogits) {
      batch.next_sentence_label!.data.forEach((label, j) => {
        const predicted = nspLogits.data[2 * j + 1]! > nspLogits.data[2 * j]! ? 1 : 0;
        if (predicted === label) nspCorrect++;
        nspCount++;
      });
    }
  }
  const result: HeldOut = { loss: lossSum / count, accuracy: correct / count };
  if (nspCount > 0) result.nextSentenceAccuracy = nspCorrect / nspCount;
  return result;
}
const describeHeldOut = (h: HeldOut): string =>
  `MLM loss ${h.loss.toFixed(3)}, accuracy ${h.accuracy.toFixed(3)}` +
  (h.nextSentenceAccuracy === undefined
    ? ""
    : `, next-sentence accuracy ${h.nextSentenceAccuracy.toFixed(3)}`);

async function save(
  step: number,
  heldOutResult: HeldOut | undefined,
  dtype: "float32" | "float16",
): Promise<void> {
  await mkdir(OUT, { recursive: true });
  await saveBertCheckpoint(model, OUT, { dtype });
  for (const f of ["vocab.txt", "tokenizer.json", "tokenizer_config.json"]) {
    await copyFile(join(TOKENIZER, f), join(OUT, f)).catch(() => undefined);
  }
  const info = {
    init: values.init ?? null,
    objective: nsp ? "masked-lm + next-sentence" : "masked-lm",
    positionShift: maxShift,
    steps: step,
    batchSize,
    seqLength: seq,
    lr: num("lr"),
    seed,
    corpusDocuments: docs.length,
    corpusWordPieces: corpusTokens,
    trainingExamples: examples.length,
    heldOutExamples: evalExamples.length,
    heldOut: heldOutResult,
    minutes: (Date.now() - started) / 60_000,
  };
  await writeFile(join(OUT, "pretraining.json"), `${JSON.stringify(info, null, 2)}\n`);
}

const started = Date.now();
console.log(`held-out before training: ${describeHeldOut(await evaluateHeldOut())}`);
let order = Array.from(examples.keys());
let cursor = examples.length;
const window = { loss: 0, mlm: 0, nsp: 0, n: 0 };
let step = 0;
for (; step < steps && Date.now() < deadline; step++) {
  if (cursor + batchSize > examples.length) {
    order = shuffleInPlace(order, rng);
    cursor = 0;
  }
  const picked = order.slice(cursor, cursor + batchSize).map((i) => examples[i]!);
  cursor += batchSize;
  const { loss, outputs } = await runner.step(makeBatch(picked, rng), { lr: schedule(step + 1) });
  window.loss += loss;
  window.mlm += outputs.masked_lm_loss?.data[0] ?? loss;
  window.nsp += outputs.next_sentence_loss?.data[0] ?? 0;
  window.n++;
  if ((step + 1) % 200 === 0 || step + 1 === 20) {
    const secs = (Date.now() - started) / 1000;
    const eta = (secs / (step + 1)) * (steps - step - 1);
    const parts = nsp
      ? `loss ${(window.loss / window.n).toFixed(3)} (MLM ${(window.mlm / window.n).toFixed(3)}, NSP ${(window.nsp / window.n).toFixed(3)})`
      : `loss ${(window.loss / window.n).toFixed(3)}`;
    console.log(
      `step ${step + 1}/${steps} ${parts} lr ${schedule(step + 1).toExponential(2)} ` +
        `${(((step + 1) * batchSize * seq) / secs).toFixed(0)} tok/s, ${secs.toFixed(0)} s, eta ${eta.toFixed(0)} s`,
    );
    Object.assign(window, { loss: 0, mlm: 0, nsp: 0, n: 0 });
  }
  if ((step + 1) % 1000 === 0) await save(step + 1, undefined, "float32");
}
const after = await evaluateHeldOut();
console.log(`held-out after ${step} steps: ${describeHeldOut(after)}`);
await save(step, after, values.dtype === "float16" ? "float16" : "float32");
console.log(`wrote ${OUT}`);
