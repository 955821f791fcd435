import { mulberry32, type Rng } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import type { Tensor } from "../../ir/graph.js";
import { cast, concat, full, mul, reshape, slice, sub, tanh } from "../../ir/ops.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module, ModuleList } from "../../modules/module.js";
import { BertEmbeddings } from "./bert-embeddings.js";
import { BertLayer } from "./bert-layer.js";
import { DistilBertTransformer } from "./distilbert-layer.js";

/**
 * `torch.finfo(torch.float32).min`: the additive bias Hugging Face BERT puts on masked
 * attention scores. Finite, so `score + bias` stays finite in float32.
 *
 * @example
 * ```ts
 * FLOAT32_MIN; // -3.4028234663852886e38
 * ```
 */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Symbolic inputs of a BERT forward pass (all int32 `[B, S]`; `labels` per head).
 *
 * @example
 * ```ts
 * const inputs: BertInputs = { inputIds: g.input("input_ids", "int32", [2, 8]) };
 * ```
 */
export interface BertInputs {
  readonly inputIds: Tensor;
  /** 1 for real tokens, 0 for padding (default: all ones). */
  readonly attentionMask?: Tensor | undefined;
  /** Segment ids (default: all zeros). */
  readonly tokenTypeIds?: Tensor | undefined;
  /** Position ids (default: `0..S-1`, shifted by a prefix's length), Hugging Face's `position_ids`. */
  readonly positionIds?: Tensor | undefined;
  /** Sequence classification: int32 `[B]` (float32 `[B]` for regression, `[B, C]` multi-label);
   * token classification: int32 `[B, S]` with -100 for ignored positions. */
  readonly labels?: Tensor | undefined;
}

/**
 * The additive attention bias of Hugging Face BERT: `(1 - mask) * float32 min`, shaped
 * `[B, 1, 1, S]` to broadcast over heads and query positions.
 *
 * @example
 * ```ts
 * const bias = attentionMaskBias(attentionMask); // [B, 1, 1, S]
 * ```
 */
export function attentionMaskBias(attentionMask: Tensor): Tensor {
  const [b, s] = attentionMask.shape as [number, number];
  const keep = cast(attentionMask, "float32");
  return reshape(mul(sub(1, keep), FLOAT32_MIN), [b, 1, 1, s]);
}

/**
 * The stack of encoder layers (`layer.0`, `layer.1`, …).
 *
 * @example
 * ```ts
 * const h = new BertEncoder(config, rng).forward(x, maskBias, ctx);
 * ```
 */
export class BertEncoder extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    const layers = new ModuleList<BertLayer>();
    for (let i = 0; i < config.numHiddenLayers; i++) layers.push(new BertLayer(config, rng));
    this.registerModule("layer", layers);
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    let h = x;
    for (const layer of this.child<ModuleList<BertLayer>>("layer")) h = layer.forward(h, maskBias, ctx);
    return h;
  }
}

/**
 * `tanh(dense(hidden[:, 0]))`: the pooled `[CLS]` representation.
 *
 * @example
 * ```ts
 * const pooled = new BertPooler(config, rng).forward(hidden); // [B, hidden]
 * ```
 */
export class BertPooler extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    const h = config.hiddenSize;
    this.registerModule("dense", new Linear(h, h, { rng, std: config.initializerRange }));
  }

  forward(hidden: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const [b, , h] = hidden.shape as [number, number, number];
    const cls = reshape(slice(hidden, [0, 0, 0], [-1, 1, -1]), [b, h]);
    return tanh(this.child<Layer>("dense").forward(cls, ctx));
  }
}

/** Options of {@link BertModel}. @example `new BertModel(config, { addPoolingLayer: false, seed: 1 })` */
export interface BertModelOptions {
  /** Build the `pooler` (default true for BERT, RoBERTa and XLM-RoBERTa; token classification
   * has none, like Hugging Face; ELECTRA and DistilBERT never have one). */
  readonly addPoolingLayer?: boolean;
  /** Seed of the weight initialisation (default 0). */
  readonly seed?: number;
  /** Generator for the initialisation (overrides `seed`; shared with a head). */
  readonly rng?: Rng;
}

