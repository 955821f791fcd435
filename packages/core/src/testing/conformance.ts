import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { conformanceCases } from "./conformance-cases.js";
import { runConformanceCase, type Tolerance } from "./conformance-compare.js";
import { missingForwardCoverage, missingVjpCoverage, runVjpConformanceCase } from "./conformance-run.js";
import { vjpConformanceCases } from "./conformance-vjp-cases.js";

/**
 * Options of {@link describeBackendConformance}.
 *
 * @example
 * ```ts
 * const opts: BackendConformanceOptions = {
 *   skip: [{ case: "gelu/tanh", reason: "no tanh-form GELU kernel yet (#12)" }],
 *   rtol: 2e-4,
 * };
 * ```
 */
export interface BackendConformanceOptions {
  /**
   * Cases not run, each with the reason (printed with `console.info` when the suite runs).
   * `case` is an exact case name (`"matmul/2d"`, `"vjp/softmax/axis0"`) or a prefix ending
   * in `*` (`"dropoutMask/*"`).
   */
  readonly skip?: ReadonlyArray<{ readonly case: string; readonly reason: string }>;
  /** Suite-wide floor on the relative tolerance of float32 outputs (cases may be looser). */
  readonly rtol?: number;
  /** Suite-wide floor on the absolute tolerance of float32 outputs. */
  readonly atol?: number;
}

const matches = (pattern: string, name: string): boolean =>
  pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;

/**
 * Registers vitest `describe`/`it` blocks that check `createBackend()` against the float64
 * reference: one test per forward case in {@link conformanceCases} (every op of `ALL_OPS`,
 * edge cases, fused-vs-decomposed composites, dropout statistics) and per VJP case in
 * {@link vjpConformanceCases} (gradient graphs from `grad`), plus coverage tests that fail
 * when an op has no forward case or a differentiable op no VJP case.
 *
 * @example
 * ```ts
 * // packages/backend-tfjs/src/conformance.test.ts
 * import { describeBackendConformance } from "@tunekit/core/testing";
 * describeBackendConformance("tfjs-cpu", () => createTfjsBackend({ engine: "cpu" }));
 * ```
 */
export function describeBackendConformance(
  name: string,
  createBackend: () => Promise<Backend>,
  options: BackendConformanceOptions = {},
): void {
  const skip = options.skip ?? [];
  const floor: Partial<Tolerance> = {
    ...(options.rtol === undefined ? {} : { rtol: options.rtol }),
    ...(options.atol === undefined ? {} : { atol: options.atol }),
  };
  const skipped = (caseName: string) => skip.find((s) => matches(s.case, caseName));
  const allNames = [...conformanceCases, ...vjpConformanceCases].map((c) => c.name);

  describe(`backend conformance: ${name}`, () => {
    let backend: Backend | undefined;
    beforeAll(async () => {
      for (const s of skip) console.info(`[conformance ${name}] skipping ${s.case}: ${s.reason}`);
      backend = await createBackend();
    });
    afterAll(() => backend?.dispose());

    it("has a forward case for every op in ALL_OPS", () => {
      expect(missingForwardCoverage(conformanceCases)).toEqual([]);
    });
    it("has a VJP case for every differentiable op", () => {
      expect(missingVjpCoverage(vjpConformanceCases)).toEqual([]);
    });
    it("skip list names existing cases and gives reasons", () => {
      for (const s of skip) {
        expect(s.reason.trim(), `skip entry ${s.case} needs a reason`).not.toBe("");
        expect(
          allNames.some((n) => matches(s.case, n)),
          `skip entry "${s.case}" matches no case`,
        ).toBe(true);
      }
    });

    for (const c of conformanceCases) {
      if (skipped(c.name)) continue;
      it(`forward ${c.name}`, async () => {
        expect(await runConformanceCase(backend!, c, floor)).toEqual([]);
      });
    }
    for (const c of vjpConformanceCases) {
      if (skipped(c.name)) continue;
      it(c.name, async () => {
        expect(await runVjpConformanceCase(backend!, c, floor)).toEqual([]);
      });
    }
  });
}
