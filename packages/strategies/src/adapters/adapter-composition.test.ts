import { add, evaluateGraphFloat64, Graph, sum } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { type Layer, normalTensor, traceForward } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { checkParameterGradients } from "../testing/parameter-gradients.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { adapterComposition, adapterFusion } from "./adapter-composition.js";
import { AdapterFusionLayer } from "./adapter-fusion-layer.js";
import type { AdapterSite } from "./adapter-site.js";
import { houlsbyAdapter, pfeifferAdapter } from "./bottleneck-strategies.js";
import { Fuse, Stack } from "./composition.js";

const batch = probeBatch();

/** A tiny BERT with a trained-looking (random) Pfeiffer adapter "x" and a fresh one "fresh". */
function withTwoAdapters() {
  const withX = pfeifferAdapter({ name: "x", reductionFactor: 2 }).apply(tinyBert(4));
  randomizeParameters(withX, /adapters\.x\./, 21, 0.5);
  const both = houlsbyAdapter({ name: "fresh", reductionFactor: 2, seed: 9 }).apply(withX);
  return { withX, both };
}

describe("adapter composition (AdapterHub semantics)", () => {
  it("Stack(identity-initialised adapter, X) and Stack(X, identity) equal X alone", async () => {
    const { withX, both } = withTwoAdapters();
    const x = await logitsOf(withX, batch);
    expect(Array.from(await logitsOf(adapterComposition(Stack("fresh", "x")).apply(both), batch))).toEqual(
      Array.from(x),
    );
    expect(Array.from(await logitsOf(adapterComposition(Stack("x", "fresh")).apply(both), batch))).toEqual(
      Array.from(x),
    );
    // only "fresh" was active after it was added: X's contribution is then absent
    expect(maxAbsDiff(await logitsOf(both, batch), x)).toBeGreaterThan(1e-3);
  });

  it("Stack(identity, Fuse(x)) equals X alone (a Fuse inside a Stack reads the stacked output)", async () => {
    const { withX, both } = withTwoAdapters();
    const fused = adapterComposition(Stack("fresh", Fuse("x"))).apply(both);
    expect(fused.namedParameters().some(([n]) => n.includes("adapter_fusion_layer.x.value"))).toBe(true);
    expect(maxAbsDiff(await logitsOf(fused, batch), await logitsOf(withX, batch))).toBeLessThan(1e-6);
  });

  it("Stack(a, b) feeds a's output to b at a site: LN(y1 + b(y1) + r) with y1 = y + a(y)", () => {
    const { both } = withTwoAdapters();
    randomizeParameters(both, /adapters\.fresh\./, 5, 0.5);
    const stacked = adapterComposition(Stack("fresh", "x")).apply(both);
    const site = stacked.getSubmodule("bert.encoder.layer.1.output") as AdapterSite;
    const g = new Graph();
    const h = g.input("h", "float32", [2, 3, 12]);
    const r = g.input("r", "float32", [2, 3, 8]);
    g.output("site", site.forward(h, r));
    const y = site.child<Layer>("dense").forward(h);
    const y1 = add(y, site.adapters.get("fresh")!.delta(y));
    const y2 = add(y1, site.adapters.get("x")!.delta(y1));
    g.output("manual", site.child<Layer>("LayerNorm").forward(add(y2, r)));
    const rng = mulberry32(3);
    const out = evaluateGraphFloat64(g, {
      h: normalTensor([2, 3, 12], rng, 1),
      r: normalTensor([2, 3, 8], rng, 1),
    });
    expect(maxAbsDiff(out.site!.data, out.manual!.data)).toBeLessThan(1e-12);
    const swapped = adapterComposition(Stack("x", "fresh")).apply(both);
    expect(swapped.getSubmodule("bert.encoder.layer.1.output")).not.toBe(site);
  });

  it("fusion weights are a softmax over the adapters: positive and summing to 1 per token", () => {
    const fusion = new AdapterFusionLayer(8, 3);
    randomizeParameters(fusion, /query|key/, 4, 1);
    const g = new Graph();
    const h = g.input("h", "float32", [2, 5, 8]);
    const ups = [0, 1, 2].map((i) => g.input(`u${i}`, "float32", [2, 5, 8]));
    g.output("alpha", fusion.weights(h, ups));
    const rng = mulberry32(8);
    const feeds = Object.fromEntries(
      ["h", "u0", "u1", "u2"].map((n) => [n, normalTensor([2, 5, 8], rng, 1)]),
    );
    const alpha = evaluateGraphFloat64(g, feeds).alpha!;
    expect(alpha.shape).toEqual([2, 5, 3]);
    for (let t = 0; t < 10; t++) {
      const row = Array.from(alpha.data.slice(t * 3, t * 3 + 3));
      expect(row.every((v) => v > 0)).toBe(true);
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
    }
    expect(Math.max(...Array.from(alpha.data)) - Math.min(...Array.from(alpha.data))).toBeGreaterThan(1e-3);
  });

  it("the value projection starts as the identity, so Fuse(x) alone equals adapter x", async () => {
    const { withX, both } = withTwoAdapters();
    const fused = adapterFusion(["x"]).apply(both);
    const v = fused.getParameter("bert.encoder.layer.0.output.adapter_fusion_layer.x.value.weight").value;
    expect(v.shape).toEqual([8, 8]);
    expect(Array.from(v.data).filter((e) => e === 1).length).toBe(8);
    expect(maxAbsDiff(await logitsOf(fused, batch), await logitsOf(withX, batch))).toBeLessThan(1e-6);
  });

  it("AdapterFusion freezes the adapters: gradients only reach fusion parameters (and the head)", () => {
    const { both } = withTwoAdapters();
    randomizeParameters(both, /adapters\.fresh\./, 6, 0.5);
    const fused = adapterFusion(["x", "fresh"]).apply(both);
    const trainable = fused
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(trainable.length).toBe(2 * 5 + 2 * 5 + 2); // 2 sites per layer (houlsby adds attention sites) x 5 + head
    expect(
      trainable.every((n) => n.includes(".adapter_fusion_layer.x,fresh.") || n.startsWith("classifier.")),
    ).toBe(true);
    expect(trainable).toContain("bert.encoder.layer.1.output.adapter_fusion_layer.x,fresh.query.weight");
    expect(trainable).toContain(
      "bert.encoder.layer.0.attention.output.adapter_fusion_layer.x,fresh.value.weight",
    );
    // the loss depends on the frozen adapters, yet only trainable parameters get gradient nodes
    const { graph, outputs } = traceForward(fused, { batchSize: 3, seqLength: 6, labels: true });
    const params = fused.parameters();
    const gs = grad(
      outputs.loss!,
      params.filter((p) => p.trainable).map((p) => graph.param(p)),
    );
    gs.forEach((t, i) => {
      graph.output(`g${i}`, sum(t));
    });
    expect(gs.length).toBe(trainable.length);
    const r = checkParameterGradients(fused, batch, (path) => path.includes("adapter_fusion_layer"), {
      perParameter: 3,
    });
    expect(r.maxGradient).toBeGreaterThan(1e-6);
    expect(r.maxError / r.maxGradient, r.worst).toBeLessThan(1e-5);
  });

  it("reports unknown adapters and foreign trainAdapters with the names it has", () => {
    const { both } = withTwoAdapters();
    expect(() => adapterFusion(["x", "nope"]).apply(both)).toThrow(
      /no adapter named "nope"; it has \[(fresh, x|x, fresh)\]/,
    );
    expect(() => adapterComposition(Stack("x"), { trainAdapters: ["fresh"] })).toThrow(/does not use/);
    expect(() => Fuse("a", "a")).toThrow(/distinct/);
  });
});