/**
 * BERT encoder with Hugging Face parameter names (`embeddings.*`, `encoder.layer.N.*`,
 * `pooler.*`), randomly initialised like Hugging Face (normal(0, initializer_range), zero
 * biases, LayerNorm ones/zeros, padding row zero); load weights with `loadBertCheckpoint`.
 * When the embeddings return more positions than `input_ids` has (a prompt-tuning wrapper
 * prepended virtual tokens), those leading positions are attended by every token and the
 * outputs keep them (`lastHiddenState` is `[B, P + S, H]`; the pooler reads position 0, the
 * first virtual token, as PEFT does for BERT).
 *
 * The same class builds the BERT-architecture encoders by `config.modelType`: RoBERTa and
 * XLM-RoBERTa (positions numbered from the input ids), ELECTRA (`embeddings_project` from
 * `embedding_size` to `hidden_size` when they differ, no pooler) and DistilBERT
 * (`transformer.layer.N` blocks, see `DistilBertBlock`; no token types, no pooler).
 *
 * @example
 * ```ts
 * const bert = new BertModel(config);
 * const { lastHiddenState, poolerOutput } = bert.forward({ inputIds, attentionMask }, EVAL_CONTEXT);
 * ```
 */
export class BertModel extends Module {
  readonly config: BertConfig;

  constructor(config: BertConfig, options: BertModelOptions = {}) {
    super();
    this.config = config;
    const rng = options.rng ?? mulberry32(options.seed ?? 0);
    this.registerModule("embeddings", new BertEmbeddings(config, rng));
    const e = config.embeddingSize ?? config.hiddenSize;
    if (e !== config.hiddenSize) {
      const init = { rng, std: config.initializerRange };
      this.registerModule("embeddings_project", new Linear(e, config.hiddenSize, init));
    }
    if (config.modelType === "distilbert")
      this.registerModule("transformer", new DistilBertTransformer(config, rng));
    else this.registerModule("encoder", new BertEncoder(config, rng));
    const poolable = config.modelType !== "electra" && config.modelType !== "distilbert";
    if (poolable && (options.addPoolingLayer ?? true))
      this.registerModule("pooler", new BertPooler(config, rng));
  }

  /** Whether this model has a pooler. */
  get hasPooler(): boolean {
    return this.namedChildren().some(([n]) => n === "pooler");
  }

  forward(
    inputs: BertInputs,
    ctx: ForwardContext = EVAL_CONTEXT,
  ): { lastHiddenState: Tensor; poolerOutput?: Tensor } {
    const { inputIds } = inputs;
    checkIds(inputIds, "input_ids");
    if (inputs.tokenTypeIds) checkIds(inputs.tokenTypeIds, "token_type_ids", inputIds.shape);
    if (inputs.attentionMask) checkIds(inputs.attentionMask, "attention_mask", inputIds.shape);
    if (inputs.positionIds) checkIds(inputs.positionIds, "position_ids", inputIds.shape);
    const [b, s] = inputIds.shape as [number, number];
    let x = this.child<BertEmbeddings>("embeddings").forward(
      inputIds,
      inputs.tokenTypeIds,
      ctx,
      inputs.positionIds,
    );
    if (this.namedChildren().some(([n]) => n === "embeddings_project")) {
      x = this.child<Layer>("embeddings_project").forward(x, ctx);
    }
    // Virtual tokens a wrapped word embedding prepended (prompt tuning) are always attended,
    // as PEFT extends the attention mask with ones.
    const extra = x.shape[1]! - s;
    let maskBias = inputs.attentionMask
      ? attentionMaskBias(inputs.attentionMask)
      : full(inputIds.graph, [b, 1, 1, s], 0);
    if (extra > 0) maskBias = concat([full(inputIds.graph, [b, 1, 1, extra], 0), maskBias], 3);
    const lastHiddenState =
      this.config.modelType === "distilbert"
        ? this.child<DistilBertTransformer>("transformer").forward(x, maskBias, ctx)
        : this.child<BertEncoder>("encoder").forward(x, maskBias, ctx);
    if (!this.hasPooler) return { lastHiddenState };
    return { lastHiddenState, poolerOutput: this.child<BertPooler>("pooler").forward(lastHiddenState, ctx) };
  }
}

function checkIds(t: Tensor, name: string, shape?: readonly number[]): void {
  const okShape = t.rank === 2 && (!shape || (t.shape[0] === shape[0] && t.shape[1] === shape[1]));
  if (t.dtype !== "int32" || !okShape) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `BertModel: ${name} must be int32 [${shape ? shape.join(", ") : "batch, seq"}], got ${t.dtype}[${t.shape.join(", ")}]`,
    );
  }
}
