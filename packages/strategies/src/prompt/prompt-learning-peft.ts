import { join } from "node:path";
import {
  type CausalLm,
  type HostTensor,
  hostTensor,
  type Module,
  type Parameter,
  readSafetensorsFile,
  type Strategy,
  TunekitError,
} from "@tunekit/core";
import { evaluateGraphFloat64, Graph } from "@tunekit/core/ir";
import { type DecoderPromptEncoder, decoderPromptEncoderOf } from "@tunekit/core/models";
import { bertModelOf } from "../adapters/bottleneck-strategies.js";
import { assignTensorsStrictly } from "../adapters/strict-tensors.js";
import { prefixTunedEncoderOf, prefixTuning } from "../prefix/prefix-tuning.js";
import { promptEmbeddingsOf, promptTuning } from "./prompt-tuning.js";
import { readAdapterConfigJson, writeAdapterFolder } from "../peft/adapter-folder-io.js";
import { adapterTaskType } from "../peft/peft-task-type.js";
import { decoderPromptSizes, isDecoderModel } from "./decoder-prompt-learning.js";

/**
 * PEFT's `task_type` of a model: `SEQ_CLS`, `TOKEN_CLS`, `FEATURE_EXTRACTION` (a bare BERT
 * encoder) or `CAUSAL_LM` (a Llama-family decoder).
 *
 * @example
 * ```ts
 * const task: PeftTaskType = peftTaskType(model); // "SEQ_CLS"
 * ```
 */
export type PeftTaskType = "SEQ_CLS" | "TOKEN_CLS" | "FEATURE_EXTRACTION" | "CAUSAL_LM";

/**
 * PEFT's key of the prompt / prefix table in `adapter_model.safetensors`.
 *
 * @example
 * ```ts
 * tensors.get(PROMPT_EMBEDDINGS_KEY)?.shape; // [P, hidden] or [P, layers * 2 * hidden]
 * ```
 */
export const PROMPT_EMBEDDINGS_KEY = "prompt_embeddings";

/**
 * PEFT's keys of a prompt-learning model's saved head (`modules_to_save: ["classifier"]`):
 * the prompt-learning `PeftModel` wraps the Hugging Face model directly, so the prefix is
 * `base_model.` (LoRA files use `base_model.model.`).
 *
 * @example
 * ```ts
 * tensors.has(`${PROMPT_LEARNING_HEAD_PREFIX}weight`); // "base_model.classifier.weight"
 * ```
 */
export const PROMPT_LEARNING_HEAD_PREFIX = "base_model.classifier.";

/**
 * The PEFT task type of a model for prompt-learning files (see {@link PeftTaskType}): the
 * same as every other adapter's (`adapterTaskType`).
 *
 * @example
 * ```ts
 * peftTaskType(new BertForSequenceClassification(config)); // "SEQ_CLS"
 * ```
 */
export function peftTaskType(model: Module): PeftTaskType {
  return adapterTaskType(model);
}

/**
 * The prefix table PEFT saves for a prefix-tuned model, `[P, layers · 2 · hidden]`: the raw
 * table, or, with the MLP re-parameterisation, `transform(embedding)` computed on the host
 * in float64 (PEFT's `get_prompt_embedding_to_save`).
 *
 * @example
 * ```ts
 * foldedPrefix(adapted).shape; // [20, 12 * 2 * 768]
 * ```
 */
export function foldedPrefix(model: Module): HostTensor {
  const encoder = prefixTunedEncoderOf(model);
  if (!encoder)
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "foldedPrefix: the model is not prefix-tuned (apply prefixTuning first)",
    );
  const g = new Graph();
  g.output("table", encoder.prefixEncoder.forward(g));
  const t = evaluateGraphFloat64(g, {}).table!;
  return hostTensor("float32", t.shape, Float32Array.from(t.data));
}

/**
 * Options of {@link savePromptLearningAdapter}: the base model's and the tokenizer's names or
 * paths, written to `base_model_name_or_path` and (text-initialised prompts) to
 * `tokenizer_name_or_path`, which defaults to the base model's (where Hugging Face folders
 * keep their tokenizer).
 *
 * @example
 * ```ts
 * const o: PromptLearningSaveOptions = { baseModelNameOrPath: "bert-base-uncased", tokenizerNameOrPath: "bert-base-uncased" };
 * ```
 */
export interface PromptLearningSaveOptions {
  readonly baseModelNameOrPath?: string;
  readonly tokenizerNameOrPath?: string;
}

/**
 * `adapter_config.json` and the tensors PEFT stores for a prefix- or prompt-tuned model:
 * `prompt_embeddings` (the folded prefix table, or the prompt `[P, hidden]`) and, when the
 * model has a classifier, `base_model.classifier.{weight,bias}`.
 *
 * @example
 * ```ts
 * const { config, tensors } = promptLearningContents(adapted);
 * config.peft_type; // "PREFIX_TUNING"
 * ```
 */
