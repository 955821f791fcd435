import type { Backend } from "../backend/backend.js";
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import { type Float64Tensor, toFloat64Tensor } from "../backend/reference-tensor.js";
import { Graph } from "../ir/graph.js";
import { expandComposites } from "../ir/rewrite.js";
import { type DType, type HostTensor, hostTensor, sizeOf } from "../tensor/host-tensor.js";
import { type ConformanceCase, DEFAULT_ATOL, DEFAULT_RTOL, type FeedSpec } from "./conformance-case.js";

/**
 * Tolerances of one comparison: `|actual - expected| <= atol + rtol · |expected|` for
 * float32; int32 and bool must match exactly; NaN matches only NaN.
 *
 * @example
 * ```ts
 * const tol: Tolerance = { rtol: 1e-4, atol: 1e-5 };
 * ```
 */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** A seeded 32-bit PRNG (mulberry32) returning floats in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string: a stable per-case seed. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A seeded random host tensor following `spec` (see {@link FeedSpec} for the defaults).
 *
 * @example
 * ```ts
 * const x = randomHostTensor("float32", [2, 3], "case/x");
 * ```
 */
export function randomHostTensor(
  dtype: DType,
  shape: readonly number[],
  seed: string | number,
  spec: FeedSpec = {},
): HostTensor {
  const rand = prng(typeof seed === "number" ? seed : hashString(seed));
  const n = sizeOf(shape);
  if (spec.values) return hostTensor(dtype, shape, [...spec.values]);
  const [lo, hi] = spec.range ?? (dtype === "float32" ? [-1, 1] : dtype === "int32" ? [0, 4] : [0, 2]);
  const integer = spec.integer === true || dtype !== "float32";
  const data = Array.from({ length: n }, () =>
    integer ? Math.floor(lo + (hi - lo) * rand()) : lo + (hi - lo) * rand(),
  );
  return hostTensor(dtype, shape, data);
}

/**
 * Seeded feeds for every input of `graph` (specs by input name), plus the parameters'
 * bound values when `withParams` is set.
 *
 * @example
 * ```ts
 * const feeds = conformanceFeeds(graph, { ids: { range: [0, 10] } }, "gather/basic");
 * ```
 */
export function conformanceFeeds(
  graph: Graph,
  specs: Readonly<Record<string, FeedSpec>> = {},
  seed = "",
  withParams = true,
): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [name, id] of graph.inputs) {
    const node = graph.nodes[id]!;
    feeds[name] = randomHostTensor(node.dtype, node.shape, `${seed}/${name}`, specs[name]);
  }
  if (withParams) for (const [name, p] of graph.parameters) feeds[name] = p.value;
  return feeds;
}

function fmtValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(8);
}

/**
 * Compares backend outputs with reference outputs; returns one message per failing output
 * (missing, wrong dtype or shape, or values out of tolerance with the worst elements), or
 * an empty list when everything matches.
 *
 * @example
 * ```ts
 * const failures = compareOutputs(await exe.run(feeds), evaluateGraphFloat64(g, feeds), { rtol: 1e-4, atol: 1e-5 });
 * expect(failures).toEqual([]);
 * ```
 */
export function compareOutputs(
  actual: Readonly<Record<string, HostTensor | Float64Tensor>>,
  expected: Readonly<Record<string, Float64Tensor>>,
  tol: Tolerance,
  label = "",
): string[] {
  const failures: string[] = [];
  const prefix = label ? `${label}: ` : "";
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    if (!got) {
      failures.push(`${prefix}output "${name}" is missing`);
      continue;
    }
    if (got.dtype !== want.dtype) {
      failures.push(`${prefix}output "${name}": dtype ${got.dtype}, expected ${want.dtype}`);
      continue;
    }
    const sameShape =
      got.shape.length === want.shape.length && got.shape.every((d, i) => d === want.shape[i]);
    if (!sameShape || got.data.length !== want.data.length) {
      failures.push(
        `${prefix}output "${name}": shape [${got.shape.join(", ")}], expected [${want.shape.join(", ")}]`,
      );
      continue;
    }
    const exact = want.dtype !== "float32";
    const bad: Array<{ i: number; g: number; w: number; excess: number }> = [];
    for (let i = 0; i < want.data.length; i++) {
      const g = Number(got.data[i]);
      const w = want.data[i]!;
      let ok: boolean;
      if (Number.isNaN(w) || Number.isNaN(g)) ok = Number.isNaN(w) && Number.isNaN(g);
      else if (!Number.isFinite(w) || !Number.isFinite(g)) ok = g === w;
      else ok = exact ? g === w : Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w);
      if (!ok) bad.push({ i, g, w, excess: Math.abs(g - w) - tol.rtol * Math.abs(w) });
    }
    if (bad.length > 0) {
      bad.sort((p, q) => (q.excess || 0) - (p.excess || 0));
      const worst = bad
        .slice(0, 3)
        .map((b) => `[${b.i}] got ${fmtValue(b.g)}, expected ${fmtValue(b.w)}`)
        .join("; ");
      failures.push(
        `${prefix}output "${name}": ${bad.length} of ${want.data.length} element(s) out of tolerance ` +
          `(${exact ? "exact" : `rtol ${tol.rtol}, atol ${tol.atol}`}); worst: ${worst}`,
      );
    }
  }
  return failures;
}

