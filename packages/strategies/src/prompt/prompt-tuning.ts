import {
  BertForTokenClassification,
  type CausalLm,
  type Embedding,
  type ForwardContext,
  freezeAll,
  type HostTensor,
  hostTensor,
  type Module,
  type Strategy,
  type StrategyOptions,
  type Tensor,
  TunekitError,
} from "@tunekit/core";
import { slice } from "@tunekit/core/ir";
import { type BertModel, cloneModuleTree, Gpt2LMHeadModel, Layer, normalTensor } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { bertModelOf, headFresh, trainHead } from "../adapters/bottleneck-strategies.js";
import { applyDecoderPromptLearning, isDecoderModel } from "./decoder-prompt-learning.js";
import { PromptWordEmbeddings } from "./prompt-word-embeddings.js";
import {
  checkVirtualTokensFit,
  rejectAlreadyApplied,
  resolveVirtualTokenOptions,
} from "./virtual-token-options.js";

/**
 * Anything that tokenises text to ids (tunekit's `Tokenizer` fits).
 *
 * @example
 * ```ts
 * const tok: PromptInitTokenizer = await loadTokenizer("bert-base-uncased");
 * ```
 */
export interface PromptInitTokenizer {
  encode(text: string): { readonly ids: readonly number[] };
}

/**
 * How the prompt starts: random normal rows, or the word embeddings of a text.
 *
 * @example
 * ```ts
 * const init: PromptTuningInit = { text: "Classify the sentiment:", tokenizer };
 * ```
 */
export type PromptTuningInit = "random" | { readonly text: string; readonly tokenizer: PromptInitTokenizer };

/**
 * Options of {@link promptTuning}.
 *
 * @example
 * ```ts
 * const o: PromptTuningOptions = { numVirtualTokens: 8, init: "random" };
 * ```
 */
export interface PromptTuningOptions {
  /** Number of virtual tokens `P` prepended to every input. */
  readonly numVirtualTokens: number;
  /** Default `"random"`. */
  readonly init?: PromptTuningInit;
  /** Std of the random init (default 1, as PEFT's `torch.nn.Embedding`). */
  readonly initStd?: number;
  readonly seed?: number;
  /** Train the task head (`classifier`) too (default true, as PEFT's `modules_to_save`). */
  readonly trainHead?: boolean;
}

/**
 * Prompt tuning (Lester et al. 2021) with PEFT's semantics: `P` trainable embeddings
 * (`bert.embeddings.word_embeddings.prompt_embeddings [P, hidden]`) are prepended to the
 * word embeddings of every input; they get positions `0..P-1` and token type 0 and are
 * attended by every token (the mask is extended by ones), so real tokens sit at positions
 * `P..P+S-1` (`P + S ≤ max_position_embeddings`). Sequence classification pools position 0,
 * which is then the FIRST VIRTUAL TOKEN, exactly as PEFT + Hugging Face BERT do; token
 * classification drops the `P` virtual positions before the classifier (as PEFT's
 * `PeftModelForTokenClassification`), so logits stay `[B, S, C]`. Text init uses the word
 * embeddings of `tokenizer.encode(text).ids` (special tokens included, as PEFT's
 * `tokenizer(text)`), repeated or cropped to `P`. Everything but the prompt (and the head)
 * is frozen.
 *
 * @example
 * ```ts
 * const adapted = promptTuning({ numVirtualTokens: 8, init: { text: "classify the sentiment", tokenizer } }).apply(model);
 * ```
 */
