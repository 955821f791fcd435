import { evaluateGraphFloat64 } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { traceForward } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import {
  loadReferenceCase,
  maxRelativeError,
  REFERENCE_CASES,
  relativeL2Error,
} from "./testing/adapter-prefix-prompt-reference.js";

// PyTorch references: fixtures/make_adapter_prefix_prompt_reference.py (float64). Evaluated here in float64
// by the reference executor: logits and loss to 1e-6 (relative), every gradient of the
// method's parameters to 1e-5 (relative L2).
describe("adapters, prefix and prompt tuning match PyTorch (PEFT / AdapterHub semantics)", () => {
  for (const name of Object.keys(REFERENCE_CASES)) {
    it(`${name}: logits, loss and parameter gradients`, async () => {
      const c = await loadReferenceCase(name);
      const [b, s] = c.batch.input_ids!.shape as [number, number];
      const { graph, outputs } = traceForward(c.model, { batchSize: b, seqLength: s, labels: true });
      const paths = [...c.grads.keys()];
      expect(paths.length).toBeGreaterThan(0);
      const params = paths.map((p) => c.model.getParameter(p));
      expect(params.every((p) => p.trainable)).toBe(true);
      grad(
        outputs.loss!,
        params.map((p) => graph.param(p)),
      ).forEach((t, i) => {
        graph.output(`grad.${i}`, t);
      });
      const out = evaluateGraphFloat64(graph, c.batch);
      expect(maxRelativeError(out.logits!.data, c.logits.data)).toBeLessThan(1e-6);
      expect(Math.abs(out.loss!.data[0]! - c.loss) / c.loss).toBeLessThan(1e-6);
      paths.forEach((path, i) => {
        expect(relativeL2Error(out[`grad.${i}`]!.data, c.grads.get(path)!.data), path).toBeLessThan(1e-5);
      });
    });
  }
});
