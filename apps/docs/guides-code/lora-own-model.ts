// LoRA on your own model: any Module whose Linear children match targetModules.
import {
  createReferenceBackend,
  type ForwardContext,
  formatParameterReport,
  Embedding,
  Linear,
  type ModelBatchOutput,
  Module,
  parameterReport,
  type Tensor,
  Trainer,
  type TrainerData,
} from "@tunekit/core";
import { crossEntropy, maximum, mean } from "@tunekit/core/ir";
import { lora } from "@tunekit/strategies";

// #region model
/** A small text classifier: mean of word embeddings, a hidden layer, a classifier. */
export class BagOfWordsClassifier extends Module {
  readonly numLabels = 2;
  readonly batchFields = ["input_ids"] as const;

  constructor(vocabSize: number, hidden: number) {
    super();
    this.registerModule("embed", new Embedding(vocabSize, hidden));
    this.registerModule("encoder", new Linear(hidden, hidden));
    this.registerModule("classifier", new Linear(hidden, this.numLabels));
  }

  forwardBatch(inputs: Readonly<Record<string, Tensor>>, _ctx: ForwardContext): ModelBatchOutput {
    const words = this.child<Embedding>("embed").forward(inputs.input_ids!); // [B, S, H]
    const pooled = mean(words, 1); // [B, H]
    const hidden = maximum(this.child<Linear>("encoder").forward(pooled), 0);
    const logits = this.child<Linear>("classifier").forward(hidden);
    const labels = inputs.labels;
    return { loss: labels === undefined ? undefined : crossEntropy(logits, labels), outputs: { logits } };
  }
}
// #endregion model

// #region data
/** Toy rows: label 1 when the row holds token 3, else 0 (a stand-in for your tokenised data). */
export function toyRows(n: number): TrainerData {
  const ids = Array.from({ length: n }, (_, i) => Int32Array.of(1, 2 + (i % 5), 4 + (i % 3)));
  return {
    task: "classification",
    ids,
    tokenTypeIds: ids.map((row) => new Int32Array(row.length)),
    lengths: Int32Array.from(ids, (row) => row.length),
    labels: Int32Array.from(ids, (row) => (row.includes(3) ? 1 : 0)),
    padId: 0,
    maxLength: 8,
    numTruncated: 0,
  };
}
// #endregion data

// #region train
/** Wraps `encoder` in LoRA, freezes the rest (the classifier stays trainable), trains, evaluates. */
export async function trainWithLora(): Promise<number> {
  const model = lora({ r: 4, alpha: 8, targetModules: ["encoder"], modulesToSave: ["classifier"] }).apply(
    new BagOfWordsClassifier(16, 32),
  );
  console.log(formatParameterReport(parameterReport(model)));
  const trainer = new Trainer({
    model,
    backend: createReferenceBackend(),
    batchSize: 8,
    epochs: 20,
    lr: 1e-2,
  });
  await trainer.fit(toyRows(64));
  const { metrics } = await trainer.evaluate(toyRows(32));
  return metrics.accuracy ?? 0;
}
// #endregion train