/** Tolerance of a case: its own (or the defaults), loosened to the suite-wide floor. @example `caseTolerance({ rtol: 1e-3 }, { atol: 1e-4 }); // { rtol: 1e-3, atol: 1e-4 }` */
export function caseTolerance(
  c: { rtol?: number; atol?: number },
  floor: Partial<Tolerance> = {},
): Tolerance {
  return {
    rtol: Math.max(c.rtol ?? DEFAULT_RTOL, floor.rtol ?? 0),
    atol: Math.max(c.atol ?? DEFAULT_ATOL, floor.atol ?? 0),
  };
}

/** Compiles `graph` on `backend`, runs it once and disposes the executable. @example `const { y } = await runOnce(backend, graph, { x })` */
export async function runOnce(
  backend: Backend,
  graph: Graph,
  feeds: Readonly<Record<string, HostTensor>>,
  constants?: Readonly<Record<string, HostTensor>>,
): Promise<Record<string, HostTensor>> {
  const exe = await backend.compile(graph, constants ? { constants } : {});
  try {
    return await exe.run(feeds);
  } finally {
    exe.dispose();
  }
}

/**
 * Runs one forward {@link ConformanceCase} on `backend` and returns failure messages
 * (empty when the backend conforms). Errors thrown by the backend are reported as failures.
 *
 * @example
 * ```ts
 * const failures = await runConformanceCase(backend, conformanceCases[0]!);
 * ```
 */
export async function runConformanceCase(
  backend: Backend,
  c: ConformanceCase,
  floor: Partial<Tolerance> = {},
): Promise<string[]> {
  if (c.verify) return c.verify(backend);
  if (!c.build) return [`case ${c.name} has neither build nor verify`];
  const graph = new Graph();
  for (const [name, t] of Object.entries(c.build(graph))) graph.output(name, t);
  const all = conformanceFeeds(graph, c.feeds, c.name, true);
  const expected = evaluateGraphFloat64(graph, all);
  const bindParams = c.params === "constants";
  const feeds = conformanceFeeds(graph, c.feeds, c.name, !bindParams);
  const constants = bindParams
    ? Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]))
    : undefined;
  const tol = caseTolerance(c, floor);
  const failures: string[] = [];
  const attempt = async (label: string, g: Graph): Promise<Record<string, HostTensor> | undefined> => {
    try {
      return await runOnce(backend, g, feeds, constants);
    } catch (e) {
      failures.push(`${label}: backend threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      return undefined;
    }
  };
  const fused = await attempt("fused", graph);
  if (fused) failures.push(...compareOutputs(fused, expected, tol, "backend vs reference"));
  if (c.kind === "fusedVsDecomposed") {
    const decomposed = await attempt("decomposed", expandComposites(graph).graph);
    if (decomposed) {
      failures.push(...compareOutputs(decomposed, expected, tol, "decomposed on backend vs reference"));
      if (fused) {
        const asF64 = Object.fromEntries(Object.entries(fused).map(([n, t]) => [n, toFloat64Tensor(t)]));
        failures.push(...compareOutputs(decomposed, asF64, tol, "decomposed vs fused on backend"));
      }
    }
  }
  return failures;
}
