import { describe, expect, it } from "vitest";
import { Linear } from "./linear.js";
import { Module, ModuleList } from "./module.js";
import { formatParameterReport, parameterReport } from "./parameter-report.js";
import { freezeAll, matchesName, setTrainable, trainableParameters, unfreezeAll } from "./trainable.js";

class Tiny extends Module {
  constructor() {
    super();
    this.registerModule("layer", new ModuleList([new Linear(4, 4), new Linear(4, 4)]));
    this.registerModule("classifier", new Linear(4, 2));
  }
}

describe("trainable flags and parameter report", () => {
  it("matches glob-ish and RegExp patterns", () => {
    expect(matchesName("classifier.weight", "classifier")).toBe(true);
    expect(matchesName("classifier_x.weight", "classifier")).toBe(false);
    expect(matchesName("bert.encoder.layer.3.attention.self.query.weight", "*.query.*")).toBe(true);
    expect(matchesName("bert.encoder.layer.3.attention.self.key.weight", "*.query.*")).toBe(false);
    expect(matchesName("layer.1.bias", /layer\.\d+\.bias$/)).toBe(true);
  });

  it("freezes, unfreezes by pattern and refuses patterns that match nothing", () => {
    const m = new Tiny();
    freezeAll(m);
    expect(trainableParameters(m)).toEqual([]);
    const changed = setTrainable(m, ["classifier", /layer\.1\.bias/], true);
    expect(changed.map((p) => p.name)).toEqual(["classifier.weight", "classifier.bias", "layer.1.bias"]);
    expect(trainableParameters(m).map((p) => p.name)).toEqual([
      "layer.1.bias",
      "classifier.weight",
      "classifier.bias",
    ]);
    expect(() => setTrainable(m, ["clasifier"], true)).toThrow(/matches no parameter/);
    unfreezeAll(m);
    expect(trainableParameters(m)).toHaveLength(6);
  });

  it("counts parameters, bytes and percentages per module", () => {
    const m = new Tiny();
    freezeAll(m);
    setTrainable(m, ["classifier"], true);
    const r = parameterReport(m);
    expect(r.total).toBe(2 * (16 + 4) + 8 + 2);
    expect(r.trainable).toBe(10);
    expect(r.bytes).toBe(4 * r.total);
    expect(r.trainableBytes).toBe(40);
    expect(r.percentTrainable).toBeCloseTo((100 * 10) / 50, 10);
    expect(r.perModule).toEqual([
      { module: "layer.0", total: 20, trainable: 0, bytes: 80 },
      { module: "layer.1", total: 20, trainable: 0, bytes: 80 },
      { module: "classifier", total: 10, trainable: 10, bytes: 40 },
    ]);
    expect(parameterReport(m, { depth: 1 }).perModule.map((g) => g.module)).toEqual(["layer", "classifier"]);
    const table = formatParameterReport(r);
    expect(table).toMatch(/classifier\s+10\s+10\s+40 B/);
    expect(table).toMatch(/trainable: 10 of 50 \(20\.00%\)/);
  });
});
