import type { Backend } from "../backend/backend.js";
import type { Graph, Tensor } from "../ir/graph.js";

/**
 * How to fill one input of a conformance case (by input name). Without a spec, float32
 * inputs are uniform in `[-1, 1)`, int32 inputs uniform integers in `[0, 4)` and bool inputs
 * fair coin flips.
 *
 * @example
 * ```ts
 * const spec: FeedSpec = { range: [0, 5], integer: true }; // gather indices in 0..4
 * ```
 */
export interface FeedSpec {
  /** Uniform range `[lo, hi)`; for int32 (or `integer`) the integers in `[lo, hi)`. */
  readonly range?: readonly [number, number];
  /** Integer values even for float32 (ties for comparisons, exact truncation checks). */
  readonly integer?: boolean;
  /** Explicit row-major values (overrides `range`). */
  readonly values?: readonly number[];
}

/**
 * One forward conformance case: a small graph run on the backend under test and on the
 * float64 reference (`evaluateGraphFloat64` of `@tunekit/core`), outputs compared with a tolerance.
 *
 * - `compare` (default): backend vs reference.
 * - `fusedVsDecomposed`: the graph also runs through `expandComposites` on the backend; the
 *   fused run, the decomposed run and the reference must all agree.
 * - `verify` replaces the comparison with its own checks (random ops such as
 *   `dropoutMask`, whose exact values are backend-specific); it returns failure messages.
 *
 * @example
 * ```ts
 * const c: ConformanceCase = {
 *   name: "add/broadcast",
 *   build: (g) => ({ y: add(g.input("a", "float32", [2, 1, 3]), g.input("b", "float32", [4, 1])) }),
 * };
 * ```
 */
export interface ConformanceCase {
  /** Unique name, `op/variant`; used by skip lists. */
  readonly name: string;
  /** Declares inputs (and parameters) on `g` and returns the named outputs (required unless `verify`). */
  readonly build?: (g: Graph) => Record<string, Tensor>;
  /** Per-input value specs (by input name). */
  readonly feeds?: Readonly<Record<string, FeedSpec>>;
  /** Relative tolerance for float32 outputs (default {@link DEFAULT_RTOL}). */
  readonly rtol?: number;
  /** Absolute tolerance for float32 outputs (default {@link DEFAULT_ATOL}). */
  readonly atol?: number;
  /** `"constants"` binds parameters at compile time instead of feeding them (default `"feeds"`). */
  readonly params?: "feeds" | "constants";
  readonly kind?: "compare" | "fusedVsDecomposed";
  /** Custom check instead of the reference comparison: resolves to failure messages. */
  readonly verify?: (backend: Backend) => Promise<string[]>;
}

/**
 * One VJP conformance case: `build` returns a scalar `loss` and the tensors to
 * differentiate; the suite appends `grad(loss, wrt)` and compares loss and gradients.
 *
 * @example
 * ```ts
 * const c: VjpConformanceCase = {
 *   name: "vjp/exp",
 *   build: (g) => { const x = g.input("x", "float32", [3]); return { loss: sum(exp(x)), wrt: [x] }; },
 * };
 * ```
 */
export interface VjpConformanceCase {
  /** Unique name, `vjp/op/variant`; used by skip lists. */
  readonly name: string;
  readonly build: (g: Graph) => { loss: Tensor; wrt: Tensor[] };
  readonly feeds?: Readonly<Record<string, FeedSpec>>;
  readonly rtol?: number;
  readonly atol?: number;
}

/** Default relative tolerance: float32 vs float64 for O(1)-conditioned ops over ~10 terms. @example `Math.abs(got - want) <= DEFAULT_ATOL + DEFAULT_RTOL * Math.abs(want)` */
export const DEFAULT_RTOL = 1e-4;
/** Default absolute tolerance (values near zero, where `rtol` is meaningless). @example `Math.abs(got - want) <= DEFAULT_ATOL + DEFAULT_RTOL * Math.abs(want)` */
export const DEFAULT_ATOL = 1e-5;