export function promptTuning(options: PromptTuningOptions): Strategy {
  const shared = resolveVirtualTokenOptions("promptTuning", options);
  const p = shared.numVirtualTokens;
  const init = options.init ?? "random";
  if (init !== "random" && (typeof init.text !== "string" || init.text.trim() === "")) {
    throw new TunekitError("CONFIG_INVALID", "promptTuning: init.text must be a non-empty string");
  }
  const resolved = {
    numVirtualTokens: p,
    init: init === "random" ? "random" : { text: init.text },
    initStd: shared.initStd,
    seed: shared.seed,
    trainHead: shared.trainHead,
  };
  return {
    method: "prompt-tuning",
    options: Object.freeze(resolved) as unknown as StrategyOptions,
    apply<M extends Module>(model: M): M {
      if (isDecoderModel(model)) {
        const table =
          init === "random"
            ? undefined
            : decoderTextPrompt(model, p, init.tokenizer.encode(init.text).ids, init.text);
        return applyDecoderPromptLearning(model, "prompt", {
          numVirtualTokens: p,
          initStd: resolved.initStd,
          seed: resolved.seed,
          ...(table === undefined ? {} : { table }),
        });
      }
      const adapted = cloneModuleTree(model, { freshParameters: headFresh(resolved.trainHead) });
      const bert = bertModelOf(adapted);
      const bertPath = adapted.namedModules().find(([, m]) => m === bert)![0];
      const wordsPath = `${bertPath === "" ? "" : `${bertPath}.`}embeddings.word_embeddings`;
      const words = adapted.getSubmodule(wordsPath);
      rejectAlreadyApplied("promptTuning", "prompt", words instanceof PromptWordEmbeddings);
      checkVirtualTokensFit("promptTuning", p, bert.config.maxPositionEmbeddings);
      const table = initialPrompt(bert, words as Embedding, p, init, resolved.initStd, resolved.seed);
      adapted.setSubmodule(
        wordsPath,
        new PromptWordEmbeddings(words as Embedding, table, init === "random" ? undefined : init.text),
      );
      if (adapted instanceof BertForTokenClassification) {
        adapted.setSubmodule("dropout", new DropVirtualTokens(p, adapted.child<Layer>("dropout")));
      }
      freezeAll(adapted);
      (adapted.getSubmodule(wordsPath) as PromptWordEmbeddings).promptEmbeddings.trainable = true;
      if (resolved.trainHead) trainHead(adapted);
      return adapted;
    },
  };
}

function initialPrompt(
  bert: BertModel,
  words: Embedding,
  p: number,
  init: PromptTuningInit,
  std: number,
  seed: number,
): HostTensor {
  const h = bert.config.hiddenSize;
  if (init === "random") return normalTensor([p, h], mulberry32(seed), std);
  const ids = [...init.tokenizer.encode(init.text).ids];
  if (ids.length === 0) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `promptTuning: init text ${JSON.stringify(init.text)} encodes to no tokens`,
    );
  }
  const vocab = bert.config.vocabSize;
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad !== undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `promptTuning: the init text's token id ${bad} is outside the model's vocabulary (size ${vocab}); use the model's own tokenizer`,
    );
  }
  const table = words.weight.value.data;
  const out = new Float32Array(p * h);
  for (let i = 0; i < p; i++) {
    const id = ids[i % ids.length]!;
    out.set(table.subarray(id * h, (id + 1) * h) as Float32Array, i * h);
  }
  return hostTensor("float32", [p, h], out);
}

/** A decoder prompt initialised from the token embeddings of `ids`, repeated or cropped to `p`. */
function decoderTextPrompt(model: CausalLm, p: number, ids: readonly number[], text: string): HostTensor {
  const words = model instanceof Gpt2LMHeadModel ? model.transformer.wte : model.model.embedTokens;
  const [vocab, h] = words.value.shape as [number, number];
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (ids.length === 0 || bad !== undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `promptTuning: the init text ${JSON.stringify(text)} ${ids.length === 0 ? "encodes to no tokens" : `has token id ${bad} outside the vocabulary (size ${vocab})`}; use the model's own tokenizer`,
    );
  }
  const out = new Float32Array(p * h);
  for (let i = 0; i < p; i++) {
    const id = ids[i % ids.length]!;
    out.set(words.value.data.subarray(id * h, (id + 1) * h) as Float32Array, i * h);
  }
  return hostTensor("float32", [p, h], out);
}

/**
 * Replaces a token-classification head's `dropout` under prompt tuning: drops the `P`
 * leading virtual positions (`[B, P + S, H]` → `[B, S, H]`), then applies the wrapped
 * dropout, so the classifier sees only real tokens (PEFT's
 * `sequence_output[:, num_virtual_tokens:]`).
 *
 * @example
 * ```ts
 * model.setSubmodule("dropout", new DropVirtualTokens(8, model.child<Layer>("dropout")));
 * ```
 */
export class DropVirtualTokens extends Layer {
  readonly numVirtualTokens: number;

  constructor(numVirtualTokens: number, dropout: Layer) {
    super();
    this.numVirtualTokens = numVirtualTokens;
    this.registerModule("inner", dropout);
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const cropped = slice(x, [0, this.numVirtualTokens, 0], [-1, -1, -1]);
    return this.child<Layer>("inner").forward(cropped, ctx);
  }
}

/**
 * The {@link PromptWordEmbeddings} of a prompt-tuned model, if any.
 *
 * @example
 * ```ts
 * promptEmbeddingsOf(adapted)?.numVirtualTokens; // 8
 * ```
 */
export function promptEmbeddingsOf(model: Module): PromptWordEmbeddings | undefined {
  return model.namedModules().find(([, m]) => m instanceof PromptWordEmbeddings)?.[1] as
    | PromptWordEmbeddings
    | undefined;
}
