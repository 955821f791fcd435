import type { Rng } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import { crossEntropy } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import { add } from "../../ir/ops.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";
import type { ForwardFn } from "../../train/train-step.js";
import type { BertHeadOptions } from "./bert-heads.js";
import {
  BertLmPredictionHead,
  type BertMaskedLmInputs,
  BertWithTiedDecoder,
  maskedLmHead,
  maskedLmInputs,
} from "./bert-mlm.js";

/**
 * Inputs of {@link BertForPreTraining}: the masked-LM inputs plus `nextSentenceLabels`, int32
 * `[B]`: 0 when segment B (token type 1) continues segment A, 1 when it is a random segment
 * (Hugging Face's `next_sentence_label`).
 *
 * @example
 * ```ts
 * const inputs: BertPreTrainingInputs = { inputIds, tokenTypeIds, maskedPositions, labels, nextSentenceLabels };
 * ```
 */
export interface BertPreTrainingInputs extends BertMaskedLmInputs {
  readonly nextSentenceLabels?: Tensor | undefined;
}

/**
 * What {@link BertForPreTraining} returns: masked-LM `logits`, next-sentence logits `[B, 2]`,
 * and with both kinds of labels the summed loss (Hugging Face: `masked_lm_loss + next_sentence_loss`).
 *
 * @example
 * ```ts
 * const { logits, seqRelationshipLogits, loss } = model.forward(inputs, ctx);
 * ```
 */
export interface BertPreTrainingOutput {
  readonly logits: Tensor;
  readonly seqRelationshipLogits: Tensor;
  readonly maskedLmLoss?: Tensor;
  readonly nextSentenceLoss?: Tensor;
  readonly loss?: Tensor;
}

/**
 * The `cls` module of `BertForPreTraining` (Hugging Face `BertPreTrainingHeads`):
 * `predictions` (the masked-LM head) and `seq_relationship`, a linear layer from the pooled
 * output to the two next-sentence classes.
 *
 * @example
 * ```ts
 * const cls = new BertPreTrainingHeads(config, mulberry32(0)); // cls.predictions.*, cls.seq_relationship.*
 * ```
 */
export class BertPreTrainingHeads extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.registerModule("predictions", new BertLmPredictionHead(config, rng));
    this.registerModule(
      "seq_relationship",
      new Linear(config.hiddenSize, 2, { rng, std: config.initializerRange }),
    );
  }

  /** The masked-LM head. */
  get predictions(): BertLmPredictionHead {
    return this.child<BertLmPredictionHead>("predictions");
  }

  /** The next-sentence classifier (`[2, hidden]` weight). */
  get seqRelationship(): Layer {
    return this.child<Layer>("seq_relationship");
  }
}

/**
 * BERT with both pre-training heads (Hugging Face `BertForPreTraining`): masked-language
 * modelling on `cls.predictions` (decoder tied to the word embeddings) and next-sentence
 * prediction on the pooled `[CLS]` output (`cls.seq_relationship`). Next-sentence prediction is
 * what trains the pooler and the `[CLS]` representation that sequence classifiers read; a
 * masked-LM-only checkpoint leaves them untrained. Its checkpoints load into every other BERT
 * task (the pre-training heads are ignored, the pooler kept).
 *
 * @example
 * ```ts
 * const model = new BertForPreTraining(config, { seed: 0 });
 * const { loss } = model.forward({ inputIds, tokenTypeIds, maskedPositions, labels, nextSentenceLabels }, ctx);
 * ```
 */
export class BertForPreTraining extends BertWithTiedDecoder {
  constructor(config: BertConfig, options: Pick<BertHeadOptions, "seed"> = {}) {
    super(config, options, true, (rng) => new BertPreTrainingHeads(config, rng));
  }

  forward(inputs: BertPreTrainingInputs, ctx: ForwardContext = EVAL_CONTEXT): BertPreTrainingOutput {
    const { lastHiddenState, poolerOutput } = this.bert.forward(inputs, ctx);
    const heads = this.child<BertPreTrainingHeads>("cls");
    const mlm = maskedLmHead(
      lastHiddenState,
      inputs,
      heads.predictions,
      this.wordEmbeddings,
      ctx,
      "BertForPreTraining",
    );
    const seqRelationshipLogits = heads.seqRelationship.forward(poolerOutput!, ctx);
    const nsp = inputs.nextSentenceLabels;
    if (nsp === undefined) return { logits: mlm.logits, seqRelationshipLogits };
    const b = lastHiddenState.shape[0]!;
    if (nsp.dtype !== "int32" || nsp.rank !== 1 || nsp.shape[0] !== b) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `BertForPreTraining: next_sentence_label must be int32 [${b}] (0 = B continues A, 1 = random B), ` +
          `got ${nsp.dtype}[${nsp.shape.join(", ")}]`,
      );
    }
    const nextSentenceLoss = crossEntropy(seqRelationshipLogits, nsp, -100);
    if (mlm.loss === undefined) return { logits: mlm.logits, seqRelationshipLogits, nextSentenceLoss };
    return {
      logits: mlm.logits,
      seqRelationshipLogits,
      maskedLmLoss: mlm.loss,
      nextSentenceLoss,
      loss: add(mlm.loss, nextSentenceLoss),
    };
  }
}

/**
 * The {@link ForwardFn} of a {@link BertForPreTraining} on batches of `input_ids`,
 * `attention_mask`, `token_type_ids`, `masked_positions`, `labels` and `next_sentence_label`
 * (optional `position_ids`). Returns `loss` (masked-LM + next-sentence), `masked_lm_loss`,
 * `next_sentence_loss`, `seq_relationship_logits` and, outside training (evaluation), the
 * masked-LM `logits` (`[N, vocab]`; a training step does not copy them out).
 *
 * @example
 * ```ts
 * const runner = new TrainStepRunner({ backend, params: model.namedParameters().map(([, p]) => p), forward: preTrainingForward(model), optimizer: adamw() });
 * ```
 */
export function preTrainingForward(model: BertForPreTraining): ForwardFn {
  return (_g, inputs, ctx) => {
    const out = model.forward(
      { ...maskedLmInputs(inputs), nextSentenceLabels: inputs.next_sentence_label },
      ctx,
    );
    const scalars = {
      ...(out.loss === undefined ? {} : { loss: out.loss }),
      masked_lm_loss: out.maskedLmLoss,
      next_sentence_loss: out.nextSentenceLoss,
      seq_relationship_logits: out.seqRelationshipLogits,
    };
    // [N, vocab] logits: copying them out of every training step would cost more than the step.
    return ctx.training ? scalars : { ...scalars, logits: out.logits };
  };
}
