import { type Backend, type CausalLm, type Tokenizer, Trainer } from "@tunekit/core";
import { type CausalLmExample, tokenizeCausalLm } from "@tunekit/core/data";
import { lora } from "@tunekit/strategies";
import type { PromptFormat } from "./prompting.js";

/**
 * LoRA settings and the training loop's: rank, scaling, wrapped projections, peak learning
 * rate (linear decay after 10 % warm-up), batch size, epochs, longest row and seed.
 *
 * @example
 * ```ts
 * const o: LoraTrainOptions = { r: 8, alpha: 16, targetModules: ["q_proj", "v_proj"], lr: 2e-3, batchSize: 16, epochs: 1, maxLength: 256, seed: 1 };
 * ```
 */
export interface LoraTrainOptions {
  readonly r: number;
  readonly alpha: number;
  readonly targetModules: readonly string[];
  readonly lr: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly maxLength: number;
  readonly seed: number;
}

/**
 * A trained LoRA model and what training it cost: trainable parameters, rows and tokens
 * (padding excluded) per epoch, supervised (answer) tokens, optimizer steps, seconds (graph
 * compilation included) and the mean loss of the first and last tenth of the steps.
 *
 * @example
 * ```ts
 * const { model, cost } = await trainLora(base, backend, tokenizer, format, examples, options);
 * console.log(cost.steps, cost.seconds);
 * ```
 */
export interface TrainedLora {
  readonly model: CausalLm;
  readonly cost: TrainCost;
}

/**
 * What a training run cost (see {@link TrainedLora}).
 *
 * @example
 * ```ts
 * const none: TrainCost = { trainableParameters: 0, rows: 0, tokens: 0, supervisedTokens: 0, steps: 0, seconds: 0, firstLoss: 0, lastLoss: 0 };
 * ```
 */
export interface TrainCost {
  readonly trainableParameters: number;
  readonly rows: number;
  readonly tokens: number;
  readonly supervisedTokens: number;
  readonly steps: number;
  readonly seconds: number;
  readonly firstLoss: number;
  readonly lastLoss: number;
}

function paddingBuckets(maxLength: number): { buckets: number[] } {
  const buckets: number[] = [];
  for (let b = 32; b < maxLength; b *= 2) buckets.push(b, b + b / 2);
  return { buckets: [...buckets.filter((b) => b < maxLength), maxLength] };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * Applies LoRA to `base` (which stays as it was) and trains it with core's `Trainer` on causal-LM
 * `examples` tokenised by `tokenizeCausalLm` (loss on the answers only: assistant turns of
 * chats, completions of prompt-completion rows), batches padded to a few bucket lengths so
 * few graphs are compiled.
 *
 * @example
 * ```ts
 * const { model } = await trainLora(base, backend, tokenizer, format, [trainingExample(format, row)], options);
 * ```
 */
export async function trainLora(
  base: CausalLm,
  backend: Backend,
  tokenizer: Tokenizer,
  format: PromptFormat,
  examples: readonly CausalLmExample[],
  o: LoraTrainOptions,
): Promise<TrainedLora> {
  const started = performance.now();
  const data = tokenizeCausalLm(examples, tokenizer, {
    maxLength: o.maxLength,
    assistantOnly: true,
    completionOnly: true,
    ...(format.kind === "chat" ? { chatTemplate: format.template } : {}),
    ...(format.eosId === undefined ? {} : { eosId: format.eosId }),
    ...(format.bosId === undefined ? {} : { bosId: format.bosId }),
  });
  const model = lora({ r: o.r, alpha: o.alpha, targetModules: [...o.targetModules] }).apply(base) as CausalLm;
  const trainableParameters = model
    .namedParameters()
    .filter(([, p]) => p.trainable)
    .reduce((n, [, p]) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const losses: number[] = [];
  const trainer = new Trainer({
    model,
    backend,
    batchSize: o.batchSize,
    epochs: o.epochs,
    lr: o.lr,
    schedule: "linear",
    warmupRatio: 0.1,
    seed: o.seed,
    padding: paddingBuckets(o.maxLength),
    bucketing: { windowBatches: 8 },
    callbacks: [{ onStep: (info) => void losses.push(info.loss) }],
  });
  let steps: number;
  try {
    steps = (await trainer.fit(data)).step;
  } finally {
    await trainer.dispose();
  }
  const tenth = Math.max(1, Math.round(losses.length / 10));
  return {
    model,
    cost: {
      trainableParameters,
      rows: data.lengths.length * o.epochs,
      tokens: data.lengths.reduce((a, b) => a + b, 0) * o.epochs,
      supervisedTokens: data.numLossTokens * o.epochs,
      steps,
      seconds: (performance.now() - started) / 1000,
      firstLoss: mean(losses.slice(0, tenth)),
      lastLoss: mean(losses.slice(-tenth)),
    },
  };
}
