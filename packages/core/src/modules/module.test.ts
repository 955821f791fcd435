import { describe, expect, it } from "vitest";
import { mulberry32 } from "../data/random.js";
import { Graph, type Tensor } from "../ir/graph.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { Dropout } from "./dropout.js";
import { Embedding } from "./embedding.js";
import { LayerNorm } from "./layer-norm.js";
import { Linear } from "./linear.js";
import { type ForwardContext, Layer, Module, ModuleList } from "./module.js";
import { Parameter } from "./parameter.js";
import { loadStateDict, stateDict } from "./state-dict.js";

class Block extends Module {
  constructor() {
    super();
    this.registerModule("dense", new Linear(4, 4, { rng: mulberry32(1) }));
    this.registerModule("LayerNorm", new LayerNorm(4, 1e-12));
  }
  forward(x: Tensor): Tensor {
    return this.child<Layer>("LayerNorm").forward(this.child<Layer>("dense").forward(x));
  }
}

class Net extends Module {
  constructor() {
    super();
    const body = new Module0();
    body.registerModule("layer", new ModuleList([new Block(), new Block()]));
    this.registerModule("bert", body);
    this.registerModule("classifier", new Linear(4, 2, { rng: mulberry32(2) }));
  }
}
class Module0 extends Module {
  override registerModule<M extends Module>(name: string, m: M): M {
    return super.registerModule(name, m);
  }
}

/** A wrapper sharing the wrapped Linear's parameters (what a LoRA strategy does). */
class Scaled extends Layer {
  constructor(readonly base: Linear) {
    super();
    this.registerParameter("weight", base.weight);
    this.registerParameter("bias", base.bias!);
    this.registerParameter("scale", new Parameter("scale", hostTensor("float32", [1], [2])));
  }
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    return this.base.forward(x);
  }
}

