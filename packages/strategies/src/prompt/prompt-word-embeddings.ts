import { type Embedding, type HostTensor, Parameter, type Tensor, TunekitError } from "@tunekit/core";
import { broadcastTo, concat, gather } from "@tunekit/core/ir";
import { Layer } from "@tunekit/core/models";

/**
 * Replaces `bert.embeddings.word_embeddings` for prompt tuning: looks the tokens up in the
 * wrapped table (registered again as `weight`, so its Hugging Face path is unchanged) and
 * prepends the `P` trainable rows of `prompt_embeddings [P, hidden]` to every sequence:
 * `[B, S]` ids → `[B, P + S, hidden]`. `BertEmbeddings` then gives the virtual tokens
 * positions `0..P-1` and token type 0, and `BertModel` lets every token attend to them —
 * exactly what PEFT does with `inputs_embeds = cat(prompts, word_embeddings(ids))`.
 *
 * @example
 * ```ts
 * const wrapped = new PromptWordEmbeddings(words, promptTable); // promptTable: float32 [P, hidden]
 * model.setSubmodule("bert.embeddings.word_embeddings", wrapped);
 * ```
 */
export class PromptWordEmbeddings extends Layer {
  /** The text the prompt was initialised from (PEFT's `prompt_tuning_init_text`), if any. */
  readonly initText: string | undefined;

  constructor(inner: Embedding, prompt: HostTensor, initText?: string) {
    super();
    this.initText = initText;
    this.registerParameter("weight", inner.weight);
    this.registerParameter("prompt_embeddings", new Parameter("prompt_embeddings", prompt));
  }

  /** Number of virtual tokens `P`. */
  get numVirtualTokens(): number {
    return this.param("prompt_embeddings").shape[0]!;
  }

  /** The trainable prompt table `[P, hidden]`. */
  get promptEmbeddings(): Parameter {
    return this.param("prompt_embeddings");
  }

  forward(ids: Tensor): Tensor {
    if (ids.dtype !== "int32") {
      throw new TunekitError("DTYPE_MISMATCH", `word_embeddings: ids must be int32, got ${ids.dtype}`);
    }
    const words = gather(ids.graph.param(this.param("weight")), ids);
    const [b] = ids.shape as [number];
    const [p, h] = this.promptEmbeddings.shape as [number, number];
    const prompts = broadcastTo(ids.graph.param(this.promptEmbeddings), [b, p, h]);
    return concat([prompts, words], 1);
  }
}
