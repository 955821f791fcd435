import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { checkParityFolder, findRepoRoot, formatParityReport, parityFixtureFolders } from "./parity.js";
import { globalL2Norm, maxAbsoluteError, maxRelativeError, relativeL2Error } from "./parity-metrics.js";

/** The reference backend with some outputs scaled: a backend with a bug. */
function perturbed(scales: Record<string, number>): Backend {
  const inner = createReferenceBackend();
  return {
    name: "perturbed",
    dispose: () => inner.dispose(),
    compile: async (graph, options) => {
      const exe = await inner.compile(graph, options);
      return {
        dispose: () => exe.dispose(),
        run: async (feeds) => {
          const out = await exe.run(feeds);
          for (const [name, s] of Object.entries(scales)) {
            const t = out[name];
            if (t)
              out[name] = hostTensor(
                "float32",
                t.shape,
                (t.data as Float32Array).map((v) => v * s),
              );
          }
          return out;
        },
      };
    },
  };
}

describe("parity harness", () => {
  const folder = parityFixtureFolders("../shared/reference/bert-tiny-parity")[0]!;

  it("resolves fixture folders from PARITY_FIXTURES against the repository root", () => {
    const root = findRepoRoot()!;
    expect(root).toBe(resolve(__dirname, "../../../.."));
    expect(parityFixtureFolders("a/b:/abs/c")).toEqual([resolve(root, "a/b"), "/abs/c"]);
    expect(parityFixtureFolders(undefined)).toEqual([
      resolve(root, "../shared/reference/bert-tiny-parity"),
      resolve(root, "../shared/reference/llama-tiny-parity"),
    ]);
  });

  it("defines the error metrics on the reference's scale", () => {
    expect(maxRelativeError([1, 2.002], [1, 2])).toBeCloseTo(0.001, 12);
    expect(maxRelativeError([0, 0.5], [0, 0])).toBe(0.5);
    expect(maxRelativeError([Number.NaN], [1])).toBe(Number.POSITIVE_INFINITY);
    expect(relativeL2Error([3, 4.5], [3, 4])).toBeCloseTo(0.1, 12);
    expect(relativeL2Error([1e-9], [1e-21], 1e-6)).toBeCloseTo(1e-3, 12);
    expect(maxAbsoluteError([1, 2], [1.5, 2])).toBe(0.5);
    expect(globalL2Norm([[3], [4]])).toBe(5);
  });

  it("fails the groups a buggy backend gets wrong and names the tensors", async () => {
    const bad = await checkParityFolder(
      folder,
      perturbed({ logits: 1 + 1e-3, "grad.bert.encoder.layer.1.output.dense.weight": 1.01 }),
    );
    const byGroup = Object.fromEntries(bad.groups.map((g) => [g.group, g]));
    expect(bad.passed).toBe(false);
    expect(byGroup.logits!.passed).toBe(false);
    expect(byGroup.logits!.worst).toBeGreaterThan(5e-4);
    expect(byGroup.grads!.failures).toEqual([
      expect.stringMatching(/^bert\.encoder\.layer\.1\.output\.dense\.weight: 1\.000e-2/),
    ]);
    expect(byGroup.loss!.passed).toBe(true);
    expect(byGroup["lora adamw"]!.passed).toBe(true);
    expect(formatParityReport(bad)).toMatch(
      /FAIL[\s\S]*grads .*FAIL: bert\.encoder\.layer\.1\.output\.dense\.weight/,
    );
  });

  it("a missing fixture folder is an error naming the folder and the expected layout", async () => {
    await expect(checkParityFolder("/nonexistent/fixture", createReferenceBackend())).rejects.toThrow(
      /\/nonexistent\/fixture has no config\.json; expected the layout of shared\/reference\/README\.md/,
    );
  });
});
