import type { Backend } from "../../backend/backend.js";
import type { PaddedBatch } from "../../data/padding.js";
import { stateDict } from "../../modules/state-dict.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import type { BertModel } from "./bert-model.js";
import { traceForward } from "./trace-forward.js";

/**
 * Options of {@link sentenceEmbeddings}.
 *
 * @example
 * ```ts
 * const o: SentenceEmbeddingOptions = { normalize: true };
 * ```
 */
export interface SentenceEmbeddingOptions {
  /** Divide each embedding by its L2 norm (as sentence-transformers' `Normalize`; default false). */
  readonly normalize?: boolean;
}

/**
 * Sentence embeddings of a tokenized batch: `model` (a bare BERT-architecture encoder, e.g. a
 * sentence-transformers or bge checkpoint loaded with `loadBertCheckpoint(dir, { task: "base" })`)
 * runs on `backend` in eval mode and the last hidden state is mean-pooled over the real tokens
 * (`meanPooling`); float32 `[B, hidden]`, optionally L2-normalised. Compiles one graph for the
 * batch's shape.
 *
 * @example
 * ```ts
 * const batch = tokenizer.encodeBatch(["a cat", "a dog"], { padding: "longest" });
 * const emb = await sentenceEmbeddings(model, batch, createReferenceBackend(), { normalize: true });
 * ```
 */
export async function sentenceEmbeddings(
  model: BertModel,
  batch: Pick<PaddedBatch, "inputIds" | "attentionMask"> & { readonly tokenTypeIds?: HostTensor<"int32"> },
  backend: Backend,
  options: SentenceEmbeddingOptions = {},
): Promise<HostTensor<"float32">> {
  const [b, s] = batch.inputIds.shape as [number, number];
  const { graph } = traceForward(model, { batchSize: b, seqLength: s, pooling: "mean" });
  const exe = await backend.compile(graph, { constants: stateDict(model) });
  let out: Record<string, HostTensor>;
  try {
    out = await exe.run({
      input_ids: batch.inputIds,
      attention_mask: batch.attentionMask,
      token_type_ids: batch.tokenTypeIds ?? hostTensor("int32", [b, s], new Int32Array(b * s)),
    });
  } finally {
    exe.dispose();
  }
  const e = out.sentence_embedding!;
  const h = e.shape[1]!;
  const data = Float32Array.from(e.data as ArrayLike<number>);
  if (options.normalize) {
    for (let r = 0; r < b; r++) {
      let n = 0;
      for (let c = 0; c < h; c++) n += data[r * h + c]! ** 2;
      const scale = 1 / Math.max(Math.sqrt(n), 1e-12);
      for (let c = 0; c < h; c++) data[r * h + c] = data[r * h + c]! * scale;
    }
  }
  return hostTensor("float32", [b, h], data);
}
