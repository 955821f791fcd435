import * as tk from "@tunekit/core";
import * as models from "@tunekit/core/models";
import * as data from "@tunekit/core/data";
import type * as trainer from "@tunekit/core/trainer";

/** Model and batch sizes of one bench run (the default: BERT 4×256, batch 16 × 128). */
export interface BenchSizes {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly batch: number;
  readonly seq: number;
}

/** Training modes the bench times. */
export type BenchMode = "full" | "head" | "lora";

/** The default sizes. */
export const DEFAULT_SIZES: BenchSizes = {
  layers: 4,
  hidden: 256,
  heads: 4,
  intermediate: 1024,
  vocab: 30522,
  batch: 16,
  seq: 128,
};

/** A BERT sequence classifier (2 labels, seeded random weights) of the given sizes. */
export function benchModel(s: BenchSizes): tk.BertForSequenceClassification {
  const config = models.parseBertConfig({
    model_type: "bert",
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    max_position_embeddings: Math.max(512, s.seq),
    type_vocab_size: 2,
    hidden_act: "gelu",
    layer_norm_eps: 1e-12,
    num_labels: 2,
  });
  return tk.createBertForTask(config, { task: "sequence-classification", numLabels: 2, seed: 0 });
}

/** A fixed batch: pseudo-random token ids, full attention mask, segment 0, labels 0/1. */
export function benchBatch(s: BenchSizes): Record<string, tk.HostTensor> {
  const n = s.batch * s.seq;
  const rng = data.mulberry32(1);
  return {
    input_ids: tk.hostTensor(
      "int32",
      [s.batch, s.seq],
      Array.from({ length: n }, () => 1 + Math.floor(rng() * (s.vocab - 1))),
    ),
    attention_mask: tk.hostTensor("int32", [s.batch, s.seq], new Array<number>(n).fill(1)),
    token_type_ids: tk.hostTensor("int32", [s.batch, s.seq]),
    labels: tk.hostTensor(
      "int32",
      [s.batch],
      Array.from({ length: s.batch }, (_, i) => i % 2),
    ),
  };
}

/** The training-step forward of a sequence classifier over a {@link benchBatch}. */
export function benchForward(
  model: tk.Module & { forward: tk.BertForSequenceClassification["forward"] },
): trainer.ForwardFn {
  return (_g, x, ctx) => {
    const { logits, loss } = model.forward(
      {
        inputIds: x.input_ids!,
        attentionMask: x.attention_mask!,
        tokenTypeIds: x.token_type_ids!,
        labels: x.labels!,
      },
      ctx,
    );
    return { loss: loss!, logits };
  };
}

/**
 * Matrix-multiply FLOPs of one step, counted as the PyTorch peer counts them
 * (`bench_torch.py`): encoder forward `L·(2·tok·(4H² + 2HI) + 4·tok·S·H)`; full fine-tuning
 * 3× that; LoRA the forward plus input gradients (no frozen weight gradients); head only the
 * forward (nothing flows back into the frozen encoder).
 */
export function stepFlops(s: BenchSizes, mode: BenchMode): number {
  const tok = s.batch * s.seq;
  const dense = 2 * tok * (4 * s.hidden * s.hidden + 2 * s.hidden * s.intermediate);
  const fwd = s.layers * (dense + 4 * tok * s.seq * s.hidden);
  if (mode === "full") return 3 * fwd;
  if (mode === "lora") return 3 * fwd - s.layers * dense;
  return fwd;
}
