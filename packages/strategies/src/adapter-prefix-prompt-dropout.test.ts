import {
  adamw,
  createReferenceBackend,
  loadBertCheckpoint,
  loadTokenizer,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { promptTuning } from "./prompt/prompt-tuning.js";
import {
  loadReferenceCase,
  PARITY_FOLDER,
  REFERENCE_CASES,
} from "./testing/adapter-prefix-prompt-reference.js";

// The shared parity BERT has dropout 0.1 (hidden and attention): every bottleneck adapter, prefix and prompt method trains
// with dropout on (seeded masks), and two runners with the same seed agree exactly.
describe("bottleneck adapters, prefix and prompt tuning train with dropout on", () => {
  for (const name of Object.keys(REFERENCE_CASES)) {
    it(`${name}: seeded dropout steps are finite, deterministic and differ from eval`, async () => {
      const run = async (): Promise<{ losses: number[]; evalLoss: number }> => {
        const c = await loadReferenceCase(name);
        const runner = new TrainStepRunner({
          backend: createReferenceBackend(),
          params: c.model.parameters(),
          forward: trainerForward(c.model),
          optimizer: adamw({ weightDecay: 0 }),
          dropout: true,
          seed: 5,
        });
        const evalLoss = (await runner.evaluate(c.batch)).loss!.data[0]!;
        const losses = [
          (await runner.step(c.batch, { lr: 1e-3 })).loss,
          (await runner.step(c.batch, { lr: 1e-3 })).loss,
        ];
        return { losses, evalLoss };
      };
      const a = await run();
      const b = await run();
      expect(a.losses.every(Number.isFinite)).toBe(true);
      expect(a.losses).toEqual(b.losses);
      expect(Math.abs(a.losses[0]! - a.evalLoss)).toBeGreaterThan(1e-6); // dropout was active
    });
  }

  it("text init accepts tunekit's Tokenizer (special tokens included, ids checked against the vocabulary)", async () => {
    const tokenizer = await loadTokenizer(`${PARITY_FOLDER}/../../tokenizers/bert-base-uncased`);
    const ids = tokenizer.encode("great movie").ids;
    expect(ids[0]).toBe(101); // [CLS], as PEFT's tokenizer(text)
    const { model } = await loadBertCheckpoint(PARITY_FOLDER, { task: "sequence-classification" });
    expect(() =>
      promptTuning({ numVirtualTokens: 2, init: { text: "great movie", tokenizer } }).apply(model),
    ).toThrow(/token id \d+ is outside the model's vocabulary \(size 64\); use the model's own tokenizer/);
  });
});
