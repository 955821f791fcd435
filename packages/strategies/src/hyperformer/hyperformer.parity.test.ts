import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import { type Backend, createReferenceBackend } from "@tunekit/core";
import { afterAll, describe, expect, it } from "vitest";
import { checkHyperFormerFolder, hyperformerFixtureFolders } from "../testing/hyperformer-parity.js";

// PyTorch parity of HyperFormer / HyperFormer++ (scripts/make_hyperformer_fixture.py, float64
// references stored as float32): every folder of HYPERFORMER_FIXTURES (colon-separated;
// default: every folder of fixtures/hyperformer-parity) on every backend. Checks the
// generated adapters of every task, layer and position, the logits and loss of a batch whose
// rows belong to different tasks (and each task's loss), and the gradient of every trainable
// parameter (task, layer and position embeddings, projector, generators, head).
const BACKENDS: [string, () => Promise<Backend> | Backend][] = [
  ["reference", () => createReferenceBackend()],
  ["tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} })],
  ["onnx-cpu", () => createOnnxBackend()],
];

const folders = hyperformerFixtureFolders();

describe("HyperFormer parity fixtures", () => {
  it("finds at least one fixture folder", () => {
    expect(folders.length).toBeGreaterThan(0);
  });
});

for (const folder of folders) {
  for (const [name, create] of BACKENDS) {
    describe(`HyperFormer parity with PyTorch on ${name}: ${folder}`, () => {
      let backend: Backend | undefined;
      afterAll(() => backend?.dispose());
      it("generated adapters, mixed-task logits and losses, every gradient", async () => {
        backend = await create();
        const groups = await checkHyperFormerFolder(folder, backend);
        for (const [group, g] of Object.entries(groups)) {
          console.info(
            `[${name}] ${group.padEnd(9)} worst ${g.worst.toExponential(3)} over ${g.count} (tolerance ${g.tolerance.toExponential(0)}, ${g.worstName})`,
          );
        }
        for (const [group, g] of Object.entries(groups)) {
          expect(g.worst, `${group} on ${name}: worst ${g.worstName}`).toBeLessThanOrEqual(g.tolerance);
        }
      });
    });
  }
}