export function promptLearningContents(
  model: Module,
  options: PromptLearningSaveOptions = {},
): { config: Record<string, unknown>; tensors: Record<string, HostTensor> } {
  const decoder = decoderPromptEncoderOf(model);
  if (decoder && isDecoderModel(model)) return decoderPromptLearningContents(model, decoder, options);
  const bert = bertModelOf(model).config;
  const task = peftTaskType(model);
  const common = {
    task_type: task,
    inference_mode: true,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    revision: null,
    token_dim: bert.hiddenSize,
    num_transformer_submodules: 1,
    num_attention_heads: bert.numAttentionHeads,
    num_layers: bert.numHiddenLayers,
    modules_to_save: task === "FEATURE_EXTRACTION" ? null : ["classifier", "score"],
  };
  const tensors: Record<string, HostTensor> = {};
  let config: Record<string, unknown>;
  const prefix = prefixTunedEncoderOf(model);
  const prompt = promptEmbeddingsOf(model);
  if (prefix) {
    const enc = prefix.prefixEncoder;
    config = {
      peft_type: "PREFIX_TUNING",
      ...common,
      num_virtual_tokens: enc.numVirtualTokens,
      encoder_hidden_size: enc.encoderHiddenSize,
      prefix_projection: enc.projection,
    };
    tensors[PROMPT_EMBEDDINGS_KEY] = foldedPrefix(model);
  } else if (prompt) {
    const tokenizer = options.tokenizerNameOrPath ?? options.baseModelNameOrPath ?? null;
    config = {
      peft_type: "PROMPT_TUNING",
      ...common,
      num_virtual_tokens: prompt.numVirtualTokens,
      // PEFT refuses TEXT without a tokenizer_name_or_path (PromptTuningConfig.__post_init__); the
      // trained prompt is in the weights either way, so with no tokenizer or base model path known
      // the init is recorded as RANDOM and the text kept for the record.
      prompt_tuning_init: prompt.initText !== undefined && tokenizer !== null ? "TEXT" : "RANDOM",
      prompt_tuning_init_text: prompt.initText ?? null,
      tokenizer_name_or_path: prompt.initText === undefined ? null : tokenizer,
      tokenizer_kwargs: null,
    };
    tensors[PROMPT_EMBEDDINGS_KEY] = prompt.promptEmbeddings.value;
  } else {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `savePromptLearningAdapter: this ${model.constructor.name} has neither a prefix nor a prompt; pass the model returned by prefixTuning(...).apply or promptTuning(...).apply`,
    );
  }
  const head = model.namedChildren().find(([n]) => n === "classifier")?.[1];
  if (head)
    for (const [local, p] of head.namedParameters()) tensors[PROMPT_LEARNING_HEAD_PREFIX + local] = p.value;
  return { config, tensors };
}

/** PEFT's prompt-learning config and tensors of a prompt- or prefix-tuned causal LM. */
function decoderPromptLearningContents(
  model: CausalLm,
  encoder: DecoderPromptEncoder,
  options: PromptLearningSaveOptions,
): { config: Record<string, unknown>; tensors: Record<string, HostTensor> } {
  const sizes = decoderPromptSizes(model, encoder.kind);
  const common = {
    task_type: peftTaskType(model),
    inference_mode: true,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    revision: null,
    token_dim: sizes.tokenDim,
    num_transformer_submodules: 1,
    num_attention_heads: sizes.numAttentionHeads,
    num_layers: sizes.numLayers,
    num_virtual_tokens: encoder.numVirtualTokens,
    modules_to_save: null,
  };
  const config =
    encoder.kind === "prefix"
      ? {
          peft_type: "PREFIX_TUNING",
          ...common,
          encoder_hidden_size: sizes.tokenDim,
          prefix_projection: false,
        }
      : {
          peft_type: "PROMPT_TUNING",
          ...common,
          prompt_tuning_init: "RANDOM",
          prompt_tuning_init_text: null,
          tokenizer_name_or_path: null,
          tokenizer_kwargs: null,
        };
  return { config, tensors: { [PROMPT_EMBEDDINGS_KEY]: encoder.table.value } };
}

/**
 * Writes a prefix- or prompt-tuned model as a PEFT adapter folder (`adapter_config.json` +
 * `adapter_model.safetensors`) that Python PEFT loads with `PeftModel.from_pretrained`.
 *
 * @example
 * ```ts
 * await savePromptLearningAdapter(adapted, "out/prefix", { baseModelNameOrPath: "bert-base-uncased" });
 * ```
 */
export async function savePromptLearningAdapter(
  model: Module,
  dir: string,
  options: PromptLearningSaveOptions = {},
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  const { config, tensors } = promptLearningContents(model, options);
  return writeAdapterFolder(dir, config, tensors);
}

