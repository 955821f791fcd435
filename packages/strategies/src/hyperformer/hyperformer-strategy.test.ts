import { isTunekitError } from "@tunekit/core";
import { evaluateGraphFloat64 } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { traceForward } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { nudged, randomizeUnder, taskIds, traceHyper } from "../testing/hyperformer-trace.js";
import { maxAbsDiff, probeBatch, tinyBert } from "../testing/tiny-bert.js";
import { HyperFormerSite } from "./hyperformer-site.js";
import { hyperformer, hyperformerPlusPlus, hypernetworkOf } from "./hyperformer-strategy.js";

const TASKS = ["sst2", "mrpc", "rte"];
const small = {
  tasks: TASKS,
  reductionFactor: 4,
  taskEmbeddingDim: 4,
  projectorHiddenDim: 6,
  projectedDim: 5,
};

function adaptedModel(variant: "++" | "per-layer" = "++") {
  const strategy = variant === "++" ? hyperformerPlusPlus(small) : hyperformer(small);
  const model = strategy.apply(tinyBert(3));
  // generators start near zero (std 0.01): make them large enough that adapters matter
  randomizeUnder(model, /hypernetwork\.(generators|projector)\..*weight$/, 11, 0.4);
  return model;
}

function run(
  model: ReturnType<typeof adaptedModel>,
  ids: number[],
  batch = probeBatch(ids.length, 5, 2),
): { logits: Float64Array; loss: number } {
  const { graph } = traceHyper(model, ids.length, 5);
  const out = evaluateGraphFloat64(graph, { ...batch, task_ids: taskIds(ids) });
  return { logits: out.logits!.data, loss: out.loss!.data[0]! };
}

