import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import {
  type Backend,
  type BertForSequenceClassification,
  createReferenceBackend,
  type HostTensor,
  sgd,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { adapterComposition, adapterFusion } from "./adapters/adapter-composition.js";
import { houlsbyAdapter, pfeifferAdapter } from "./adapters/bottleneck-strategies.js";
import { Stack } from "./adapters/composition.js";
import {
  loadReferenceCase,
  maxRelativeError,
  REFERENCE_CASES,
} from "./testing/adapter-prefix-prompt-reference.js";
import { probeBatch, randomizeParameters, tinyBert } from "./testing/tiny-bert.js";

function runner(model: BertForSequenceClassification, backend: Backend): TrainStepRunner {
  return new TrainStepRunner({
    backend,
    params: model.parameters(),
    forward: trainerForward(model),
    // SGD: the update is linear in the gradient (AdamW's first step is ~lr·sign(g), which
    // turns float noise on analytically-zero gradients, e.g. fusion key biases, into ±lr)
    optimizer: sgd({ momentum: 0.9 }),
  });
}

/** One SGD step; returns the loss, the logits before it, the trainable values and the loss after it. */
async function oneStep(
  model: BertForSequenceClassification,
  backend: Backend,
  batch: Record<string, HostTensor>,
): Promise<{ loss: number; logits: HostTensor; after: Map<string, HostTensor>; lossAfter: number }> {
  const r = runner(model, backend);
  try {
    const logits = (await r.evaluate(batch)).logits!;
    const { loss } = await r.step(batch, { lr: 0.1 });
    const after = new Map(
      model
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n, p]) => [n, p.value]),
    );
    const lossAfter = (await r.evaluate(batch)).loss!.data[0]!;
    return { loss, logits, after, lossAfter };
  } finally {
    await r.dispose();
  }
}

/** Fusion of two trained-looking adapters and a Stack of them, on the tiny BERT. */
function compositionCase(kind: "fusion" | "stack"): {
  model: BertForSequenceClassification;
  batch: Record<string, HostTensor>;
} {
  const one = pfeifferAdapter({ name: "a", reductionFactor: 2 }).apply(tinyBert(7));
  const two = houlsbyAdapter({ name: "b", reductionFactor: 2, seed: 1 }).apply(one);
  randomizeParameters(two, /adapters\./, 3, 0.5);
  const model =
    kind === "fusion" ? adapterFusion(["a", "b"]).apply(two) : adapterComposition(Stack("a", "b")).apply(two);
  randomizeParameters(model, /adapter_fusion_layer\..*\.(query|key)/, 4, 0.5);
  return { model, batch: probeBatch(3, 6, 2) };
}

const BACKENDS: [string, () => Promise<Backend>][] = [
  ["tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} })],
  ["onnx-cpu", () => createOnnxBackend()],
];

// Every bottleneck adapter, prefix and prompt method runs on both backends: forward against PyTorch (1e-4 relative) and one
// SGD training step against the float64 reference backend (losses before and after the step
// 1e-4 relative, updated trainable parameters 1e-5 absolute).
describe.each(BACKENDS)("adapters, prefix and prompt tuning on %s", (_name, createBackend) => {
  for (const name of Object.keys(REFERENCE_CASES)) {
    it(`${name}: logits match PyTorch; one training step matches the reference backend`, async () => {
      const backend = await createBackend();
      const c = await loadReferenceCase(name);
      const got = await oneStep(c.model, backend, c.batch);
      expect(maxRelativeError(got.logits.data, c.logits.data)).toBeLessThan(1e-4);
      expect(Math.abs(got.loss - c.loss) / c.loss).toBeLessThan(1e-4);
      const ref = await oneStep((await loadReferenceCase(name)).model, createReferenceBackend(), c.batch);
      expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
      expect(Math.abs(got.lossAfter - ref.lossAfter) / ref.lossAfter).toBeLessThan(1e-4);
      expect(got.lossAfter).toBeLessThan(got.loss);
      expect([...got.after.keys()]).toEqual([...ref.after.keys()]);
      for (const [path, v] of got.after) {
        const r = ref.after.get(path)!;
        const diff = Math.max(...Array.from(v.data, (x, i) => Math.abs(x - r.data[i]!)));
        expect(diff, path).toBeLessThan(1e-5);
      }
    });
  }

  for (const kind of ["fusion", "stack"] as const) {
    it(`${kind}: one training step matches the reference backend`, async () => {
      const backend = await createBackend();
      const a = compositionCase(kind);
      const got = await oneStep(a.model, backend, a.batch);
      const b = compositionCase(kind);
      const ref = await oneStep(b.model, createReferenceBackend(), b.batch);
      expect(maxRelativeError(got.logits.data, ref.logits.data)).toBeLessThan(1e-4);
      expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
      expect(Math.abs(got.lossAfter - ref.lossAfter) / ref.lossAfter).toBeLessThan(1e-4);
      for (const [path, v] of got.after) {
        const r = ref.after.get(path)!;
        const diff = Math.max(...Array.from(v.data, (x, i) => Math.abs(x - r.data[i]!)));
        expect(diff, path).toBeLessThan(1e-5);
      }
    });
  }
});
