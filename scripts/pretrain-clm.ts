// Pre-trains a small Llama-architecture decoder (LlamaForCausalLM) from random weights with
// causal language modelling on the unlabelled text of the local data sets, with tunekit itself
// (TrainStepRunner on the ONNX backend), and writes a Hugging Face folder (config.json,
// model.safetensors, tokenizer files, pretraining.json) that loadCausalLmCheckpoint and
// transformers' LlamaForCausalLM read. examples/models/llama-4l-h256/README.md lists the runs
// that made the shipped model.
//
//   npx tsx --conditions=@tunekit/source scripts/pretrain-clm.ts --tokenizer runs/bpe-8k \
//     --out runs/llama-clm [--steps 3000] [--batch 16] [--seq 256] [--lr 1e-3] [--layers 4]
//     [--hidden 256] [--heads 4] [--kv-heads 2] [--intermediate 688] [--max-positions 256]
//     [--seed 0] [--minutes M] [--save-every 250] [--eval-every 250] [--dtype float16|float32]
//     [--init FOLDER]
//
// Corpus (scripts/pretraining-corpus.ts, as scripts/pretrain-mlm.ts): the train splits of every
// local data set except MR and SUBJ, TweetEval's validation/test text and QNLI's dev text, minus
// texts equal to an SST-2 dev or test sentence. Every text (each side of a pair) becomes one
// example `text <|endoftext|>`; 1% of the shuffled texts are held out. Examples are packed in
// order into rows of at most --seq tokens with per-example position ids and a block-diagonal
// mask (packCausalLm), so no text attends to another and every text starts at position 0, as a
// prompt does. AdamW (beta2 0.95, weight decay 0.1 except on norms, as Hugging Face's Trainer), linear warm-up over 5% of the steps then
// linear decay to 0, clip norm 1, no dropout. The held-out loss is measured every
// --eval-every steps; every --save-every steps the folder is rewritten (an early usable model).
// --init continues from a folder this script wrote (weights only: the optimizer state and the
// schedule restart); give it another --seed so the rows come in another order.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  adamw,
  generate,
  type HostTensor,
  hostTensor,
  linearWarmupSchedule,
  loadTokenizer,
  TrainStepRunner,
  writeSafetensorsFile,
} from "@tunekit/core";
import {
  causalLmRows,
  mulberry32,
  packCausalLm,
  packedAttentionFeeds,
  shuffleInPlace,
} from "@tunekit/core/data";
import {
  LlamaForCausalLM,
  llamaConfigToJson,
  loadLlamaCheckpoint,
  parseLlamaConfig,
  stateDict,
} from "@tunekit/core/models";
import { readPretrainingCorpus } from "./pretraining-corpus.js";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    tokenizer: { type: "string" },
    out: { type: "string" },
    steps: { type: "string", default: "3000" },
    batch: { type: "string", default: "16" },
    seq: { type: "string", default: "256" },
    lr: { type: "string", default: "1e-3" },
    layers: { type: "string", default: "4" },
    hidden: { type: "string", default: "256" },
    heads: { type: "string", default: "4" },
    "kv-heads": { type: "string", default: "2" },
    intermediate: { type: "string", default: "688" },
    "max-positions": { type: "string", default: "256" },
    seed: { type: "string", default: "0" },
    minutes: { type: "string" },
    "save-every": { type: "string", default: "250" },
    "eval-every": { type: "string", default: "250" },
    dtype: { type: "string", default: "float16" },
    init: { type: "string" },
  },
});
if (values.out === undefined || values.tokenizer === undefined) {
  throw new Error("--tokenizer FOLDER (scripts/train-bpe-tokenizer.ts) and --out FOLDER are required");
}
if (values.dtype !== "float32" && values.dtype !== "float16") {
  throw new Error(`--dtype ${values.dtype}: expected float32 or float16`);
}
const OUT = resolve(values.out);
const TOKENIZER = resolve(values.tokenizer);
const num = (k: keyof typeof values): number => Number(values[k]);
const steps = num("steps");
const batchSize = num("batch");
const seq = num("seq");
const seed = num("seed");
const deadline =
  values.minutes === undefined ? Number.POSITIVE_INFINITY : Date.now() + num("minutes") * 60_000;

