// Saving and loading: PEFT adapter folders, merged checkpoints, training checkpoints.
import {
  type Backend,
  type BertForSequenceClassification,
  loadBertCheckpoint,
  saveBertCheckpoint,
  Trainer,
  type TrainerData,
} from "@tunekit/core";
import { loadAdapter, loadAdapterFolder, mergeAndUnload, saveAdapter } from "@tunekit/strategies";

// #region peft
export async function peftRoundTrip(adapted: BertForSequenceClassification, baseDir: string): Promise<void> {
  await saveAdapter(adapted, "./out/adapter", { baseModelNameOrPath: "bert-base-uncased" });
  const { model: base } = await loadBertCheckpoint(baseDir, {
    task: "sequence-classification",
    numLabels: 2,
  });
  const again = await loadAdapter(base, "./out/adapter"); // strict: names and shapes must match
  const anyKind = await loadAdapterFolder(base, "./out/adapter"); // PEFT, bottleneck or HyperFormer folder
  await saveBertCheckpoint(mergeAndUnload(again), "./out/merged"); // plain config.json + model.safetensors
  console.log(anyKind.constructor.name);
}
// #endregion peft

// #region checkpoints
export async function trainWithCheckpoints(
  model: BertForSequenceClassification,
  backend: Backend,
  train: TrainerData,
  validation: TrainerData,
  resume: boolean,
): Promise<void> {
  const trainer = new Trainer({
    model,
    backend,
    batchSize: 16,
    epochs: 3,
    evaluation: { everySteps: 200 },
    checkpoints: { dir: "./runs/sst2/checkpoints", everySteps: 200, keepLast: 2 },
    loadBestAtEnd: true,
  });
  // After an interruption, resumeFrom "latest" continues exactly where the run stopped
  // (same batches, optimizer state and schedule); it refuses a run made with other options.
  await trainer.fit(
    train,
    resume ? { evalData: validation, resumeFrom: "latest" } : { evalData: validation },
  );
}
// #endregion checkpoints
