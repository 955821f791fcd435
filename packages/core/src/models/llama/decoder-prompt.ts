import { TunekitError } from "../../errors.js";
import type { Graph, Tensor } from "../../ir/graph.js";
import { broadcastTo, concat, full, reshape, slice, transpose } from "../../ir/ops.js";
import { Module } from "../../modules/module.js";
import { Parameter } from "../../modules/parameter.js";
import type { HostTensor } from "../../tensor/host-tensor.js";
import { causalMaskBias } from "./decoder-ops.js";

/**
 * The trainable table of prompt or prefix tuning on a causal LM (PEFT's `prompt_encoder`
 * with its `embedding.weight`), registered as the model's child `prompt_encoder`; the
 * decoders (`LlamaForCausalLM`, `Gpt2LMHeadModel`) read it in `forward`:
 *
 * - `"prompt"` (`[P, hidden]`): the `P` vectors are prepended to the token embeddings, get
 *   positions `0 .. P-1`, are seen by every token (the mask is extended by ones); logits cover
 *   `P + S` positions and labels get `P` leading -100s, as PEFT's `PeftModelForCausalLM`.
 * - `"prefix"` (`[P, layers · 2 · kvHeads · headDim]`, PEFT's layout): each layer's attention
 *   sees `P` extra key/value vectors first (past keys and values: not rotated, always visible);
 *   real tokens take positions `P .. P+S-1`, as Hugging Face does after a cache of `P`.
 *
 * @example
 * ```ts
 * model.registerModule("prompt_encoder", new DecoderPromptEncoder("prompt", table));
 * ```
 */
export class DecoderPromptEncoder extends Module {
  readonly kind: "prompt" | "prefix";
  readonly numVirtualTokens: number;
  readonly width: number;

  constructor(kind: "prompt" | "prefix", table: HostTensor) {
    super();
    if (table.dtype !== "float32" || table.shape.length !== 2) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `DecoderPromptEncoder: the table must be float32 [virtual tokens, width], got ${table.dtype}[${table.shape.join(", ")}]`,
      );
    }
    this.kind = kind;
    this.numVirtualTokens = table.shape[0]!;
    this.width = table.shape[1]!;
    this.registerModule("embedding", new PromptTable(table));
  }

  /** The table Parameter `embedding.weight`. */
  get table(): Parameter {
    return this.getParameter("embedding.weight");
  }

  /** Prompt tuning: the virtual token embeddings for a batch, `[B, P, hidden]`. */
  promptEmbeddings(g: Graph, batch: number): Tensor {
    const p = this.numVirtualTokens;
    return broadcastTo(reshape(g.param(this.table), [1, p, this.width]), [batch, p, this.width]);
  }

  /**
   * Prefix tuning: layer `layer`'s prefix keys and values, `[B, kvHeads, P, headDim]` each
   * (PEFT's view `[P, layers · 2, kvHeads, headDim]`, key at `2·layer`, value at `2·layer + 1`).
   */
  prefixKeyValues(
    g: Graph,
    batch: number,
    layer: number,
    numLayers: number,
    kvHeads: number,
    headDim: number,
  ): { key: Tensor; value: Tensor } {
    const p = this.numVirtualTokens;
    if (this.width !== numLayers * 2 * kvHeads * headDim) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `prefix tuning: the prefix table is [${p}, ${this.width}], the model needs [${p}, ${numLayers * 2 * kvHeads * headDim}] ` +
          `(${numLayers} layers · 2 · ${kvHeads} key/value heads · head size ${headDim}); load the prefix into the model it was trained on`,
      );
    }
    const view = reshape(g.param(this.table), [p, numLayers * 2, kvHeads, headDim]);
    const pick = (i: number): Tensor => {
      const one = reshape(slice(view, [0, i, 0, 0], [p, 1, kvHeads, headDim]), [p, kvHeads, headDim]);
      const heads = reshape(transpose(one, [1, 0, 2]), [1, kvHeads, p, headDim]);
      return broadcastTo(heads, [batch, kvHeads, p, headDim]);
    };
    return { key: pick(2 * layer), value: pick(2 * layer + 1) };
  }
}

/** PEFT's `prompt_encoder.embedding`: one `weight` table. */
class PromptTable extends Module {
  constructor(table: HostTensor) {
    super();
    this.registerParameter("weight", new Parameter("weight", table));
  }
}

/**
 * The {@link DecoderPromptEncoder} of a causal LM (its child `prompt_encoder`), if any.
 *
 * @example
 * ```ts
 * decoderPromptEncoderOf(model)?.kind; // "prefix"
 * ```
 */
export function decoderPromptEncoderOf(model: Module): DecoderPromptEncoder | undefined {
  const child = model.namedChildren().find(([n]) => n === "prompt_encoder")?.[1];
  return child instanceof DecoderPromptEncoder ? child : undefined;
}

/**
 * The attention mask extended by `p` leading ones (int32 `[B, p + S]`), or undefined without a mask.
 *
 * @example
 * ```ts
 * const mask = extendedMask(attentionMask, 8); // [B, 8 + S]
 * ```
 */
export function extendedMask(attentionMask: Tensor | undefined, p: number): Tensor | undefined {
  if (attentionMask === undefined) return undefined;
  if (attentionMask.rank !== 2) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "prompt / prefix tuning: a [B, S, S] attention mask (packed rows) is not supported; turn packing off",
    );
  }
  const b = attentionMask.shape[0]!;
  return concat([full(attentionMask.graph, [b, p], 1, "int32"), attentionMask], 1);
}

/**
 * The additive attention bias of a decoder with a prefix of `p` past keys: `[B|1, 1, S, p + S]`,
 * 0 on the prefix columns, the causal / padding bias of `causalMaskBias` on the rest.
 *
 * @example
 * ```ts
 * const bias = prefixMaskBias(g, 7, 3, attentionMask); // [B, 1, 7, 10]
 * ```
 */
export function prefixMaskBias(g: Graph, s: number, p: number, attentionMask?: Tensor): Tensor {
  if (attentionMask?.rank === 3) extendedMask(attentionMask, p); // throws: packing is not supported
  return prefixColumns(causalMaskBias(g, s, attentionMask), p);
}

/**
 * An additive attention bias `[B, 1, Q, K]` with `p` leading 0 columns: the prefix keys every
 * query sees (also a decode step's `[B, 1, 1, capacity]` cache bias).
 *
 * @example
 * ```ts
 * const bias = prefixColumns(cache.decodeBias(), 8); // [B, 1, 1, 8 + capacity]
 * ```
 */
export function prefixColumns(bias: Tensor, p: number): Tensor {
  const [b, h, q] = bias.shape as [number, number, number, number];
  return concat([full(bias.graph, [b, h, q, p], 0), bias], 3);
}

/**
 * Labels with `p` leading -100s (`[B, p + S]`): prompt tuning's virtual positions carry no loss.
 *
 * @example
 * ```ts
 * const labels = extendedLabels(labels, 8);
 * ```
 */
export function extendedLabels(labels: Tensor, p: number): Tensor {
  const b = labels.shape[0]!;
  return concat([full(labels.graph, [b, p], -100, "int32"), labels], 1);
}