// --- corpus -----------------------------------------------------------------------------------
const { docs, perSet, dropped } = await readPretrainingCorpus(ROOT);
const tok = await loadTokenizer(TOKENIZER);
const EOT = tok.tokenToId("<|endoftext|>");
if (EOT === undefined) throw new Error(`${TOKENIZER}: the tokenizer has no <|endoftext|>`);
// The held-out split is the same for every --seed (a generator seeded 0); --seed picks the
// order of the training rows (seed 0 continues the split's generator).
const splitRng = mulberry32(0);
const texts = shuffleInPlace(
  docs.flatMap((d) => (d.pair === undefined ? [d.text] : [d.text, d.pair])),
  splitRng,
);
const heldOutTexts = texts.splice(0, Math.floor(texts.length / 100));
const rng = seed === 0 ? splitRng : mulberry32(seed);
const t0 = Date.now();
/** Packed rows of `text <|endoftext|>` examples (each truncated to `seq`). */
function packTexts(list: readonly string[]): ReturnType<typeof packCausalLm> {
  const ids = list.map((t) => Int32Array.from([...tok.tokenize(t).slice(0, seq - 1), EOT]));
  return packCausalLm(
    {
      ...causalLmRows(ids, ids, { padId: tok.padId, maxLength: seq }),
      dropped: [],
      numLossTokens: ids.reduce((n, r) => n + r.length - 1, 0),
    },
    { maxLength: seq },
  );
}
const train = packTexts(texts);
const heldOut = packTexts(heldOutTexts);
const trainTokens = train.ids.reduce((n, r) => n + r.length, 0);
console.log(
  `corpus: ${docs.length} documents (${perSet.join(", ")}); ${dropped} equal to SST-2 dev/test dropped; ` +
    `${texts.length} training texts → ${trainTokens} tokens in ${train.ids.length} rows of ≤ ${seq} ` +
    `(${((Date.now() - t0) / 1000).toFixed(1)} s); ${heldOutTexts.length} texts held out (${heldOut.ids.length} rows)`,
);

// --- model ------------------------------------------------------------------------------------
const configJson = {
  model_type: "llama",
  architectures: ["LlamaForCausalLM"],
  vocab_size: tok.vocabSize,
  hidden_size: num("hidden"),
  intermediate_size: num("intermediate"),
  num_hidden_layers: num("layers"),
  num_attention_heads: num("heads"),
  num_key_value_heads: num("kv-heads"),
  hidden_act: "silu",
  max_position_embeddings: num("max-positions"),
  initializer_range: 0.02,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
  attention_bias: false,
  mlp_bias: false,
  bos_token_id: EOT,
  eos_token_id: [EOT, tok.tokenToId("<|im_end|>") ?? EOT],
  pad_token_id: tok.padId,
};
const model =
  values.init === undefined
    ? new LlamaForCausalLM(parseLlamaConfig(configJson), { seed })
    : (await loadLlamaCheckpoint(resolve(values.init))).model;
const total = model.parameters().reduce((n, p) => n + p.value.data.length, 0);
console.log(`LlamaForCausalLM ${JSON.stringify(configJson)}: ~${(total / 1e6).toFixed(2)} M parameters`);

const backend = await createOnnxBackend();
const params = model.parameters();
const runner = new TrainStepRunner({
  backend,
  params,
  forward: (_g, x, ctx) => {
    const { logits, loss } = model.forward(
      {
        inputIds: x.input_ids!,
        attentionMask: x.attention_mask!,
        positionIds: x.position_ids!,
        labels: x.labels!,
      },
      ctx,
    );
    return { loss: loss!, logits };
  },
  optimizer: adamw({ weightDecay: 0.1, beta2: 0.95, decayFilter: "hf" }),
  clipNorm: 1,
  seed,
});
const schedule = linearWarmupSchedule({
  lr: num("lr"),
  warmupSteps: Math.round(steps * 0.05),
  totalSteps: steps,
});

/** The feeds of packed rows `indices`: ids, labels (-100 on padding), positions and mask. */
function makeBatch(data: typeof train, indices: Int32Array): Record<string, HostTensor> {
  const b = indices.length;
  const ids = new Int32Array(b * seq).fill(tok.padId);
  const labels = new Int32Array(b * seq).fill(-100);
  indices.forEach((row, r) => {
    ids.set(data.ids[row]!, r * seq);
    labels.set(data.tokenLabels[row]!, r * seq);
  });
  return {
    input_ids: hostTensor("int32", [b, seq], ids),
    labels: hostTensor("int32", [b, seq], labels),
    ...packedAttentionFeeds(data.segmentIds, indices, seq),
  };
}

