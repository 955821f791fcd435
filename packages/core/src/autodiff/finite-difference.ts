import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import type { Float64Tensor } from "../backend/reference-tensor.js";
import { TunekitError } from "../errors.js";
import { Graph, type Tensor } from "../ir/graph.js";
import { mul, sum } from "../ir/ops.js";
import type { DType } from "../tensor/host-tensor.js";
import { sizeOf } from "../tensor/host-tensor.js";
import { mulberry32 } from "../data/random.js";
import { grad } from "./grad.js";

/**
 * One input of {@link checkGradients}: float32 inputs get random values and are
 * differentiated unless `wrt` is false; int32 and bool inputs need explicit `data`.
 *
 * @example
 * ```ts
 * const ids: GradCheckInput = { shape: [2], dtype: "int32", data: [0, 3] };
 * ```
 */
export interface GradCheckInput {
  readonly shape: readonly number[];
  readonly dtype?: DType;
  /** Explicit values (required for int32 and bool inputs). */
  readonly data?: readonly number[];
  /** Range of the uniform random values of a float input (default [-1, 1]). */
  readonly range?: readonly [number, number];
  /** Whether to differentiate with respect to this input (default: true for float32). */
  readonly wrt?: boolean;
}

/**
 * Result of {@link checkGradients}: the worst error over all differentiated inputs.
 *
 * @example
 * ```ts
 * if (r.maxError > 1e-6) throw new Error(`bad gradient for ${r.worstInput}`);
 * ```
 */
export interface GradCheckResult {
  /** Max over elements of `|analytic − numeric| / max(1, |numeric|)`. */
  readonly maxError: number;
  /** Name of the input where `maxError` was found. */
  readonly worstInput: string;
  /** Op names of the forward graph (to check which ops a case really exercised). */
  readonly ops: ReadonlySet<string>;
}

/**
 * Compares {@link grad} against central finite differences, evaluating every graph in
 * float64 with the reference executor. The checked function is `sum(build(...) · c)` for a
 * fixed random cotangent `c`, so every output element contributes.
 *
 * @example
 * ```ts
 * const r = checkGradients({ x: { shape: [3] } }, ({ x }) => tanh(x!));
 * expect(r.maxError).toBeLessThan(1e-6);
 * ```
 */
export function checkGradients(
  inputs: Readonly<Record<string, GradCheckInput>>,
  build: (t: Record<string, Tensor>) => Tensor,
  options: { seed?: number; h?: number } = {},
): GradCheckResult {
  const uniform = mulberry32(options.seed ?? 1234);
  const h = options.h ?? 1e-6;
  const feeds: Record<string, Float64Tensor> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    const dtype = spec.dtype ?? "float32";
    if (dtype !== "float32" && !spec.data)
      throw new TunekitError("INVALID_ARGUMENT", `checkGradients: ${dtype} input "${name}" needs data`);
    const [lo, hi] = spec.range ?? [-1, 1];
    const data = spec.data
      ? Float64Array.from(spec.data)
      : Float64Array.from({ length: sizeOf(spec.shape) }, () => lo + (hi - lo) * uniform());
    feeds[name] = { dtype, shape: spec.shape, data };
  }
  const wrtNames = Object.entries(inputs)
    .filter(([, s]) => (s.dtype ?? "float32") === "float32" && s.wrt !== false)
    .map(([n]) => n);

  // Forward-only graph for the finite differences.
  const fwd = new Graph();
  const fwdOut = build(declare(fwd, inputs));
  const ctData = Float64Array.from({ length: sizeOf(fwdOut.shape) }, () => uniform() * 2 - 1);
  feeds.__ct = { dtype: "float32", shape: fwdOut.shape, data: ctData };
  fwd.output("loss", sum(mul(fwdOut, fwd.input("__ct", "float32", fwdOut.shape))));
  const ops = new Set(fwd.nodes.map((n) => n.op as string));

  // Gradient graph.
  const g = new Graph();
  const ts = declare(g, inputs);
  const out = build(ts);
  const loss = sum(mul(out, g.input("__ct", "float32", out.shape)));
  const grads = grad(
    loss,
    wrtNames.map((n) => ts[n]!),
  );
  grads.forEach((t, i) => {
    g.output(`grad.${wrtNames[i]}`, t);
  });
  const analytic = evaluateGraphFloat64(g, feeds);

  const lossAt = (): number => {
    return evaluateGraphFloat64(fwd, feeds).loss!.data[0]!;
  };
  let maxError = 0;
  let worstInput = "";
  for (const name of wrtNames) {
    const x = feeds[name]!.data;
    const a = analytic[`grad.${name}`]!.data;
    if (a.length !== x.length)
      throw new TunekitError("SHAPE_MISMATCH", `checkGradients: gradient of ${name} has the wrong size`);
    for (let j = 0; j < x.length; j++) {
      const x0 = x[j]!;
      x[j] = x0 + h;
      const up = lossAt();
      x[j] = x0 - h;
      const down = lossAt();
      x[j] = x0;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(a[j]! - numeric) / Math.max(1, Math.abs(numeric));
      if (!(err <= maxError)) {
        maxError = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
        worstInput = name;
      }
    }
  }
  return { maxError, worstInput, ops };
}

function declare(g: Graph, inputs: Readonly<Record<string, GradCheckInput>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(inputs))
    out[name] = g.input(name, spec.dtype ?? "float32", spec.shape);
  return out;
}