describe("hyperformerPlusPlus", () => {
  it("adds a hypernetwork and HyperFormer sites; trains only the hypernetwork and the head", () => {
    const base = tinyBert(3);
    const model = hyperformerPlusPlus(small).apply(base);
    const trainable = model
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(
      trainable.every((n) => n.startsWith("bert.encoder.hypernetwork.") || n.startsWith("classifier.")),
    ).toBe(true);
    expect(trainable).toContain("bert.encoder.hypernetwork.task_embeddings.mrpc");
    expect(trainable).toContain("bert.encoder.hypernetwork.layer_embeddings.weight");
    expect(trainable).toContain("bert.encoder.hypernetwork.position_embeddings.weight");
    expect(trainable).toContain("bert.encoder.hypernetwork.projector.LayerNorm.weight");
    expect(trainable).toContain("classifier.weight");
    // hidden 8, reduction 4 -> r = 2; generators map I (5) to D (2·8), b_D (2), U (8·2), b_U, γ, β (8)
    const p = (n: string) => model.getParameter(`bert.encoder.hypernetwork.${n}`).value.shape;
    expect(p("generators.down_weight.weight")).toEqual([16, 5]);
    expect(p("generators.up_weight.weight")).toEqual([16, 5]);
    expect(p("generators.ln_weight.bias")).toEqual([8]);
    expect(p("projector.dense_in.weight")).toEqual([6, 12]);
    expect(p("layer_embeddings.weight")).toEqual([2, 4]);
    expect(p("position_embeddings.weight")).toEqual([2, 4]);
    const sites = model.namedModules().filter(([, m]) => m instanceof HyperFormerSite);
    expect(sites.map(([n]) => n)).toEqual([
      "bert.encoder.layer.0.attention.output",
      "bert.encoder.layer.0.output",
      "bert.encoder.layer.1.attention.output",
      "bert.encoder.layer.1.output",
    ]);
    // the base keeps its modules and its frozen weights are shared, not copied
    expect(base.namedModules().some(([, m]) => m instanceof HyperFormerSite)).toBe(false);
    const q = "bert.encoder.layer.0.attention.self.query.weight";
    expect(model.getParameter(q)).toBe(base.getParameter(q));
    expect(model.getParameter("classifier.weight")).not.toBe(base.getParameter("classifier.weight"));
  });

  it("records its defaults (reduction 32, embeddings 64, projector 128 -> 64, relu)", () => {
    expect(hyperformerPlusPlus({ tasks: ["a"] }).options).toMatchObject({
      variant: "hyperformer++",
      reductionFactor: 32,
      taskEmbeddingDim: 64,
      projectorHiddenDim: 128,
      projectedDim: 64,
      nonLinearity: "relu",
      trainBaseLayerNorms: false,
      trainHead: true,
    });
  });

  it("with zero LayerNorm generators the adapters add exactly 0 (the base model's logits)", () => {
    const model = adaptedModel();
    randomizeUnder(model, /generators\.ln_(weight|bias)\./, 0, 0);
    const { graph } = traceForward(tinyBert(3), { batchSize: 3, seqLength: 5, labels: true });
    const want = evaluateGraphFloat64(graph, probeBatch(3, 5, 2)).logits!.data;
    expect(maxAbsDiff(run(model, [0, 1, 2]).logits, want)).toBeLessThan(1e-12);
  });

  it("mixed batches: each row gets its own task's adapters", () => {
    const model = adaptedModel();
    const batch = probeBatch(3, 5, 2);
    const mixed = run(model, [2, 0, 1], batch).logits;
    for (const [row, task] of [
      [0, 2],
      [1, 0],
      [2, 1],
    ] as const) {
      const alone = run(model, [task, task, task], batch).logits;
      expect(maxAbsDiff(mixed.slice(row * 3, row * 3 + 3), alone.slice(row * 3, row * 3 + 3))).toBeLessThan(
        1e-12,
      );
    }
    const other = run(model, [0, 0, 0], batch).logits;
    expect(maxAbsDiff(mixed.slice(0, 3), other.slice(0, 3))).toBeGreaterThan(1e-4);
  });

  it("gradients of every hypernetwork parameter match finite differences (float64)", () => {
    const model = adaptedModel();
    const ids = [1, 0, 1];
    const feeds = { ...probeBatch(3, 5, 2), task_ids: taskIds(ids) };
    const { graph, loss } = traceHyper(model, 3, 5);
    const params = model.namedParameters().filter(([n]) => n.includes(".hypernetwork."));
    const grads = grad(
      loss,
      params.map(([, p]) => graph.param(p)),
    );
    grads.forEach((t, i) => {
      graph.output(`g${i}`, t);
    });
    const analytic = evaluateGraphFloat64(graph, feeds);
    // the task not in the batch gets exactly zero gradient
    const rte = params.findIndex(([n]) => n.endsWith("task_embeddings.rte"));
    expect(Math.max(...analytic[`g${rte}`]!.data.map(Math.abs))).toBe(0);
    const h = 1e-5;
    let worst = 0;
    params.forEach(([name, p], i) => {
      const n = p.value.data.length;
      for (const j of [0, Math.floor(n / 2), n - 1]) {
        const lossAt = (d: number) =>
          evaluateGraphFloat64(graph, { ...feeds, [name]: nudged(p.value, j, d) }, ["loss"]).loss!.data[0]!;
        const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
        const got = analytic[`g${i}`]!.data[j]!;
        worst = Math.max(worst, Math.abs(got - numeric) / Math.max(1e-3, Math.abs(numeric)));
      }
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it("needs task_ids with several tasks (typed error); one task runs without", () => {
    const model = adaptedModel();
    let caught: unknown;
    try {
      traceHyper(model, 2, 5, false);
    } catch (e) {
      caught = e;
    }
    expect(isTunekitError(caught, "INVALID_ARGUMENT")).toBe(true);
    expect(String(caught)).toMatch(/needs a task_ids input/);
    const one = hyperformerPlusPlus({ ...small, tasks: ["only"] }).apply(tinyBert(3));
    const { graph } = traceHyper(one, 2, 5, false);
    const out = evaluateGraphFloat64(graph, probeBatch(2, 5, 2));
    expect(Number.isFinite(out.loss!.data[0]!)).toBe(true);
  });

  it("rejects bad options and a second application with typed errors", () => {
    expect(() => hyperformerPlusPlus({ tasks: [] })).toThrow(/non-empty list/);
    expect(() => hyperformerPlusPlus({ tasks: ["a", "a"] })).toThrow(/appears twice/);
    expect(() => hyperformerPlusPlus({ tasks: ["a.b"] })).toThrow(/not valid/);
    expect(() => hyperformerPlusPlus({ tasks: ["a"], projectedDim: 0 })).toThrow(/positive integer/);
    const model = hyperformerPlusPlus(small).apply(tinyBert(3));
    expect(() => hyperformerPlusPlus(small).apply(model)).toThrow(/not a plain BertEncoder/);
  });

  it("trainBaseLayerNorms makes the base LayerNorms trainable (own parameters, the base untouched)", () => {
    const base = tinyBert(3);
    const model = hyperformerPlusPlus({ ...small, trainBaseLayerNorms: true }).apply(base);
    const ln = "bert.encoder.layer.1.output.LayerNorm.weight";
    expect(model.getParameter(ln).trainable).toBe(true);
    expect(model.getParameter("bert.embeddings.LayerNorm.bias").trainable).toBe(true);
    expect(model.getParameter(ln)).not.toBe(base.getParameter(ln));
    expect(model.getParameter("bert.encoder.layer.1.output.dense.weight").trainable).toBe(false);
  });
});

describe("hyperformer (per-layer generators)", () => {
  it("has a generator set per layer and position, conditioned on the task alone", () => {
    const model = adaptedModel("per-layer");
    const { hypernetwork } = hypernetworkOf(model);
    const names = hypernetwork.namedParameters().map(([n]) => n);
    expect(names).toContain("generators.1.0.up_weight.weight");
    expect(names.some((n) => n.startsWith("layer_embeddings"))).toBe(false);
    expect(hypernetwork.namedParameters().find(([n]) => n === "projector.dense_in.weight")![1].shape).toEqual(
      [6, 4],
    );
    const mixed = run(model, [1, 2, 0]).logits;
    const alone = run(model, [1, 1, 1]).logits;
    expect(maxAbsDiff(mixed.slice(0, 3), alone.slice(0, 3))).toBeLessThan(1e-12);
  });
});
