import { Graph, type Tensor } from "../../ir/graph.js";
import type { ForwardContext } from "../../modules/module.js";
import { type BertForSequenceClassification, BertForTokenClassification } from "./bert-heads.js";
import { type BertInputs, BertModel } from "./bert-model.js";
import { meanPooling } from "./mean-pooling.js";

/** A BERT model of any head. @example `const models: AnyBertModel[] = [new BertModel(config), new BertForSequenceClassification(config)]` */
export type AnyBertModel = BertModel | BertForSequenceClassification | BertForTokenClassification;

/**
 * Static shapes of a traced forward pass.
 *
 * @example
 * ```ts
 * const shapes: BertTraceShapes = { batchSize: 8, seqLength: 128, labels: true };
 * ```
 */
export interface BertTraceShapes {
  readonly batchSize: number;
  readonly seqLength: number;
  /** Declare a `labels` input and a `loss` output (heads only; default false). */
  readonly labels?: boolean;
  /** Trace with dropout on; declares an int32 scalar `dropout_seed` input (default false). */
  readonly training?: boolean;
  /** Dtype of the labels of a sequence-classification head (default: int32, or float32
   * for regression / multi-label configs). */
  readonly labelsDType?: "int32" | "float32";
  /** BertModel only: add a `sentence_embedding` output, the {@link meanPooling} of the last hidden state. */
  readonly pooling?: "mean";
}

/**
 * A traced BERT forward pass: the graph, its symbolic inputs and its outputs.
 *
 * @example
 * ```ts
 * const { graph, outputs } = traceForward(model, { batchSize: 2, seqLength: 16, labels: true });
 * ```
 */
export interface BertTrace {
  readonly graph: Graph;
  readonly inputs: BertInputs & { readonly dropoutSeed?: Tensor };
  /** `logits` and `loss` for heads; `last_hidden_state`, `pooler_output`, `sentence_embedding` for BertModel. */
  readonly outputs: Record<string, Tensor>;
}

/**
 * Traces `model.forward` into a new graph with inputs named like Hugging Face's
 * (`input_ids`, `attention_mask`, `token_type_ids`, `labels`, plus `dropout_seed` when
 * training) and graph outputs `logits` / `loss` (heads) or `last_hidden_state` /
 * `pooler_output` (BertModel; with `pooling: "mean"` also `sentence_embedding`, the
 * sentence-transformers mean pooling of a sentence-embedding model such as bge or MiniLM).
 *
 * @example
 * ```ts
 * const { graph } = traceForward(model, { batchSize: 2, seqLength: 16 });
 * const exe = await backend.compile(graph);
 * ```
 */
export function traceForward(model: AnyBertModel, shapes: BertTraceShapes): BertTrace {
  const g = new Graph();
  const { batchSize: b, seqLength: s } = shapes;
  const inputIds = g.input("input_ids", "int32", [b, s]);
  const attentionMask = g.input("attention_mask", "int32", [b, s]);
  const tokenTypeIds = g.input("token_type_ids", "int32", [b, s]);
  let labels: Tensor | undefined;
  if (shapes.labels && !(model instanceof BertModel)) {
    if (model instanceof BertForTokenClassification) labels = g.input("labels", "int32", [b, s]);
    else {
      const dtype =
        shapes.labelsDType ??
        (model.problemType("int32") === "single_label_classification" ? "int32" : "float32");
      const problem = model.problemType(dtype);
      const shape = problem === "multi_label_classification" ? [b, model.numLabels] : [b];
      labels = g.input("labels", dtype, shape);
    }
  }
  const dropoutSeed = shapes.training ? g.input("dropout_seed", "int32", []) : undefined;
  const ctx: ForwardContext = dropoutSeed ? { training: true, seed: dropoutSeed } : { training: false };
  const inputs = { inputIds, attentionMask, tokenTypeIds, labels };
  const outputs: Record<string, Tensor> = {};
  if (model instanceof BertModel) {
    const out = model.forward(inputs, ctx);
    outputs.last_hidden_state = out.lastHiddenState;
    if (out.poolerOutput) outputs.pooler_output = out.poolerOutput;
    if (shapes.pooling === "mean")
      outputs.sentence_embedding = meanPooling(out.lastHiddenState, attentionMask);
  } else {
    const out = model.forward(inputs, ctx);
    outputs.logits = out.logits;
    if (out.loss) outputs.loss = out.loss;
  }
  for (const [name, t] of Object.entries(outputs)) g.output(name, t);
  return { graph: g, inputs: dropoutSeed ? { ...inputs, dropoutSeed } : inputs, outputs };
}
