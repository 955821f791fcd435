import { readFileSync } from "node:fs";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createReferenceBackend, hostTensor, Linear } from "@tunekit/core";
import { constant, Graph, mul, sum } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { EVAL_CONTEXT } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { relativeL2Error } from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";
import { LoraLinear } from "./lora-linear.js";

// PyTorch reference of PEFT's DoRA Linear (detached weight norm), made by
// packages/strategies/scripts/make_dora_fixture.py.
const fx = JSON.parse(readFileSync(new URL("./fixtures/dora-linear.json", import.meta.url), "utf8")) as {
  alpha: number;
  r: number;
  W: number[][];
  b: number[];
  A: number[][];
  B: number[][];
  m: number[];
  x: number[][];
  cotangent: number[][];
  y: number[][];
  grad_A: number[][];
  grad_B: number[][];
  grad_m: number[];
};

const t2 = (rows: number[][]) => hostTensor("float32", [rows.length, rows[0]!.length], rows.flat());

describe("DoRA gradients match PEFT's (detached weight norm, PyTorch float64 fixture)", () => {
  for (const [name, make] of [
    ["reference", () => createReferenceBackend()],
    ["onnx-cpu", () => createOnnxBackend()],
  ] as const) {
    it(`output and dL/dA, dL/dB, dL/dm within 1e-5 relative L2 (${name})`, async () => {
      const nOut = fx.W.length;
      const nIn = fx.W[0]!.length;
      const base = new Linear(nIn, nOut);
      base.weight.value = t2(fx.W);
      base.bias!.value = hostTensor("float32", [nOut], fx.b);
      const layer = new LoraLinear(base, {
        r: fx.r,
        alpha: fx.alpha,
        dropout: 0,
        useRslora: false,
        useDora: true,
        rng: mulberry32(0),
      });
      layer.loraA.value = t2(fx.A);
      layer.loraB.value = t2(fx.B);
      layer.magnitude!.value = hostTensor("float32", [nOut], fx.m);
      const g = new Graph();
      const x = g.input("x", "float32", [fx.x.length, nIn]);
      const y = layer.forward(x, EVAL_CONTEXT);
      const cot = constant(g, "float32", [fx.x.length, nOut], fx.cotangent.flat());
      const wrt = [layer.loraA, layer.loraB, layer.magnitude!];
      const grads = grad(
        sum(mul(y, cot)),
        wrt.map((p) => g.param(p)),
      );
      g.output("y", y);
      grads.forEach((t, i) => {
        g.output(`g${i}`, t);
      });
      const backend = await make();
      const constants = Object.fromEntries([...g.parameters].map(([n, p]) => [n, p.value]));
      const exe = await backend.compile(g, { constants });
      const out = await exe.run({ x: t2(fx.x) });
      exe.dispose();
      backend.dispose();
      const errors = {
        y: relativeL2Error(out.y!.data, fx.y.flat()),
        A: relativeL2Error(out.g0!.data, fx.grad_A.flat()),
        B: relativeL2Error(out.g1!.data, fx.grad_B.flat()),
        m: relativeL2Error(out.g2!.data, fx.grad_m),
      };
      console.info(`DoRA vs PyTorch on ${name}: ${JSON.stringify(errors)}`);
      for (const [k, e] of Object.entries(errors)) expect(e, k).toBeLessThan(1e-5);
    });
  }
});
