import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { mulberry32 } from "../data/random.js";
import { crossEntropy } from "../ir/composites.js";
import type { Graph, Tensor } from "../ir/graph.js";
import { add, gather, matmul, mean } from "../ir/ops.js";
import { adamw } from "../optim/adamw.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { HostStepUpdate } from "./host-step-update.js";
import { buildTrainStep, type TrainableParameterLike } from "./train-step.js";
import { TrainStepRunner } from "./train-step-runner.js";

/** Word table 8200 × 8 (10 ids gathered: row-sparse; large enough to go to a worker thread), position table 8 × 8 (dense), head 8 × 3. */
function embedModel() {
  const rng = mulberry32(5);
  const p = (name: string, shape: number[]): TrainableParameterLike => ({
    name,
    trainable: true,
    value: hostTensor(
      "float32",
      shape,
      Array.from({ length: shape[0]! * shape[1]! }, () => rng() - 0.5),
    ),
  });
  const params = [p("word.weight", [8200, 8]), p("pos.weight", [8, 8]), p("head.weight", [8, 3])];
  const forward = (g: Graph, inputs: Record<string, Tensor>) => {
    const h = add(gather(g.param(params[0]!), inputs.ids!), gather(g.param(params[1]!), inputs.pos!));
    const logits = matmul(mean(h, 1), g.param(params[2]!));
    return { loss: crossEntropy(logits, inputs.labels!) };
  };
  return { params, forward };
}

function batch(seed: number): Record<string, HostTensor> {
  const rng = mulberry32(seed);
  // Repeated ids: row 7 twice in each row of the batch, so duplicate rows must be summed.
  const ids = Array.from({ length: 10 }, (_, i) => (i % 5 === 0 ? 7 : Math.floor(rng() * 8200)));
  return {
    ids: hostTensor("int32", [2, 5], ids),
    pos: hostTensor("int32", [2, 5], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]),
    labels: hostTensor("int32", [2], [Math.floor(rng() * 3), Math.floor(rng() * 3)]),
  };
}

async function train(opts: { optimizerOnHost: boolean; clipNorm?: number; hostThreads?: number }) {
  const m = embedModel();
  const runner = new TrainStepRunner({
    backend: createReferenceBackend(),
    ...m,
    optimizer: adamw({ weightDecay: 0.1 }),
    ...opts,
  });
  const losses: number[] = [];
  const norms: (number | undefined)[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await runner.step(batch(i % 3), { lr: 0.05 });
    losses.push(r.loss);
    norms.push(r.gradNorm);
  }
  await runner.dispose();
  return { losses, norms, values: m.params.map((q) => Array.from(q.value.data)) };
}

describe("HostStepUpdate (optimizerOnHost: row-sparse embedding gradients, clipping on the host)", () => {
  it("buildTrainStep outputs the word table's gradient as rows + indices, the small position table's dense", () => {
    const m = embedModel();
    const specs = {
      ids: { dtype: "int32" as const, shape: [2, 5] },
      pos: { dtype: "int32" as const, shape: [2, 5] },
      labels: { dtype: "int32" as const, shape: [2] },
    };
    const step = buildTrainStep({
      ...m,
      inputSpecs: specs,
      optimizer: adamw(),
      optimizerOnHost: true,
      clipNorm: 1,
      dropout: false,
    });
    expect(step.sparseGradNames).toEqual(["word.weight"]);
    const outs = [...step.graph.outputs.keys()];
    expect(outs).toContain("word.weight::grad_rows");
    expect(outs).toContain("word.weight::grad_indices");
    expect(outs).not.toContain("word.weight::grad");
    expect(outs).toContain("pos.weight::grad");
    expect(outs).toContain("grad_squares");
    expect(
      buildTrainStep({ ...m, inputSpecs: specs, optimizer: adamw(), dropout: false }).sparseGradNames,
    ).toBeUndefined();
  });

  it.each([
    ["no clipping", undefined, 1],
    ["clipNorm 0.05 (every step clipped)", 0.05, 1],
    ["clipNorm 0.05, 2 host threads", 0.05, 2],
  ])(
    "%s: 8 AdamW steps match the in-graph dense update (1e-6), gradient norms too",
    async (_, clipNorm, hostThreads) => {
      const clip = clipNorm === undefined ? {} : { clipNorm };
      const host = await train({ optimizerOnHost: true, hostThreads, ...clip });
      const graph = await train({ optimizerOnHost: false, ...clip });
      host.losses.forEach((l, i) => {
        expect(Math.abs(l - graph.losses[i]!), `loss ${i}`).toBeLessThan(1e-6);
      });
      host.values.forEach((row, k) => {
        const worst = row.reduce((w, v, j) => Math.max(w, Math.abs(v - graph.values[k]![j]!)), 0);
        expect(worst, `param ${k}`).toBeLessThan(1e-6);
      });
      if (clipNorm === undefined) expect(host.norms.every((n) => n === undefined)).toBe(true);
      else {
        host.norms.forEach((n, i) => {
          expect(n!, `norm ${i}`).toBeGreaterThan(clipNorm);
          expect(Math.abs(n! - graph.norms[i]!) / graph.norms[i]!, `norm ${i}`).toBeLessThan(1e-5);
        });
      }
      expect(host.losses[7]).toBeLessThan(host.losses[0]!);
    },
  );

  it("a row index outside the table is an INVALID_ARGUMENT, and leaves the dense buffer clean for the next step", async () => {
    const update = new HostStepUpdate(adamw({ weightDecay: 0 }), { threads: 1 });
    const out = (indices: number[]) => ({
      "t::grad_rows": hostTensor("float32", [2, 2], [1, 2, 3, 4]),
      "t::grad_indices": hostTensor("int32", [2], indices),
    });
    const entry = () => ({
      name: "t",
      param: new Float32Array(8),
      state: { m: new Float32Array(8), v: new Float32Array(8) },
    });
    await expect(update.apply([entry()], out([1, 4]), ["t"], 1, 0.1)).rejects.toThrow(
      /row index 4 at position 1 of the gradient of "t" is outside the table's 4 rows/,
    );
    const e = entry();
    await update.apply([e], out([1, 1]), ["t"], 1, 0.1);
    // Row 1 gets (1+3, 2+4); AdamW's first step moves each touched element by -lr·sign(g).
    expect(Array.from(e.param)).toEqual([0, 0, -0.1, -0.1, 0, 0, 0, 0].map((x) => Math.fround(x)));
    expect(Array.from(e.state.m).map((x) => +x.toFixed(5))).toEqual([0, 0, 0.4, 0.6, 0, 0, 0, 0]);
    update.dispose();
  });
});
