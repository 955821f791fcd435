import { conformanceCases, runConformanceCase } from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";

// The conformance suite runs onnxruntime on one thread; scatterAdd (every embedding gradient)
// must also be exact on the default thread pool, where onnxruntime's ScatterND with reduction
// "add" races on duplicate indices and loses updates (measured: errors up to 2.6 on sums of
// ~128 values, different from run to run). The lowering must not depend on that kernel.
describe("scatterAdd on onnxruntime's default thread pool", () => {
  it("sums 8,192 rows into 64 exactly, eight runs of one session", async () => {
    const c = conformanceCases.find((k) => k.name === "scatterAdd/many-duplicates-training-size");
    expect(c).toBeDefined();
    const backend = await createOnnxBackend({ intraOpNumThreads: 2 });
    try {
      expect(await runConformanceCase(backend, c!)).toEqual([]);
    } finally {
      backend.dispose();
    }
  });
});
