import { existsSync } from "node:fs";
import { findRepoRoot } from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";
import { quickstart } from "../../../examples/quickstart.js";

// The root README's code example (examples/quickstart.ts) runs and its loss goes down.
describe("README quickstart (examples/quickstart.ts)", () => {
  it("trains the parity fixture for 10 steps on onnx and the loss decreases every step", async () => {
    const folder = `${findRepoRoot()}/../shared/reference/bert-tiny-parity`;
    expect(existsSync(folder)).toBe(true);
    const log = console.log;
    console.log = () => {};
    const losses = await quickstart(folder, 10).finally(() => {
      console.log = log;
    });
    expect(losses).toHaveLength(10);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
    expect(losses[9]!).toBeLessThan(losses[0]! - 0.05);
  });
});
