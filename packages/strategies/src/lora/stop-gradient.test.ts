import { createReferenceBackend, hostTensor } from "@tunekit/core";
import { Graph, mul, sum } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import { describe, expect, it } from "vitest";
import { stopGradientNonNegative } from "./stop-gradient.js";

describe("stopGradientNonNegative", () => {
  const values = [0, 1e-9, 3.3e-5, 0.0078125, 0.5, 1.1234567, 7.77, 1234.5678, 99999.99, 1.2e8];

  for (const [name, make] of [
    ["reference", () => createReferenceBackend()],
    ["onnx-cpu", () => createOnnxBackend()],
    ["tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} })],
  ] as const) {
    it(`keeps the value (float32-exact) and passes no gradient (${name})`, async () => {
      const backend = await make();
      const g = new Graph();
      const x = g.input("x", "float32", [values.length]);
      const p = { name: "p", value: hostTensor("float32", [values.length], values) };
      const xp = g.param(p);
      const d = stopGradientNonNegative(xp);
      // L = sum(d · x_p): with d detached, dL/dp = d = p (2p if the gradient leaked)
      const [gp] = grad(sum(mul(d, xp)), [xp]);
      g.output("d", d);
      g.output("gp", gp!);
      g.output("x", mul(x, 1));
      const exe = await backend.compile(g, { constants: { p: p.value } });
      const out = await exe.run({ x: p.value });
      exe.dispose();
      const f32 = Float32Array.from(values);
      for (let i = 0; i < values.length; i++) {
        expect(out.d!.data[i], `value ${values[i]}`).toBe(f32[i]);
        expect(out.gp!.data[i], `grad ${values[i]}`).toBe(f32[i]);
      }
      backend.dispose();
    });
  }
});
