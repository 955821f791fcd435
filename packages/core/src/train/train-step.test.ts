import { describe, expect, it } from "vitest";
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import type { Float64Tensor } from "../backend/reference-tensor.js";
import { adamw } from "../optim/adamw.js";
import { sgd } from "../optim/sgd.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { toyMlp, toyXorBatch } from "./toy-mlp.test-helpers.js";
import { buildEvalStep, buildTrainStep } from "./train-step.js";

const specsOf = (batch: Record<string, HostTensor>) =>
  Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape }]));

function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(Math.abs(e), 1e-6));
  }
  return worst;
}

describe("buildTrainStep", () => {
  const batch = toyXorBatch(4, 1);
  const inputSpecs = specsOf(batch);

  it("declares batch, step, lr, seed, parameter and state inputs and the documented outputs", () => {
    const mlp = toyMlp({ inputs: 2, hidden: 7, classes: 3, seed: 1, dropoutRate: 0.1 });
    const step = buildTrainStep({ ...mlp, inputSpecs, optimizer: adamw(), clipNorm: 1, dropout: true });
    const g = step.graph;
    expect([...g.inputs.keys()].slice(0, 5)).toEqual(["x", "labels", "step", "lr", "seed"]);
    expect(g.nodes[g.inputs.get("seed")!]!.dtype).toBe("int32");
    expect(g.nodes[g.inputs.get("step")!]!.shape).toEqual([]);
    expect([...g.params.keys()].sort()).toEqual(["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]);
    expect(step.trainableNames).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(step.stateNames).toContain("fc2.weight::m");
    expect(step.stateNames).toContain("fc1.bias::v");
    expect(step.stateNames).toHaveLength(8);
    const outs = [...g.outputs.keys()];
    expect(outs.slice(0, 2)).toEqual(["loss", "logits"]);
    expect(outs).toContain("grad_norm");
    expect(outs).toContain("fc1.weight::new");
    expect(outs).toContain("fc1.weight::m::new");
    expect(outs).toContain("fc2.bias::v::new");
    expect(step.extraOutputNames).toEqual(["logits"]);
    // The dropout mask is in the graph only because dropout is on.
    expect(g.nodes.some((n) => n.op === "dropoutMask")).toBe(true);
  });

  it("builds no gradient for frozen parameters (and no state, no update)", () => {
    // fc1.weight is [2, 7]: the only tensor of that shape in the forward pass. Its gradient
    // would be another [2, 7] node after the loss.
    const countWeightShapedAfterLoss = (freeze: boolean): number => {
      const mlp = toyMlp({ inputs: 2, hidden: 7, classes: 3, seed: 1 });
      mlp.params[0]!.trainable = !freeze;
      const step = buildTrainStep({ ...mlp, inputSpecs, optimizer: adamw(), dropout: false });
      const lossId = step.graph.outputs.get("loss")!;
      if (freeze) {
        expect(step.frozenNames).toEqual(["fc1.weight"]);
        expect(step.trainableNames).not.toContain("fc1.weight");
        expect(step.graph.inputs.has("fc1.weight::m")).toBe(false);
        expect(step.graph.outputs.has("fc1.weight::new")).toBe(false);
      }
      return step.graph.nodes.filter((n) => n.id > lossId && n.shape.join() === "2,7").length;
    };
    expect(countWeightShapedAfterLoss(false)).toBeGreaterThan(0); // the check can fail
    expect(countWeightShapedAfterLoss(true)).toBe(0);
  });

  it("skips trainable parameters the forward pass does not use (as PyTorch skips grad None)", () => {
    const mlp = toyMlp({ inputs: 2, hidden: 7, classes: 3, seed: 1 });
    const extra = { name: "unused.weight", value: mlp.params[0]!.value, trainable: true };
    const step = buildTrainStep({
      ...mlp,
      params: [...mlp.params, extra],
      inputSpecs,
      optimizer: sgd(),
      dropout: false,
    });
    expect(step.unusedTrainableNames).toEqual(["unused.weight"]);
    expect(step.graph.outputs.has("unused.weight::new")).toBe(false);
  });

  it("rejects clashing input names, a missing loss and bad accumulation settings", () => {
    const mlp = toyMlp({ inputs: 2, hidden: 7, classes: 3, seed: 1 });
    const base = { ...mlp, optimizer: adamw(), dropout: false };
    const lrSpec = { dtype: "float32" as const, shape: [] };
    expect(() => buildTrainStep({ ...base, inputSpecs: { ...inputSpecs, lr: lrSpec } })).toThrow(/clashes/);
    expect(() => buildTrainStep({ ...base, inputSpecs: { x: inputSpecs.x! } })).toThrow(
      /must return \{ loss \}/,
    );
    expect(() => buildTrainStep({ ...base, inputSpecs, gradientAccumulation: 0 })).toThrow(
      /positive integer/,
    );
    expect(() => buildTrainStep({ ...base, inputSpecs, phase: "accumulate" })).toThrow(
      /needs gradientAccumulation > 1/,
    );
  });

  it("computes the same gradients, clipping and AdamW update as a manual float64 computation", () => {
    const [B, I, H, C] = [4, 2, 5, 3];
    const mlp = toyMlp({ inputs: I, hidden: H, classes: C, seed: 3 });
    const batch4 = toyXorBatch(B, 5);
    const labels = [2, 0, 1, 1]; // use all three classes
    batch4.labels = { dtype: "int32", shape: [B], data: Int32Array.from(labels) };
    const maxNorm = 0.05;
    const lr = 0.01;
    const wd = 0.1;
    const step = buildTrainStep({
      ...mlp,
      inputSpecs: specsOf(batch4),
      optimizer: adamw({ weightDecay: wd, decayFilter: "hf" }),
      clipNorm: maxNorm,
      dropout: false,
    });
    const s = (v: number): Float64Tensor => ({ dtype: "float32", shape: [], data: Float64Array.of(v) });
    const feeds: Record<string, HostTensor | Float64Tensor> = { ...batch4, step: s(1), lr: s(lr) };
    for (const p of mlp.params) feeds[p.name] = p.value;
    for (const name of step.stateNames) {
      const param = mlp.params.find((p) => name.startsWith(`${p.name}::`))!;
      feeds[name] = {
        dtype: "float32",
        shape: param.value.shape,
        data: new Float64Array(param.value.data.length),
      };
    }
    const out = evaluateGraphFloat64(step.graph, feeds);

    // Manual forward and backward in float64.
    const [w1, b1, w2, b2] = mlp.params.map((p) => Array.from(p.value.data));
    const x = Array.from(batch4.x!.data);
    const pre = new Array<number>(B * H).fill(0);
    const h = new Array<number>(B * H).fill(0);
    const logits = new Array<number>(B * C).fill(0);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        let acc = b1![j]!;
        for (let i = 0; i < I; i++) acc += x[b * I + i]! * w1![i * H + j]!;
        pre[b * H + j] = acc;
        h[b * H + j] = Math.max(acc, 0);
      }
      for (let c = 0; c < C; c++) {
        let acc = b2![c]!;
        for (let j = 0; j < H; j++) acc += h[b * H + j]! * w2![j * C + c]!;
        logits[b * C + c] = acc;
      }
    }
    let loss = 0;
    const dLogits = new Array<number>(B * C).fill(0);
    for (let b = 0; b < B; b++) {
      const row = logits.slice(b * C, b * C + C);
      const mx = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      loss -= (row[labels[b]!]! - mx - Math.log(z)) / B;
      for (let c = 0; c < C; c++)
        dLogits[b * C + c] = (Math.exp(row[c]! - mx) / z - (c === labels[b] ? 1 : 0)) / B;
    }
    const gw2 = new Array<number>(H * C).fill(0);
    const gb2 = new Array<number>(C).fill(0);
    const gw1 = new Array<number>(I * H).fill(0);
    const gb1 = new Array<number>(H).fill(0);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        gb2[c]! += dLogits[b * C + c]!;
        for (let j = 0; j < H; j++) gw2[j * C + c]! += h[b * H + j]! * dLogits[b * C + c]!;
      }
      for (let j = 0; j < H; j++) {
        if (pre[b * H + j]! <= 0) continue;
        let dh = 0;
        for (let c = 0; c < C; c++) dh += dLogits[b * C + c]! * w2![j * C + c]!;
        gb1[j]! += dh;
        for (let i = 0; i < I; i++) gw1[i * H + j]! += x[b * I + i]! * dh;
      }
    }
    const grads = [gw1, gb1, gw2, gb2];
    const norm = Math.sqrt(grads.flat().reduce((a, v) => a + v * v, 0));
    const scale = Math.min(1, maxNorm / (norm + 1e-6));
    expect(scale).toBeLessThan(1); // clipping is active in this check

    expect(Math.abs(out.loss!.data[0]! - loss) / loss).toBeLessThanOrEqual(1e-10);
    expect(Math.abs(out.grad_norm!.data[0]! - norm) / norm).toBeLessThanOrEqual(1e-10);
    mlp.params.forEach((p, k) => {
      const g = grads[k]!.map((v) => v * scale);
      const decay = p.name.endsWith(".bias") ? 0 : wd;
      const m = g.map((v) => 0.1 * v);
      const v2 = g.map((v) => 0.001 * v * v);
      // AdamW step 1: m̂ = g, v̂ = g².
      const expected = Array.from(p.value.data, (w, i) => {
        const mHat = m[i]! / (1 - 0.9);
        const vHat = v2[i]! / (1 - 0.999);
        return w * (1 - lr * decay) - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      });
      expect(maxRelError(out[`${p.name}::m::new`]!.data, m)).toBeLessThanOrEqual(1e-9);
      expect(maxRelError(out[`${p.name}::v::new`]!.data, v2)).toBeLessThanOrEqual(1e-9);
      expect(maxRelError(out[`${p.name}::new`]!.data, expected)).toBeLessThanOrEqual(1e-9);
    });
  });
});

describe("buildEvalStep", () => {
  it("traces the forward pass alone: no optimizer inputs, no dropout, no backward nodes", () => {
    const mlp = toyMlp({ inputs: 2, hidden: 7, classes: 3, seed: 1, dropoutRate: 0.5 });
    const { graph, outputNames } = buildEvalStep({
      forward: mlp.forward,
      inputSpecs: specsOf(toyXorBatch(4, 1)),
    });
    expect(outputNames).toEqual(["loss", "logits"]);
    expect([...graph.inputs.keys()]).toEqual(["x", "labels"]);
    expect(graph.nodes.some((n) => n.op === "dropoutMask")).toBe(false);
    expect(Math.max(...graph.outputs.values())).toBe(graph.nodes.length - 1);
  });
});
