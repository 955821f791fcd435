import { freezeAll, type Module, type Strategy, type StrategyOptions, TunekitError } from "@tunekit/core";
import { type BertEmbeddings, cloneModuleTree } from "@tunekit/core/models";
import { bertModelOf, headFresh, trainHead } from "../adapters/bottleneck-strategies.js";
import { applyDecoderPromptLearning, isDecoderModel } from "../prompt/decoder-prompt-learning.js";
import { PrefixEncoder } from "./prefix-encoder.js";
import {
  checkVirtualTokensFit,
  rejectAlreadyApplied,
  resolveVirtualTokenOptions,
} from "../prompt/virtual-token-options.js";
import { PrefixTunedEncoder } from "./prefix-tuned-encoder.js";

/**
 * Options of {@link prefixTuning}.
 *
 * @example
 * ```ts
 * const o: PrefixTuningOptions = { numVirtualTokens: 20, projection: true };
 * ```
 */
export interface PrefixTuningOptions {
  /** Number of virtual tokens `P` (prefix length) per layer. */
  readonly numVirtualTokens: number;
  /** Train through the MLP re-parameterisation (PEFT's `prefix_projection`, default false). */
  readonly projection?: boolean;
  /** Hidden width of that MLP (PEFT's `encoder_hidden_size`, default: the model's hidden size). */
  readonly encoderHiddenSize?: number;
  /** Std of the normal init of the prefix embedding (default 1, as `torch.nn.Embedding`). */
  readonly initStd?: number;
  readonly seed?: number;
  /** Train the task head (`classifier`) too (default true, as PEFT's `modules_to_save`). */
  readonly trainHead?: boolean;
}

/**
 * Prefix tuning (Li & Liang 2021) with PEFT's semantics for BERT: `P` trainable key/value
 * vectors per layer and head are prepended in every self-attention, the attention mask is
 * extended by `P` ones, and, as Hugging Face BERT does with `past_key_values`, the real
 * tokens' position ids start at `P` (so `P + S ≤ max_position_embeddings`). With
 * `projection: true` the prefix is `transform(embedding)` (embedding `[P, hidden]` → Linear →
 * tanh → Linear to `2 · layers · hidden`) during training; saving folds it into the plain
 * `[P, 2 · layers · hidden]` table PEFT stores as `prompt_embeddings`. Everything but the
 * prefix (and the head) is frozen. Parameters: `bert.encoder.prefix_encoder.embedding.weight`
 * and, with projection, `bert.encoder.prefix_encoder.transform.{0,2}.{weight,bias}`.
 * Sequence classification pools position 0 as usual: with a prefix, position 0 is still
 * `[CLS]` (the prefix lives only in the keys and values).
 *
 * @example
 * ```ts
 * const adapted = prefixTuning({ numVirtualTokens: 20, projection: true, encoderHiddenSize: 512 }).apply(model);
 * ```
 */
export function prefixTuning(options: PrefixTuningOptions): Strategy {
  const shared = resolveVirtualTokenOptions("prefixTuning", options);
  const p = shared.numVirtualTokens;
  const { encoderHiddenSize } = options;
  if (encoderHiddenSize !== undefined && (!Number.isInteger(encoderHiddenSize) || encoderHiddenSize < 1)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `prefixTuning: encoderHiddenSize must be a positive integer, got ${encoderHiddenSize}; e.g. { encoderHiddenSize: 512 }, or leave it out for the model's hidden size`,
    );
  }
  const resolved = Object.freeze({
    numVirtualTokens: p,
    projection: options.projection ?? false,
    encoderHiddenSize,
    initStd: shared.initStd,
    seed: shared.seed,
    trainHead: shared.trainHead,
  });
  return {
    method: "prefix-tuning",
    options: resolved as unknown as StrategyOptions,
    apply<M extends Module>(model: M): M {
      if (isDecoderModel(model)) {
        if (resolved.projection) {
          throw new TunekitError(
            "CONFIG_INVALID",
            "prefixTuning: the MLP re-parameterisation (projection: true) is not supported on causal LMs yet; use projection: false",
          );
        }
        return applyDecoderPromptLearning(model, "prefix", {
          numVirtualTokens: p,
          initStd: resolved.initStd,
          seed: resolved.seed,
        });
      }
      const adapted = cloneModuleTree(model, { freshParameters: headFresh(resolved.trainHead) });
      const bert = bertModelOf(adapted);
      if (bert.config.modelType === "distilbert") {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          "prefixTuning: DistilBERT's attention takes no key/value prefix (transformers' DistilBERT has no " +
            "past_key_values, so PEFT cannot prefix-tune it either); use LoRA, IA3 or prompt tuning",
        );
      }
      const { config } = bert;
      const encoderPath = `${adapted.namedModules().find(([, m]) => m === bert)![0]}.encoder`.replace(
        /^\./,
        "",
      );
      const encoder = adapted.getSubmodule(encoderPath);
      rejectAlreadyApplied("prefixTuning", "prefix", encoder instanceof PrefixTunedEncoder);
      const embeddings = bert.child<BertEmbeddings>("embeddings");
      checkVirtualTokensFit("prefixTuning", p, embeddings.maxPositions);
      embeddings.positionOffset = p;
      const prefixEncoder = new PrefixEncoder({
        numVirtualTokens: p,
        numLayers: config.numHiddenLayers,
        tokenDim: config.hiddenSize,
        projection: resolved.projection,
        encoderHiddenSize: resolved.encoderHiddenSize ?? config.hiddenSize,
        initStd: resolved.initStd,
        seed: resolved.seed,
      });
      adapted.setSubmodule(
        encoderPath,
        new PrefixTunedEncoder(encoder, prefixEncoder, config.numAttentionHeads),
      );
      freezeAll(adapted);
      for (const param of prefixEncoder.parameters()) param.trainable = true;
      if (resolved.trainHead) trainHead(adapted);
      return adapted;
    },
  };
}

/**
 * The {@link PrefixTunedEncoder} of a prefix-tuned model, if any.
 *
 * @example
 * ```ts
 * prefixTunedEncoderOf(adapted)?.prefixEncoder.numVirtualTokens; // 20
 * ```
 */
export function prefixTunedEncoderOf(model: Module): PrefixTunedEncoder | undefined {
  return model.namedModules().find(([, m]) => m instanceof PrefixTunedEncoder)?.[1] as
    | PrefixTunedEncoder
    | undefined;
}
