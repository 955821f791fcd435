import { createReferenceBackend } from "../backend/reference-backend.js";
import { causalLmRows } from "../data/causal-lm/causal-lm-tokenize.js";
import { mulberry32 } from "../data/random.js";
import { Trainer } from "../trainer/trainer.js";
import type { TrainerData, TrainerModel } from "../trainer/trainer-model.js";

/**
 * Row lengths and prompt masking of {@link countingRows}.
 *
 * @example
 * ```ts
 * const options: CountingRowsOptions = { minLength: 3, lengthSpread: 5, promptLength: (r) => 1 + (r % 2) };
 * ```
 */
export interface CountingRowsOptions {
  /** The shortest row (default 4). */
  readonly minLength?: number;
  /** Rows are `minLength .. minLength + lengthSpread - 1` tokens long (default 4). */
  readonly lengthSpread?: number;
  /** Leading tokens of row `row` labelled -100, so they carry no loss (default 1). */
  readonly promptLength?: (row: number) => number;
}

/**
 * Causal-LM rows that "count up from a random start" (ids `start, start+1, ...`, start in
 * `3 .. 10`), of `minLength .. minLength+lengthSpread-1` tokens (so batches pad differently),
 * labelled with the ids themselves and -100 on the first `promptLength(row)` tokens (default 1).
 * A decoder learns them in a few steps, even with its base frozen and only an adapter,
 * a prefix or a prompt training. Seeded: the same `n` and `seed` give the same rows.
 *
 * @example
 * ```ts
 * import { countingRows } from "@tunekit/core/testing";
 * const data = countingRows(16, 3); // 16 rows of 4..7 tokens, pad id 0
 * ```
 */
export function countingRows(n: number, seed: number, options: CountingRowsOptions = {}): TrainerData {
  const { minLength = 4, lengthSpread = 4, promptLength = () => 1 } = options;
  const rng = mulberry32(seed);
  const ids = Array.from({ length: n }, () => {
    const start = 3 + Math.floor(rng() * 8);
    return Int32Array.from({ length: minLength + Math.floor(rng() * lengthSpread) }, (_, t) => start + t);
  });
  const labels = ids.map((row, r) => Int32Array.from(row, (id, t) => (t < promptLength(r) ? -100 : id)));
  return causalLmRows(ids, labels, { padId: 0, maxLength: 8 });
}

/**
 * Fits `model` on `data` with the reference backend (batch 8, constant `lr`, seed 1) and
 * returns the fit result and the loss of every step.
 *
 * @example
 * ```ts
 * import { countingRows, fitLosses } from "@tunekit/core/testing";
 * const { result, losses } = await fitLosses(model, countingRows(16, 3), { epochs: 6, lr: 1e-2 });
 * ```
 */
export async function fitLosses(
  model: TrainerModel,
  data: TrainerData,
  options: { readonly epochs: number; readonly lr: number },
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
