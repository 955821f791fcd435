import { isNonDifferentiableOp } from "../autodiff/non-differentiable.js";
import { grad } from "../autodiff/grad.js";
import type { Backend } from "../backend/backend.js";
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import { Graph } from "../ir/graph.js";
import { ALL_OPS, type OpName } from "../ir/op-attrs.js";
import type { ConformanceCase, VjpConformanceCase } from "./conformance-case.js";
import {
  caseTolerance,
  compareOutputs,
  conformanceFeeds,
  runOnce,
  type Tolerance,
} from "./conformance-compare.js";

/**
 * Builds the graph of a VJP case: the case's forward graph plus `grad(loss, wrt)`, with
 * outputs `loss` and `grad.0`, `grad.1`, … (one per `wrt` tensor).
 *
 * @example
 * ```ts
 * const g = buildVjpGraph(vjpConformanceCases[0]!);
 * [...g.outputs.keys()]; // ["loss", "grad.0", "grad.1"]
 * ```
 */
export function buildVjpGraph(c: VjpConformanceCase): Graph {
  const g = new Graph();
  const { loss, wrt } = c.build(g);
  g.output("loss", loss);
  grad(loss, wrt).forEach((t, i) => {
    g.output(`grad.${i}`, t);
  });
  return g;
}

/**
 * Runs one {@link VjpConformanceCase} on `backend` and on the reference; returns failure
 * messages (empty when loss and every gradient agree within tolerance).
 *
 * @example
 * ```ts
 * expect(await runVjpConformanceCase(backend, vjpConformanceCases[0]!)).toEqual([]);
 * ```
 */
export async function runVjpConformanceCase(
  backend: Backend,
  c: VjpConformanceCase,
  floor: Partial<Tolerance> = {},
): Promise<string[]> {
  const graph = buildVjpGraph(c);
  const feeds = conformanceFeeds(graph, c.feeds, c.name);
  const expected = evaluateGraphFloat64(graph, feeds);
  try {
    const actual = await runOnce(backend, graph, feeds);
    return compareOutputs(actual, expected, caseTolerance(c, floor), "backend vs reference");
  } catch (e) {
    return [`backend threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`];
  }
}

/** Ops in the graph a forward case builds (empty for `verify`-only cases). */
function opsOf(build: ((g: Graph) => unknown) | undefined): Set<OpName> {
  if (!build) return new Set();
  const g = new Graph();
  build(g);
  return new Set(g.nodes.map((n) => n.op));
}

/**
 * Ops of `ALL_OPS` without a dedicated forward case: a case named `op/...` whose graph
 * contains the op. Empty when the suite covers the whole IR.
 *
 * @example
 * ```ts
 * missingForwardCoverage(conformanceCases); // []
 * ```
 */
export function missingForwardCoverage(cases: readonly ConformanceCase[]): OpName[] {
  return ALL_OPS.filter((op) => !cases.some((c) => c.name.startsWith(`${op}/`) && opsOf(c.build).has(op)));
}

/**
 * Differentiable ops (every op of `ALL_OPS` that autodiff does not list as
 * non-differentiable) without a VJP case named `vjp/op...` whose forward graph contains it.
 *
 * @example
 * ```ts
 * missingVjpCoverage(vjpConformanceCases); // []
 * ```
 */
export function missingVjpCoverage(cases: readonly VjpConformanceCase[]): OpName[] {
  return ALL_OPS.filter((op) => !isNonDifferentiableOp(op)).filter(
    (op) =>
      !cases.some(
        (c) =>
          (c.name === `vjp/${op}` || c.name.startsWith(`vjp/${op}/`)) && opsOf((g) => c.build(g)).has(op),
      ),
  );
}
