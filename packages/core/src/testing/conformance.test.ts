import { describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { describeBackendConformance } from "./conformance.js";
import { conformanceCases } from "./conformance-cases.js";
import { compareOutputs, runConformanceCase } from "./conformance-compare.js";
import { missingForwardCoverage } from "./conformance-run.js";
import { vjpConformanceCases } from "./conformance-vjp-cases.js";

describeBackendConformance("reference", async () => createReferenceBackend());

/** The reference backend, except that every graph output produced by an `add` node is off by 1e-3. */
function brokenAddBackend(): Backend {
  const inner = createReferenceBackend();
  return {
    name: "broken-add",
    dispose: () => inner.dispose(),
    compile: async (graph, options) => {
      const exe = await inner.compile(graph, options);
      return {
        dispose: () => exe.dispose(),
        run: async (feeds) => {
          const out = await exe.run(feeds);
          for (const [name, id] of graph.outputs) {
            const t = out[name];
            if (t && graph.nodes[id]!.op === "add" && t.data instanceof Float32Array) {
              out[name] = hostTensor(
                "float32",
                t.shape,
                t.data.map((v) => v + 1e-3 * (1 + Math.abs(v))),
              );
            }
          }
          return out;
        },
      };
    },
  };
}

const byName = (n: string) => conformanceCases.find((c) => c.name === n)!;

describe("conformance comparison", () => {
  it("fails a backend whose add outputs are perturbed, and passes it elsewhere", async () => {
    const broken = brokenAddBackend();
    for (const n of ["add/same-shape", "add/broadcast", "add/scalar-operand"]) {
      const failures = await runConformanceCase(broken, byName(n));
      expect(failures.length, n).toBe(1);
      expect(failures[0]).toMatch(/output "y": \d+ of \d+ element\(s\) out of tolerance/);
    }
    expect(await runConformanceCase(broken, byName("mul/broadcast"))).toEqual([]);
    // A fused layerNorm output passes; its decomposition ends in an add, so the decomposed run fails.
    const failures = await runConformanceCase(broken, byName("decomposed/layerNorm/bert-eps"));
    expect(failures.length).toBe(2);
    expect(failures[0]).toMatch(/^decomposed on backend vs reference: output "y"/);
    expect(failures[1]).toMatch(/^decomposed vs fused on backend: output "y"/);
  });

  it("compareOutputs flags dtype, shape, missing outputs, NaN and int mismatches", () => {
    const want = {
      f: { dtype: "float32" as const, shape: [2], data: new Float64Array([1, Number.NaN]) },
      i: { dtype: "int32" as const, shape: [1], data: new Float64Array([3]) },
    };
    const tol = { rtol: 1e-4, atol: 1e-5 };
    expect(
      compareOutputs(
        { f: hostTensor("float32", [2], [1.00001, Number.NaN]), i: hostTensor("int32", [1], [3]) },
        want,
        tol,
      ),
    ).toEqual([]);
    expect(
      compareOutputs(
        { f: hostTensor("float32", [2], [1, 0]), i: hostTensor("int32", [1], [3]) },
        want,
        tol,
      )[0],
    ).toMatch(/1 of 2/);
    expect(
      compareOutputs(
        { f: hostTensor("float32", [2], [1, Number.NaN]), i: hostTensor("int32", [1], [4]) },
        want,
        tol,
      )[0],
    ).toMatch(/exact/);
    expect(compareOutputs({ i: hostTensor("float32", [1], [3]) }, want, tol)).toEqual([
      'output "f" is missing',
      'output "i": dtype float32, expected int32',
    ]);
    expect(
      compareOutputs(
        { f: hostTensor("float32", [1, 2], [1, Number.NaN]), i: hostTensor("int32", [1], [3]) },
        want,
        tol,
      )[0],
    ).toMatch(/shape \[1, 2\]/);
  });

  it("coverage check notices a missing op", () => {
    expect(missingForwardCoverage(conformanceCases.filter((c) => !c.name.startsWith("scatterAdd/")))).toEqual(
      ["scatterAdd"],
    );
  });

  it("case names are unique", () => {
    const names = [...conformanceCases, ...vjpConformanceCases].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
