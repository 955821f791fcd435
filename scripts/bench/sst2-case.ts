/**
 * One epoch of SST-2 train (the real length distribution) with full fine-tuning of the bench
 * BERT (4 × 256, vocab 30522, bert-base-uncased WordPiece): tunekit on onnxruntime with length
 * bucketing (rows sorted by length within shuffled windows, each batch padded up to the next
 * bucket length) against the PyTorch peer (`sst2_peer.py`: shuffled batches, each padded to its
 * own longest row, as Hugging Face's `DataCollatorWithPadding` does). Same rows, same token ids,
 * same batch size, AdamW, 2 threads. Prints one JSON line per side with wall time (compiles
 * included), real tokens/s and padded tokens/s.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/sst2-case.ts '{"rows":2000}'
 *   rows: first N rows of train.tsv (default all 67,349); batch (32); threads (2);
 *   buckets ([16, 24, 32, 48, 64, 80, 128]); python (an interpreter with torch, or none: no peer)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as tk from "@tunekit/core";
import * as tkData from "@tunekit/core/data";
import { benchForward, benchModel, DEFAULT_SIZES } from "./bert-case.js";

interface Sst2Spec {
  readonly rows?: number;
  readonly batch?: number;
  readonly threads?: number;
  readonly buckets?: readonly number[];
  readonly python?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, "../../../shared");
const spec = JSON.parse(process.argv[2] ?? "{}") as Sst2Spec;
const batchSize = spec.batch ?? 32;
const threads = spec.threads ?? 2;
const buckets = spec.buckets ?? [16, 24, 32, 48, 64, 80, 128];

// train.tsv: a header, then "sentence<TAB>label" rows.
const lines = readFileSync(join(shared, "data/sst2/train.tsv"), "utf8").split("\n").slice(1);
const texts: string[] = [];
const labels: number[] = [];
for (const line of lines) {
  const tab = line.lastIndexOf("\t");
  if (tab < 0) continue;
  texts.push(line.slice(0, tab));
  labels.push(Number(line.slice(tab + 1)) === 1 ? 1 : 0);
  if (spec.rows !== undefined && texts.length >= spec.rows) break;
}
const tokenizer = await tk.loadTokenizer(join(shared, "tokenizers/bert-base-uncased"));
const ids: Int32Array[] = [];
const types: Int32Array[] = [];
const lengths = new Int32Array(texts.length);
texts.forEach((t, i) => {
  const e = tokenizer.encode(t, undefined, { maxLength: 128 });
  ids.push(Int32Array.from(e.ids));
  types.push(Int32Array.from(e.tokenTypeIds));
  lengths[i] = e.ids.length;
});
const data: tk.TokenizedDataset = {
  task: "classification",
  ids,
  tokenTypeIds: types,
  lengths,
  labels: Int32Array.from(labels),
  padId: tokenizer.padId,
  maxLength: 128,
  numTruncated: 0,
};
const realTokens = lengths.reduce((a, b) => a + b, 0);
const lengthStats = {
  rows: texts.length,
  mean_length: +(realTokens / texts.length).toFixed(1),
  max_length: Math.max(...lengths),
};

// tunekit: bucketed batches, full fine-tuning, one session per bucket shape.
const model = benchModel(DEFAULT_SIZES);
const onnx = await import("@tunekit/backend-onnx");
const backend = await onnx.createOnnxBackend({ intraOpNumThreads: threads });
const runner = new tk.TrainStepRunner({
  backend,
  params: model.parameters(),
  forward: benchForward(model),
  optimizer: tk.adamw({ weightDecay: 0.01 }),
});
const plan = tkData.planBatches(lengths, { batchSize, seed: 0, bucketing: { windowBatches: 100 } });
let padded = 0;
let lastLoss = Number.NaN;
const t0 = performance.now();
for (const indices of plan) {
  const b = tkData.collateRows(data, indices, { buckets });
  padded += b.inputIds.shape[0]! * b.inputIds.shape[1]!;
  const feeds = {
    input_ids: b.inputIds,
    attention_mask: b.attentionMask,
    token_type_ids: b.tokenTypeIds,
    labels: b.labels as tk.HostTensor<"int32">,
  };
  lastLoss = (await runner.step(feeds, { lr: 2e-5 })).loss;
}
const wall = (performance.now() - t0) / 1000;
await runner.dispose();
backend.dispose();
console.log(
  JSON.stringify({
    case: "sst2-epoch",
    side: "tunekit onnx, length buckets",
    ...lengthStats,
    batch: batchSize,
    batches: plan.length,
    shapes_compiled: backend.sessionStats().created,
    wall_s: +wall.toFixed(1),
    tokens_per_s: +(realTokens / wall).toFixed(0),
    padded_tokens_per_s: +(padded / wall).toFixed(0),
    pad_fraction: +(1 - realTokens / padded).toFixed(3),
    loss_last: +lastLoss.toFixed(4),
  }),
);

// The peer, on the same token ids.
if (spec.python !== undefined && spec.python !== "none") {
  const dir = mkdtempSync(join(tmpdir(), "tunekit-sst2-"));
  try {
    const file = join(dir, "rows.json");
    writeFileSync(file, JSON.stringify({ ids: ids.map((r) => [...r]), labels }));
    const r = spawnSync(spec.python, [join(here, "sst2_peer.py"), file, String(batchSize), String(threads)], {
      encoding: "utf8",
      cwd: join(shared, "reference"),
      env: { ...process.env, PYTHONPATH: join(shared, "reference") },
      timeout: 7_200_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    console.log(
      line ?? JSON.stringify({ case: "sst2-epoch", side: "pytorch peer", error: r.stderr.slice(-600) }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