describe("Module tree", () => {
  it("names parameters by their Hugging Face path", () => {
    const net = new Net();
    const names = net.namedParameters().map(([n]) => n);
    expect(names).toEqual([
      "bert.layer.0.dense.weight",
      "bert.layer.0.dense.bias",
      "bert.layer.0.LayerNorm.weight",
      "bert.layer.0.LayerNorm.bias",
      "bert.layer.1.dense.weight",
      "bert.layer.1.dense.bias",
      "bert.layer.1.LayerNorm.weight",
      "bert.layer.1.LayerNorm.bias",
      "classifier.weight",
      "classifier.bias",
    ]);
    for (const [n, p] of net.namedParameters()) expect(p.name).toBe(n);
    expect(net.getParameter("bert.layer.1.dense.bias").name).toBe("bert.layer.1.dense.bias");
    expect(net.getSubmodule("bert.layer.1")).toBeInstanceOf(Block);
    expect(() => net.getSubmodule("bert.layer.7")).toThrow(/no submodule "bert.layer.7".*children: 0, 1/);
  });

  it("rejects names that are invalid or already taken by the other kind", () => {
    const m = new Module0();
    m.registerModule("dense", new Linear(2, 2));
    expect(() => m.registerModule("a.b", new Linear(2, 2))).toThrow(/not a valid child or parameter name/);
    class Clash extends Linear {
      constructor() {
        super(2, 2);
        this.registerModule("weight", new Linear(1, 1));
      }
    }
    expect(() => new Clash()).toThrow(/"weight" is already a parameter/);
    expect(() => new Linear(2, 2).setSubmodule("weight", new Linear(1, 1))).toThrow(/has no child "weight"/);
  });

  it("swaps a submodule and shares (does not copy) parameters", () => {
    const net = new Net();
    const path = "bert.layer.0.dense";
    const old = net.getSubmodule(path) as Linear;
    const wrapped = new Scaled(old);
    expect(net.setSubmodule(path, wrapped)).toBe(old);
    expect(net.getSubmodule(path)).toBe(wrapped);
    expect(net.getParameter(`${path}.weight`)).toBe(old.weight);
    expect(wrapped.param("scale").name).toBe(`${path}.scale`);
    expect(old.weight.name).toBe(`${path}.weight`);
    const newValue = hostTensor("float32", [4, 4]);
    old.weight.value = newValue;
    expect(stateDict(net)[`${path}.weight`]).toBe(newValue);
    // forward uses the swapped child: the graph binds the same Parameter object
    const g = new Graph();
    const y = (net.getSubmodule("bert.layer.0") as Block).forward(g.input("x", "float32", [3, 4]));
    expect(y.shape).toEqual([3, 4]);
    expect(g.parameters.get(`${path}.weight`)).toBe(old.weight);
  });

  it("builds Linear / Embedding / LayerNorm / Dropout IR with HF layouts", () => {
    const g = new Graph();
    const lin = new Linear(8, 3);
    expect(lin.weight.shape).toEqual([3, 8]);
    expect(lin.bias!.shape).toEqual([3]);
    const x = g.input("x", "float32", [2, 5, 8]);
    expect(lin.forward(x).shape).toEqual([2, 5, 3]);
    expect(new Linear(8, 3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(["weight"]);
    const emb = new Embedding(10, 4, { paddingIdx: 0, rng: mulberry32(3), std: 0.02 });
    expect([...emb.weight.value.data.slice(0, 4)]).toEqual([0, 0, 0, 0]);
    const row1 = [...emb.weight.value.data.slice(4, 8)];
    expect(row1.some((v) => v !== 0)).toBe(true);
    const g2 = new Graph(); // standalone modules all call their weight "weight": one per graph
    expect(emb.forward(g2.input("ids", "int32", [2, 5])).shape).toEqual([2, 5, 4]);
    expect(() => emb.forward(g2.input("f", "float32", [2]))).toThrow(/ids must be int32/);
    const ln = new LayerNorm(8, 1e-12);
    expect([...ln.param("weight").value.data]).toEqual(new Array(8).fill(1));
    expect(ln.forward(new Graph().input("x", "float32", [2, 8])).node.op).toBe("layerNorm");
    const drop = new Dropout(0.1);
    expect(drop.forward(x, { training: false })).toBe(x);
    expect(() => drop.forward(x, { training: true })).toThrow(/needs ctx.seed/);
    const seed = g.input("seed", "int32", []);
    const ctx = { training: true, seed };
    const a = drop.forward(x, ctx);
    const b = drop.forward(x, ctx);
    const maskSeed = (t: Tensor) => g.nodes[g.nodes[t.node.inputs[1]!]!.inputs[0]!]!;
    expect(maskSeed(a).id).toBe(seed.id);
    expect(maskSeed(b).op).toBe("add"); // second site: seed + 1
  });

  it("weight init is normal(0, std), seeded and reproducible", () => {
    const a = new Linear(64, 64, { rng: mulberry32(5), std: 0.02 });
    const b = new Linear(64, 64, { rng: mulberry32(5), std: 0.02 });
    expect(a.weight.value.data).toEqual(b.weight.value.data);
    const d = a.weight.value.data;
    let s = 0;
    let s2 = 0;
    for (const v of d) {
      s += v;
      s2 += v * v;
    }
    const mean = s / d.length;
    const std = Math.sqrt(s2 / d.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
  });

  it("loads a state dict strictly and reports what does not match", () => {
    const src = new Net();
    const dst = new Net();
    dst.getParameter("classifier.bias").value = hostTensor("float32", [2], [9, 9]);
    loadStateDict(dst, stateDict(src));
    expect(dst.getParameter("classifier.bias").value).toBe(src.getParameter("classifier.bias").value);
    const bad: Record<string, HostTensor> = { ...stateDict(src), extra: hostTensor("float32", [1]) };
    bad["classifier.weight"] = hostTensor("float32", [3, 4]);
    delete bad["classifier.bias"];
    expect(() => loadStateDict(dst, bad)).toThrow(
      /missing \(1\): classifier.bias[\s\S]*unexpected \(1\): extra[\s\S]*classifier.weight: model has float32\[2, 4\], checkpoint has float32\[3, 4\]/,
    );
    const r = loadStateDict(dst, bad, { strict: false });
    expect(r.missing).toEqual(["classifier.bias"]);
    expect(r.unexpected).toEqual(["extra"]);
  });
});
