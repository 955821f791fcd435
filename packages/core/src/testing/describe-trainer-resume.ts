import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import * as tk from "../index.js";
import * as models from "../entries/models.js";
import * as tkData from "../entries/data.js";
import type * as trainer from "../entries/trainer.js";

// A tiny BERT (1 layer, hidden 16) and a toy task: class 1 when the row holds token 7.
const config = models.parseBertConfig({
  model_type: "bert",
  vocab_size: 20,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
  type_vocab_size: 2,
  id2label: { 0: "no", 1: "yes" },
});

function toyData(n: number, seed: number): tk.TokenizedDataset {
  const rng = tkData.mulberry32(seed);
  const ids = Array.from({ length: n }, () => {
    const len = 3 + Math.floor(rng() * 6);
    return Int32Array.from({ length: len }, (_, t) =>
      t === 0 ? 1 : t === len - 1 ? 2 : rng() < 0.3 ? 7 : 3 + Math.floor(rng() * 17),
    );
  });
  return {
    task: "classification",
    ids,
    tokenTypeIds: ids.map((r) => new Int32Array(r.length)),
    lengths: Int32Array.from(ids, (r) => r.length),
    labels: Int32Array.from(ids, (r) => (r.includes(7) ? 1 : 0)),
    padId: 0,
    maxLength: 16,
    numTruncated: 0,
  };
}

/**
 * Registers the Trainer's exact-resume test on a backend: 5 updates in one run equal 2
 * updates, a checkpoint, fresh objects, `resumeFrom: "latest"` and 3 more updates —
 * bit-identical weights (tiny BERT, accumulation 2, dropout on, padding buckets).
 *
 * @example
 * ```ts
 * describeTrainerResume("ONNX Runtime", () => createOnnxBackend());
 * ```
 */
export function describeTrainerResume(
  backendName: string,
  createBackend: () => Backend | Promise<Backend>,
): void {
  let backend: Backend | undefined;
  beforeAll(async () => {
    backend = await createBackend();
  });
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const options = (model: tk.TrainerModel, extra: Partial<tk.TrainerOptions> = {}): tk.TrainerOptions => ({
    model,
    backend: backend!,
    batchSize: 8,
    gradientAccumulation: 2,
    maxSteps: 5,
    lr: 5e-3,
    warmupSteps: 1,
    clipNorm: 1,
    seed: 3,
    padding: { buckets: [8, 16] },
    bucketing: { windowBatches: 2 },
    ...extra,
  });

  describe(`Trainer on ${backendName}`, () => {
    it("resume is bit-exact: 5 updates == 2 updates, checkpoint, new objects, resume, 3 updates (dropout on)", async () => {
      const dir = await mkdtemp(join(tmpdir(), "tunekit-resume-"));
      dirs.push(dir);
      const data = toyData(32, 1);
      const full = new tk.BertForSequenceClassification(config, { seed: 1 });
      const fullTrainer = new tk.Trainer(options(full));
      const before = await fullTrainer.evaluate(data);
      await fullTrainer.fit(data);
      const after = await fullTrainer.evaluate(data);
      expect(after.loss).toBeLessThan(before.loss);

      const first = new tk.BertForSequenceClassification(config, { seed: 1 });
      const stop = { onStep: (s: trainer.StepInfo) => (s.step === 2 ? "stop" : undefined) };
      const part = await new tk.Trainer(options(first, { checkpoints: { dir }, callbacks: [stop] })).fit(
        data,
      );
      expect(part.lastCheckpoint).toBe(join(dir, "checkpoint-2"));

      const second = new tk.BertForSequenceClassification(config, { seed: 9 });
      const resumed = await new tk.Trainer(options(second, { checkpoints: { dir } })).fit(data, {
        resumeFrom: "latest",
      });
      expect(resumed.step).toBe(5);
      const want = new Map(full.namedParameters().map(([n, p]) => [n, p.value.data]));
      for (const [name, p] of second.namedParameters()) expect(p.value.data, name).toEqual(want.get(name));
    });
  });
}
