// Fine-tune a Hugging Face BERT checkpoint with a strategy, from code.
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  type BertForSequenceClassification,
  loadBertCheckpoint,
  loadDataset,
  loadTokenizer,
  type Strategy,
  Trainer,
  tokenizeDataset,
} from "@tunekit/core";
import { lora, saveAdapter } from "@tunekit/strategies";

// #region fine-tune
export async function fineTune(
  modelDir: string,
  dataConfig: unknown,
  strategy: Strategy = lora({ r: 8, alpha: 16, targetModules: ["query", "value"] }),
): Promise<void> {
  const data = await loadDataset(dataConfig);
  const { model } = await loadBertCheckpoint(modelDir, {
    task: "sequence-classification",
    numLabels: data.labelNames.length,
  });
  const tokenizer = await loadTokenizer(modelDir);
  const train = tokenizeDataset(data.train!, tokenizer, { maxLength: 128 });
  const validation = tokenizeDataset(data.validation!, tokenizer, { maxLength: 128 });

  const adapted: BertForSequenceClassification = strategy.apply(model);
  const backend = await createOnnxBackend();
  const trainer = new Trainer({
    model: adapted,
    backend,
    batchSize: 16,
    epochs: 3,
    lr: 5e-4,
    warmupRatio: 0.1,
  });
  const result = await trainer.fit(train, { evalData: validation });
  console.log(result.best, (await trainer.evaluate(validation)).metrics);
  await saveAdapter(adapted, "./out/adapter"); // PEFT: adapter_config.json + adapter_model.safetensors
  backend.dispose();
}
// #endregion fine-tune
