// Quickstart: fine-tune the tiny parity BERT (../shared/reference/bert-tiny-parity) for a few
// AdamW steps on ONNX Runtime and print the loss going down.
// Run: npx tsx --conditions=@tunekit/source examples/quickstart.ts
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  adamw,
  loadBertCheckpoint,
  readSafetensorsFile,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";

/** Trains `steps` steps and returns the loss before each step. */
export async function quickstart(
  folder = "../shared/reference/bert-tiny-parity",
  steps = 10,
): Promise<number[]> {
  // 1. A Hugging Face checkpoint folder: config.json + model.safetensors.
  const { model } = await loadBertCheckpoint(folder, { task: "sequence-classification" });
  // 2. A batch (here the fixture's own inputs; see data/ for tokenizers and data sets).
  const { tensors } = await readSafetensorsFile(`${folder}/reference.safetensors`);
  const batch = Object.fromEntries(
    ["input_ids", "attention_mask", "token_type_ids", "labels"].map((k) => [k, tensors.get(k)!]),
  );
  // 3. One compiled training graph: forward, backward, clipping and AdamW in a single ONNX model.
  const runner = new TrainStepRunner({
    backend: await createOnnxBackend(),
    params: model.parameters(),
    forward: trainerForward(model),
    optimizer: adamw({ weightDecay: 0.01, decayFilter: "hf" }),
    clipNorm: 1.0,
  });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { loss } = await runner.step(batch, { lr: 1e-3 });
    losses.push(loss);
    console.log(`step ${i + 1}: loss ${loss.toFixed(4)}`);
  }
  await runner.dispose();
  return losses;
}

if (import.meta.url === `file://${process.argv[1]}`) await quickstart();
