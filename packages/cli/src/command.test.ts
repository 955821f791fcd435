import { describe, expect, it } from "vitest";
import { parseSetFlags, UsageError } from "./command.js";

describe("--set overrides", () => {
  it("builds nested objects, parsing JSON values", () => {
    expect(
      parseSetFlags([
        "training.batchSize=16",
        "data.maxRows.train=256",
        "output=runs/x",
        'strategy={"method":"lora"}',
      ]),
    ).toEqual({
      training: { batchSize: 16 },
      data: { maxRows: { train: 256 } },
      output: "runs/x",
      strategy: { method: "lora" },
    });
  });

  it("rejects entries without key=value", () => {
    expect(() => parseSetFlags(["training.batchSize"])).toThrow(UsageError);
    expect(() => parseSetFlags(["=3"])).toThrow(/expected key.path=value/);
  });
});