/** Mean next-token loss over every labelled held-out token (nats). */
async function heldOutLoss(): Promise<number> {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < heldOut.ids.length; i += batchSize) {
    const indices = Int32Array.from({ length: Math.min(batchSize, heldOut.ids.length - i) }, (_, k) => i + k);
    const batch = makeBatch(heldOut, indices);
    // Labels are compared with the next position's id inside the loss: count those tokens.
    let n = 0;
    const l = batch.labels!.data;
    for (let j = 0; j < l.length; j++) if (l[j] !== -100 && j % seq !== 0) n++;
    const loss = (await runner.evaluate(batch)).loss!.data[0]!;
    sum += loss * n;
    count += n;
  }
  return sum / count;
}

const started = Date.now();
const curve: { step: number; trainLoss?: number; heldOutLoss?: number; minutes: number }[] = [];

async function save(step: number, heldOutResult: number | undefined): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const json = {
    ...llamaConfigToJson(model.llamaConfig),
    architectures: ["LlamaForCausalLM"],
    torch_dtype: values.dtype,
  };
  await writeFile(join(OUT, "config.json"), `${JSON.stringify(json, null, 2)}\n`);
  await writeSafetensorsFile(
    join(OUT, "model.safetensors"),
    stateDict(model),
    { format: "pt" },
    values.dtype === "float16" ? { floatDType: "F16" } : {},
  );
  for (const f of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]) {
    await copyFile(join(TOKENIZER, f), join(OUT, f));
  }
  const info = {
    init: values.init ?? null,
    objective: "causal-lm",
    steps: step,
    plannedSteps: steps,
    batchSize,
    seqLength: seq,
    lr: num("lr"),
    seed,
    corpusDocuments: docs.length,
    trainingTexts: texts.length,
    trainingTokens: trainTokens,
    trainingRows: train.ids.length,
    heldOutTexts: heldOutTexts.length,
    heldOutLoss: heldOutResult ?? null,
    curve,
    minutes: (Date.now() - started) / 60_000,
  };
  await writeFile(join(OUT, "pretraining.json"), `${JSON.stringify(info, null, 2)}\n`);
}

const before = await heldOutLoss();
console.log(
  `held-out loss before training: ${before.toFixed(3)} (log V = ${Math.log(tok.vocabSize).toFixed(3)})`,
);
curve.push({ step: 0, heldOutLoss: before, minutes: 0 });
let order = Array.from(train.ids.keys());
let cursor = train.ids.length;
let window = { loss: 0, n: 0 };
let step = 0;
let tokensSeen = 0;
let lastHeldOut: number | undefined;
for (; step < steps && Date.now() < deadline; step++) {
  if (cursor + batchSize > order.length) {
    order = shuffleInPlace(order, rng);
    cursor = 0;
  }
  const indices = Int32Array.from(order.slice(cursor, cursor + batchSize));
  cursor += batchSize;
  for (const i of indices) tokensSeen += train.ids[i]!.length;
  const { loss } = await runner.step(makeBatch(train, indices), { lr: schedule(step + 1) });
  window.loss += loss;
  window.n++;
  const done = step + 1;
  if (done % 50 === 0 || done === 10) {
    const secs = (Date.now() - started) / 1000;
    const trainLoss = window.loss / window.n;
    console.log(
      `step ${done}/${steps} loss ${trainLoss.toFixed(3)} lr ${schedule(done).toExponential(2)} ` +
        `${(tokensSeen / secs).toFixed(0)} tok/s (real tokens), ${secs.toFixed(0)} s, eta ${((secs / done) * (steps - done)).toFixed(0)} s`,
    );
    curve.push({ step: done, trainLoss, minutes: secs / 60 });
    window = { loss: 0, n: 0 };
  }
  if (done % num("eval-every") === 0) {
    lastHeldOut = await heldOutLoss();
    console.log(
      `step ${done}: held-out loss ${lastHeldOut.toFixed(3)} (perplexity ${Math.exp(lastHeldOut).toFixed(1)})`,
    );
    curve.push({ step: done, heldOutLoss: lastHeldOut, minutes: (Date.now() - started) / 60_000 });
  }
  if (done % num("save-every") === 0) await save(done, lastHeldOut);
}
const after = await heldOutLoss();
curve.push({ step, heldOutLoss: after, minutes: (Date.now() - started) / 60_000 });
console.log(
  `held-out loss after ${step} steps: ${after.toFixed(3)} (perplexity ${Math.exp(after).toFixed(1)})`,
);
await save(step, after);
for (const prompt of ["the movie was", "this product is", "a man is playing"]) {
  const { sequences } = await generate(model, backend, [tok.tokenize(prompt)], { maxNewTokens: 20 });
  console.log(`greedy: ${JSON.stringify(prompt)} → ${JSON.stringify(tok.decode(sequences[0]!.tokens))}`);
}
await runner.dispose();
backend.dispose();
console.log(`wrote ${OUT}`);
