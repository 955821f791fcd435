import { join } from "node:path";
import { type Module, TunekitError } from "@tunekit/core";
import {
  type BertCheckpointReport,
  type BertConfig,
  bertConfigToJson,
  type LoadBertWeightsOptions,
  loadBertWeights,
  parseBertConfig,
  readBertConfig,
} from "@tunekit/core/models";
import { readModelWeights } from "@tunekit/core/io";
import type { ModelSpec } from "../config/train-config.js";
import { fitTensorsToVocabulary, vocabularyPlan } from "./vocabulary.js";

/**
 * The BERT config a config's `model` gives, before any head is built: a random spec's, or a
 * pre-trained folder's (its vocabulary fitted to the tokenizer), with `configJson` merged in
 * and `drop` keys removed; `load` puts the folder's weights into a model built from it.
 *
 * @example
 * ```ts
 * const base = await bertBase(spec, { vocabSize, padId, maxLength }, labelJson, ["num_labels"]);
 * const model = createBertForTask(base.config, { task: "sequence-classification" });
 * const notice = base.load ? (await base.load(model, {})).notice : base.notice;
 * ```
 */
export interface BertBase {
  readonly config: BertConfig;
  /** The pre-trained folder's own config (undefined for a random spec). */
  readonly pretrained: BertConfig | undefined;
  readonly random: boolean;
  /** Where the weights come from (`model.random` or the folder). */
  readonly source: string;
  /** For a random spec: the loud notice that it is not pre-trained. */
  readonly notice: string;
  /** Loads the folder's weights into `model` (undefined for a random spec). */
  readonly load:
    | ((
        model: Module,
        options: LoadBertWeightsOptions,
      ) => Promise<{ report: BertCheckpointReport; notice: string }>)
    | undefined;
}

/**
 * Resolves a config's `model` into a {@link BertBase}; throws `CONFIG_INVALID` when
 * `training.maxLength` exceeds the model's positions.
 *
 * @example
 * ```ts
 * const base = await bertBase(config.model, { vocabSize: 30522, padId: 0, maxLength: 128 }, {}, []);
 * ```
 */
export async function bertBase(
  spec: ModelSpec,
  o: { readonly vocabSize: number; readonly padId: number; readonly maxLength: number },
  configJson: Readonly<Record<string, unknown>>,
  drop: readonly string[],
): Promise<BertBase> {
  if (spec.kind === "random") {
    if (o.maxLength > spec.maxPositions) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `training.maxLength ${o.maxLength} exceeds model.random.maxPositions ${spec.maxPositions}; lower maxLength or raise maxPositions`,
      );
    }
    const config = parseBertConfig(
      {
        model_type: "bert",
        vocab_size: o.vocabSize,
        hidden_size: spec.hidden,
        num_hidden_layers: spec.layers,
        num_attention_heads: spec.heads,
        intermediate_size: spec.intermediate,
        max_position_embeddings: spec.maxPositions,
        pad_token_id: o.padId,
        ...configJson,
      },
      "model.random",
    );
    return {
      config,
      pretrained: undefined,
      random: true,
      source: "model.random",
      load: undefined,
      notice:
        `RANDOM MODEL: a randomly initialised BERT (${spec.layers} layers, hidden ${spec.hidden}, ${spec.heads} heads, ` +
        `intermediate ${spec.intermediate}, vocab ${o.vocabSize}), NOT a pre-trained one: expect far lower scores than fine-tuning a pre-trained model`,
    };
  }
  const pretrained = await readBertConfig(spec.path);
  const vocabulary = vocabularyPlan(spec, pretrained, o.vocabSize);
  // RoBERTa / XLM-RoBERTa number positions from padding_idx + 1 (514 positions hold 512 tokens)
  const roberta = pretrained.modelType === "roberta" || pretrained.modelType === "xlm-roberta";
  const maxTokens = pretrained.maxPositionEmbeddings - (roberta ? (pretrained.padTokenId ?? 1) + 1 : 0);
  if (o.maxLength > maxTokens) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `training.maxLength ${o.maxLength} exceeds the ${maxTokens} tokens the model's max_position_embeddings ${pretrained.maxPositionEmbeddings} allow${roberta ? ` (${pretrained.modelType} positions start after pad_token_id ${pretrained.padTokenId ?? 1})` : ""}; lower training.maxLength`,
    );
  }
  const json: Record<string, unknown> = { ...bertConfigToJson(pretrained), ...configJson };
  json.vocab_size = vocabulary.vocabSize;
  for (const k of drop) delete json[k];
  const config = parseBertConfig(json, join(spec.path, "config.json"));
  return {
    config,
    pretrained,
    random: false,
    source: spec.path,
    notice: "",
    load: async (model, options) => {
      const weights = await readModelWeights(spec.path); // model.safetensors, pytorch_model.bin or shards
      const tensors = fitTensorsToVocabulary(weights.tensors, vocabulary.vocabSize, spec.path);
      const report = loadBertWeights(model, tensors, options);
      const fresh =
        report.initialized.length > 0 ? `; freshly initialised: ${report.initialized.join(", ")}` : "";
      return {
        report,
        notice: `loaded ${report.loaded.length} tensors from ${spec.path}${fresh}${vocabulary.notice === undefined ? "" : `\n${vocabulary.notice}`}`,
      };
    },
  };
}
