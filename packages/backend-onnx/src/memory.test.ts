import * as tk from "@tunekit/core";
import * as models from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";

// Issue 5 item 2: no memory growth over 1,000 training steps (one session, reused).
describe("memory over 1,000 training steps", () => {
  it("RSS after step 1,000 is within 10 % of RSS after step 100; one session for all steps", async () => {
    const config = models.parseBertConfig({
      model_type: "bert",
      vocab_size: 50,
      hidden_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 16,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      num_labels: 2,
    });
    const model = tk.createBertForTask(config, { task: "sequence-classification", numLabels: 2, seed: 1 });
    const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
    const runner = new tk.TrainStepRunner({
      backend,
      params: model.parameters(),
      forward: tk.trainerForward(model),
      optimizer: tk.adamw({ weightDecay: 0.01 }),
      clipNorm: 1,
      dropout: true,
    });
    const batch = {
      input_ids: tk.hostTensor(
        "int32",
        [4, 8],
        Array.from({ length: 32 }, (_, i) => (i * 7) % 50),
      ),
      attention_mask: tk.hostTensor(
        "int32",
        [4, 8],
        Array.from({ length: 32 }, (_, i) => (i % 8 < 6 ? 1 : 0)),
      ),
      labels: tk.hostTensor("int32", [4], [0, 1, 1, 0]),
    };
    let rss100 = 0;
    let loss = 0;
    for (let i = 1; i <= 1000; i++) {
      loss = (await runner.step(batch, { lr: 1e-3 })).loss;
      if (i === 100) rss100 = process.memoryUsage().rss;
    }
    const rss1000 = process.memoryUsage().rss;
    expect(Number.isFinite(loss)).toBe(true);
    expect(backend.sessionStats()).toEqual({ created: 1, live: 1 });
    expect(
      Math.abs(rss1000 - rss100) / rss100,
      `RSS ${rss100} after step 100, ${rss1000} after 1,000`,
    ).toBeLessThan(0.1);
    await runner.dispose();
    expect(backend.sessionStats().live).toBe(0);
    backend.dispose();
  });
});
