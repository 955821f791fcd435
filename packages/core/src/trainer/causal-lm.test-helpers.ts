import { createReferenceBackend } from "../backend/reference-backend.js";
import { mulberry32 } from "../data/random.js";
import { Trainer } from "./trainer.js";
import type { TrainerData, TrainerModel } from "./trainer-model.js";

/**
 * Causal-LM rows that "count up from a random start" (ids `start, start+1, ...`, start in
 * `3 .. 10`), of `minLength .. minLength+lengthSpread-1` tokens (so batches pad differently),
 * labelled with the ids themselves and -100 on the first `promptLength(row)` tokens (default 1).
 *
 * @example
 * ```ts
 * const data = countingRows(16, 3); // 16 rows of 4..7 tokens
 * ```
 */
export function countingRows(
  n: number,
  seed: number,
  options: { minLength?: number; lengthSpread?: number; promptLength?: (row: number) => number } = {},
): TrainerData {
  const { minLength = 4, lengthSpread = 4, promptLength = () => 1 } = options;
  const rng = mulberry32(seed);
  const ids = Array.from({ length: n }, () => {
    const start = 3 + Math.floor(rng() * 8);
    return Int32Array.from({ length: minLength + Math.floor(rng() * lengthSpread) }, (_, t) => start + t);
  });
  return {
    task: "classification",
    ids,
    tokenTypeIds: ids.map((row) => new Int32Array(row.length)),
    lengths: Int32Array.from(ids, (row) => row.length),
    labels: undefined,
    padId: 0,
    maxLength: 8,
    numTruncated: 0,
    tokenLabels: ids.map((row, r) => Int32Array.from(row, (id, t) => (t < promptLength(r) ? -100 : id))),
  };
}

/**
 * Fits `model` on `data` with the reference backend (batch 8, constant `lr`, seed 1) and
 * returns the fit result and the loss of every step.
 *
 * @example
 * ```ts
 * const { result, losses } = await fitLosses(model, countingRows(16, 3), { epochs: 6, lr: 1e-2 });
 * ```
 */
export async function fitLosses(
  model: TrainerModel,
  data: TrainerData,
  options: { epochs: number; lr: number },
): Promise<{ result: Awaited<ReturnType<Trainer["fit"]>>; losses: number[] }> {
  const losses: number[] = [];
  const trainer = new Trainer({
    model,
    callbacks: [{ onStep: (info) => void losses.push(info.loss) }],
    backend: createReferenceBackend(),
    batchSize: 8,
    epochs: options.epochs,
    lr: options.lr,
    schedule: "constant",
    seed: 1,
  });
  const result = await trainer.fit(data);
  return { result, losses };
}
