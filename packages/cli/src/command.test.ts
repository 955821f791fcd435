import { describe, expect, it } from "vitest";
import { applyOverrides, parseSetFlags, UsageError } from "./command.js";

describe("--set overrides", () => {
  it("parses key paths and JSON values (strings otherwise)", () => {
    expect(parseSetFlags(["training.batchSize=16", "output=runs/x", 'strategy={"method":"lora"}'])).toEqual([
      { path: ["training", "batchSize"], value: 16 },
      { path: ["output"], value: "runs/x" },
      { path: ["strategy"], value: { method: "lora" } },
    ]);
  });

  it("replaces values at their path (objects too), creating parents, without changing the input", () => {
    const raw = { model: { random: { layers: 2 } }, training: { lr: 1 } };
    const out = applyOverrides(
      raw,
      parseSetFlags(['model={"path":"m"}', "training.epochs=2", "data.maxRows.train=256", "training.lr=0.5"]),
    );
    expect(out).toEqual({
      model: { path: "m" },
      training: { lr: 0.5, epochs: 2 },
      data: { maxRows: { train: 256 } },
    });
    expect(raw).toEqual({ model: { random: { layers: 2 } }, training: { lr: 1 } });
  });

  it("rejects entries without key=value", () => {
    expect(() => parseSetFlags(["training.batchSize"])).toThrow(UsageError);
    expect(() => parseSetFlags(["=3"])).toThrow(/expected key.path=value/);
  });
});