/**
 * The strategy a PEFT `PREFIX_TUNING` / `PROMPT_TUNING` config describes, after checking it
 * against the model's sizes. A saved prefix is always the folded table, so it loads as
 * `prefixTuning({ projection: false })` whatever `prefix_projection` says (as PEFT does in
 * inference mode).
 *
 * @example
 * ```ts
 * const strategy = promptLearningStrategyFromConfig(json, model, "adapter_config.json");
 * ```
 */
export function promptLearningStrategyFromConfig(json: unknown, model: Module, source: string): Strategy {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TunekitError("CONFIG_INVALID", `${source} must hold a JSON object`);
  }
  const o = json as Record<string, unknown>;
  const type = o.peft_type;
  if (type !== "PREFIX_TUNING" && type !== "PROMPT_TUNING") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: peft_type ${JSON.stringify(type)} is not a prompt-learning type; expected "PREFIX_TUNING" or "PROMPT_TUNING" (load LoRA / IA3 files with loadAdapter)`,
    );
  }
  const decoder = isDecoderModel(model);
  const int = (k: string): number => {
    const v = o[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${source}: "${k}" must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const expect = (k: string, want: number, what: string): void => {
    if (o[k] !== undefined && o[k] !== null && o[k] !== want) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${source}: "${k}" is ${JSON.stringify(o[k])} but the model's ${what} is ${want}; load the adapter into the base model it was trained on`,
      );
    }
  };
  if (decoder) {
    const sizes = decoderPromptSizes(model, type === "PREFIX_TUNING" ? "prefix" : "prompt");
    const what = type === "PREFIX_TUNING" ? "key/value" : "";
    expect("token_dim", sizes.tokenDim, type === "PREFIX_TUNING" ? "key/value width" : "hidden size");
    expect("num_layers", sizes.numLayers, "number of layers");
    expect("num_attention_heads", sizes.numAttentionHeads, `number of ${what} heads`.replace("  ", " "));
    expect("num_transformer_submodules", 1, "number of transformer stacks (a decoder-only model)");
    if (type === "PREFIX_TUNING" && o.prefix_projection === true && o.inference_mode === false) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${source}: a training-mode prefix with prefix_projection is not supported on causal LMs; save it from PEFT in inference mode (the folded table)`,
      );
    }
    const p = int("num_virtual_tokens");
    return type === "PREFIX_TUNING"
      ? prefixTuning({ numVirtualTokens: p, projection: false })
      : promptTuning({ numVirtualTokens: p });
  }
  const bert = bertModelOf(model).config;
  expect("token_dim", bert.hiddenSize, "hidden_size");
  expect("num_layers", bert.numHiddenLayers, "num_hidden_layers");
  expect("num_attention_heads", bert.numAttentionHeads, "num_attention_heads");
  expect("num_transformer_submodules", 1, "number of transformer stacks (BERT is encoder-only)");
  const p = int("num_virtual_tokens");
  const trainHead = true;
  return type === "PREFIX_TUNING"
    ? prefixTuning({ numVirtualTokens: p, projection: false, trainHead })
    : promptTuning({ numVirtualTokens: p, trainHead });
}

/**
 * Loads a PEFT `PREFIX_TUNING` or `PROMPT_TUNING` adapter folder into `model` (returns a
 * new adapted model). `prompt_embeddings` must match `[P, layers · 2 · hidden]` (prefix)
 * or `[P, hidden]` (prompt); `base_model.classifier.*` is loaded when present; any other
 * key, or a wrong shape, is a `CHECKPOINT_MISMATCH` error listing names and shapes.
 *
 * @example
 * ```ts
 * const adapted = await loadPromptLearningAdapter(model, "out/prefix");
 * ```
 */
export async function loadPromptLearningAdapter<M extends Module>(model: M, dir: string): Promise<M> {
  const { path: configPath, json } = await readAdapterConfigJson(dir);
  const adapted = promptLearningStrategyFromConfig(json, model, configPath).apply(model);
  const expected = new Map<string, Parameter>();
  const prefix = prefixTunedEncoderOf(adapted);
  const decoder = decoderPromptEncoderOf(adapted);
  const table = decoder
    ? decoder.table
    : prefix
      ? prefix.prefixEncoder.getParameter("embedding.weight")
      : promptEmbeddingsOf(adapted)!.promptEmbeddings;
  expected.set(PROMPT_EMBEDDINGS_KEY, table);
  const optional = new Set<string>();
  const head = adapted.namedChildren().find(([n]) => n === "classifier")?.[1];
  if (head) {
    for (const [local, p] of head.namedParameters()) {
      expected.set(PROMPT_LEARNING_HEAD_PREFIX + local, p);
      optional.add(PROMPT_LEARNING_HEAD_PREFIX + local);
    }
  }
  const weightsPath = join(dir, "adapter_model.safetensors");
  const { tensors } = await readSafetensorsFile(weightsPath);
  assignTensorsStrictly(expected, tensors, weightsPath, optional);
  return adapted;
}
