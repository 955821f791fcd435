import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { TunekitError } from "../errors.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { loadCausalLmCheckpoint } from "../models/causal-lm-checkpoint.js";
import type { Module } from "../modules/module.js";
import { adamw } from "../optim/adamw.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { TrainStepRunner } from "../train/train-step-runner.js";
import { type TrainerModel, trainerForward } from "../trainer/trainer-model.js";
import { parityModelFamily } from "./parity-models.js";

/**
 * Options of {@link trainParityFixture}.
 *
 * @example
 * ```ts
 * const opts: FixtureTrainingOptions = { steps: 100, lr: 1e-4, clipNorm: 1 };
 * ```
 */
export interface FixtureTrainingOptions {
  /** Optimizer updates (default 100). */
  readonly steps?: number;
  /** Constant learning rate (default 1e-4). */
  readonly lr?: number;
  /** Gradient clipping max norm (default: no clipping). */
  readonly clipNorm?: number;
}

/**
 * The result of {@link trainParityFixture}: the loss of every step (before its update) and
 * the final value of every parameter, by Hugging Face name.
 *
 * @example
 * ```ts
 * const { losses, finalValues } = await trainParityFixture(folder, backend);
 * ```
 */
export interface FixtureTrainingResult {
  readonly losses: readonly number[];
  readonly finalValues: ReadonlyMap<string, HostTensor>;
}

/**
 * The two fixed batches of {@link trainParityFixture}: the fixture's own inputs, and a
 * second batch made from them deterministically (token ids shifted by 7 modulo the
 * vocabulary, padding kept at 0, rows in reverse order, labels rotated by one class). For a
 * decoder fixture (no `token_type_ids`; labels `[B, S]`) the second batch's labels are its
 * own shifted ids, with -100 where the fixture's labels have it; `numLabels` is unused.
 *
 * @example
 * ```ts
 * const [a, b] = await parityFixtureBatches(folder, 64, 3);
 * ```
 */
export async function parityFixtureBatches(
  folder: string,
  vocabSize: number,
  numLabels: number,
): Promise<[Record<string, HostTensor>, Record<string, HostTensor>]> {
  const { tensors } = await readSafetensorsFile(join(folder, "reference.safetensors"));
  const decoder = (await parityModelFamily(folder)).kind === "decoder";
  const inputs = decoder
    ? ["input_ids", "attention_mask", "labels"]
    : ["input_ids", "attention_mask", "token_type_ids", "labels"];
  const a: Record<string, HostTensor> = {};
  for (const name of inputs) {
    const t = tensors.get(name);
    if (!t) {
      throw new TunekitError(
        "IO_ERROR",
        `${folder}/reference.safetensors has no "${name}"; expected the parity fixture layout of shared/reference/README.md`,
      );
    }
    a[name] = t;
  }
  const [rows, cols] = a.input_ids!.shape as [number, number];
  const reverseRows = (t: HostTensor, map: (v: number) => number): HostTensor => {
    const width = t.shape.length === 2 ? cols : 1;
    const out = new Int32Array(t.data.length);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) out[r * width + c] = map(t.data[(rows - 1 - r) * width + c]!);
    }
    return hostTensor("int32", t.shape, out);
  };
  const shift = (id: number): number => (id === 0 ? 0 : 1 + ((id + 6) % (vocabSize - 1)));
  const inputIds = reverseRows(a.input_ids!, shift);
  const attentionMask = reverseRows(a.attention_mask!, (m) => m);
  if (decoder) {
    const kept = reverseRows(a.labels!, (l) => l);
    const labels = hostTensor(
      "int32",
      kept.shape,
      Int32Array.from(kept.data, (l, i) => (l === -100 ? -100 : inputIds.data[i]!)),
    );
    return [a, { input_ids: inputIds, attention_mask: attentionMask, labels }];
  }
  const b: Record<string, HostTensor> = {
    input_ids: inputIds,
    attention_mask: attentionMask,
    token_type_ids: reverseRows(a.token_type_ids!, (t) => t),
    labels: reverseRows(a.labels!, (l) => (l + 1) % numLabels),
  };
  return [a, b];
}

/**
 * Fine-tunes the parity fixture model in `folder` (a BERT classifier or a Llama-family causal
 * LM or GPT-2, told by its `config.json`; every parameter trainable, dropout off)
 * with AdamW (weight decay 0.01, Hugging Face decay exclusion) on `backend`, alternating the
 * two batches of {@link parityFixtureBatches}. Deterministic, so the same call on two
 * backends must give the same losses up to float rounding: the cross-backend agreement
 * check of issue 5.
 *
 * @example
 * ```ts
 * const { losses } = await trainParityFixture("../shared/reference/bert-tiny-parity", createReferenceBackend());
 * ```
 */
export async function trainParityFixture(
  folder: string,
  backend: Backend,
  options: FixtureTrainingOptions = {},
): Promise<FixtureTrainingResult> {
  const steps = options.steps ?? 100;
  const lr = options.lr ?? 1e-4;
  let model: TrainerModel & Module;
  let batches: [Record<string, HostTensor>, Record<string, HostTensor>];
  if ((await parityModelFamily(folder)).kind === "decoder") {
    const { model: lm } = await loadCausalLmCheckpoint(folder);
    model = lm;
    batches = await parityFixtureBatches(folder, lm.generationSpec.vocabSize, 0);
  } else {
    const { model: bert, config } = await loadBertCheckpoint(folder, { task: "sequence-classification" });
    model = bert;
    batches = await parityFixtureBatches(folder, config.vocabSize, bert.numLabels);
  }
  const params = model.parameters();
  const runner = new TrainStepRunner({
    backend,
    params,
    forward: trainerForward(model),
    optimizer: adamw({ weightDecay: 0.01, decayFilter: "hf" }),
    ...(options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm }),
  });
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) losses.push((await runner.step(batches[i % 2]!, { lr })).loss);
  } finally {
    await runner.dispose();
  }
  return { losses, finalValues: new Map(params.map((p) => [p.name, p.value])) };
}
