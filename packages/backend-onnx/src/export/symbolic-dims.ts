import { type HostTensor, TunekitError } from "@tunekit/core";
import type { Graph, Node } from "@tunekit/core/ir";
import { type IndexPattern, indexPattern } from "./index-constants.js";

/**
 * A size that depends on the batch size `B` and the sequence length `S`: integer
 * coefficients of the monomials `1, B, S, B·S, S², B·S²` (in that order). A constant size
 * has only the first coefficient set.
 *
 * @example
 * ```ts
 * const tokens: SymDim = [0, 0, 0, 1, 0, 0]; // B·S (a [B, S, H] tensor flattened to [B·S, H])
 * ```
 */
export type SymDim = readonly [number, number, number, number, number, number];

/** Names of the monomials of a {@link SymDim}, in coefficient order. @example `SYM_TERMS[3]; // "B*S"` */
export const SYM_TERMS = ["1", "B", "S", "B*S", "S*S", "B*S*S"] as const;

/**
 * The batch and sequence sizes a model is traced at: every size of the graph is solved from
 * six traces (batch 2 and 3 times three sequence lengths determine each coefficient of a
 * {@link SymDim}) and checked on a seventh (batch 5, a fourth length).
 *
 * @example
 * ```ts
 * const p: ProbeSizes = probeSizes(); // lengths 5, 7, 11, checked at 13
 * ```
 */
export interface ProbeSizes {
  readonly solve: readonly { readonly batch: number; readonly seq: number }[];
  readonly check: { readonly batch: number; readonly seq: number };
  /** The three solving lengths, ascending. */
  readonly seqs: readonly [number, number, number];
}

/**
 * The probe sizes for a model that takes at most `maxSequenceLength` tokens (default: no
 * limit): lengths 5, 7, 11 and 13 when they fit, else the four largest lengths that do
 * (at least 4 tokens are needed).
 *
 * @example
 * ```ts
 * probeSizes(9).seqs; // [6, 7, 8] (checked at 9)
 * ```
 */
export function probeSizes(maxSequenceLength = Number.POSITIVE_INFINITY): ProbeSizes {
  if (!(maxSequenceLength >= 4)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `export: maxSequenceLength is ${maxSequenceLength}; tracing at four lengths needs at least 4`,
    );
  }
  const m = Math.floor(maxSequenceLength);
  const [a, b, c, d] = m >= 13 ? [5, 7, 11, 13] : [m - 3, m - 2, m - 1, m];
  const seqs: [number, number, number] = [a, b, c];
  return {
    solve: seqs.flatMap((seq) => [
      { batch: 2, seq },
      { batch: 3, seq },
    ]),
    check: { batch: 5, seq: d },
    seqs,
  };
}

/** A constant size. @example `symConst(768); // [768, 0, 0, 0, 0, 0]` */
export const symConst = (n: number): SymDim => [n, 0, 0, 0, 0, 0];
/** The batch size `B`. @example `symEqual(d, SYM_BATCH)` */
export const SYM_BATCH: SymDim = [0, 1, 0, 0, 0, 0];
/** The sequence length `S`. @example `symEqual(d, SYM_SEQ)` */
export const SYM_SEQ: SymDim = [0, 0, 1, 0, 0, 0];

/** Whether `d` is a constant. @example `isConstDim(symConst(3)); // true` */
export const isConstDim = (d: SymDim): boolean => d.every((c, i) => i === 0 || c === 0);
/** Whether two sizes are the same expression. @example `symEqual(SYM_SEQ, SYM_SEQ); // true` */
export const symEqual = (a: SymDim, b: SymDim): boolean => a.every((c, i) => c === b[i]);
/** The sum of two sizes. @example `symAdd(symConst(1), SYM_SEQ); // S + 1` */
export const symAdd = (a: SymDim, b: SymDim): SymDim => a.map((c, i) => c + b[i]!) as unknown as SymDim;

/**
 * The value of `d` at batch size `batch` and sequence length `seq`.
 *
 * @example
 * ```ts
 * evalDim([0, 0, 0, 1, 0, 0], 4, 16); // 64
 * ```
 */
export function evalDim(d: SymDim, batch: number, seq: number): number {
  const m = [1, batch, seq, batch * seq, seq * seq, batch * seq * seq];
  return d.reduce((sum, c, i) => sum + c * m[i]!, 0);
}

/**
 * `d` written out with the given names for `B` and `S` (`"batch_size*sequence_length"`);
 * a constant is its number.
 *
 * @example
 * ```ts
 * formatDim([1, 0, 1, 0, 0, 0]); // "S+1"
 * ```
 */
export function formatDim(d: SymDim, batchName = "B", seqName = "S"): string {
  const names = ["", batchName, seqName, `${batchName}*${seqName}`, `${seqName}*${seqName}`];
  names.push(`${batchName}*${seqName}*${seqName}`);
  const parts: string[] = [];
  d.forEach((c, i) => {
    if (c === 0) return;
    if (i === 0) parts.push(String(c));
    else parts.push(c === 1 ? names[i]! : `${c}*${names[i]!}`);
  });
  return parts.length === 0 ? "0" : parts.join("+").replace(/\+-/g, "-");
}

const nearInt = (x: number): number | undefined => {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-6 ? r : undefined;
};

/**
 * Solves the {@link SymDim} whose values at `probes.solve` are `values` and checks it
 * against `check` (its value at `probes.check`); `undefined` when no integer
 * expression of that form fits (a size that is not polynomial in B and S, e.g. `ceil(S / 2)`).
 *
 * @example
 * ```ts
 * solveDim([10, 15, 14, 21, 22, 33], 65); // [0, 0, 0, 1, 0, 0] (B·S)
 * ```
 */
export function solveDim(
  values: readonly number[],
  check: number,
  probes: ProbeSizes = probeSizes(),
): SymDim | undefined {
  const xs = probes.seqs;
  // v(B, S) = f(S) + B·g(S): g from the two batch sizes (2 and 3), f = v(2, S) - 2·g(S).
  const g = xs.map((_, k) => values[2 * k + 1]! - values[2 * k]!);
  const f = xs.map((_, k) => values[2 * k]! - 2 * g[k]!);
  const quad = (y: readonly number[]): number[] | undefined => {
    // y = a0 + a1·S + a2·S² through the three lengths (Newton's divided differences).
    const [x0, x1, x2] = xs;
    const d1 = (y[1]! - y[0]!) / (x1 - x0);
    const d2 = (y[2]! - y[1]!) / (x2 - x1);
    const a2 = nearInt((d2 - d1) / (x2 - x0));
    if (a2 === undefined) return undefined;
    const a1 = nearInt(d1 - a2 * (x0 + x1));
    if (a1 === undefined) return undefined;
    const a0 = nearInt(y[0]! - a1 * x0 - a2 * x0 * x0);
    return a0 === undefined ? undefined : [a0, a1, a2];
  };
  const fc = quad(f);
  const gc = quad(g);
  if (fc === undefined || gc === undefined) return undefined;
  const d: SymDim = [fc[0]!, gc[0]!, fc[1]!, gc[1]!, fc[2]!, gc[2]!];
  return evalDim(d, probes.check.batch, probes.check.seq) === check ? d : undefined;
}

/**
 * A graph traced at several input sizes, read as one graph with symbolic sizes: the graph of
 * the first probe, the symbolic shape of every node, and the symbolic values of the size
 * attributes (`reshape`/`broadcastTo` `shape`, `slice` `begin`/`size`, `pad` `before`/`after`).
 *
 * @example
 * ```ts
 * const sym = traceSymbolic((b, s) => myTrace(b, s));
 * formatDim(sym.shapes[id]![0]!); // "B"
 * ```
 */
export interface SymbolicGraph {
  readonly graph: Graph;
  /** Per node id: the symbolic shape. */
  readonly shapes: readonly (readonly SymDim[])[];
  /** Per node id (nodes with size attributes): attribute name → symbolic values. */
  readonly sizeAttrs: ReadonlyMap<number, Readonly<Record<string, readonly SymDim[]>>>;
  /** `constant` nodes whose shape depends on the input size: the function of the indices they hold. */
  readonly indexConstants: ReadonlyMap<number, IndexPattern>;
}

/** Size attributes: numbers in these lists may depend on the input size. */
const SIZE_ATTRS: Readonly<Record<string, readonly string[]>> = {
  reshape: ["shape"],
  broadcastTo: ["shape"],
  slice: ["begin", "size"],
  pad: ["before", "after"],
  scatterAdd: ["shape"],
};

function differs(where: string, detail: string): TunekitError {
  return new TunekitError(
    "GRAPH_INVALID",
    `${where}: the forward pass traced at different input sizes builds different graphs (${detail}); ` +
      "export needs a forward whose structure does not depend on the batch size or sequence length",
  );
}

function solveList(
  where: string,
  lists: readonly (readonly number[])[],
  check: readonly number[],
  probes: ProbeSizes,
): SymDim[] {
  const first = lists[0]!;
  if (lists.some((l) => l.length !== first.length) || check.length !== first.length) {
    throw differs(where, `ranks ${[...lists, check].map((l) => l.length).join(" / ")}`);
  }
  return first.map((_, i) => {
    const d = solveDim(
      lists.map((l) => l[i]!),
      check[i]!,
      probes,
    );
    if (d === undefined) {
      throw differs(
        where,
        `size ${i} is ${lists.map((l) => l[i]).join(", ")} at (batch, seq) = ${probes.solve.map((p) => `(${p.batch}, ${p.seq})`).join(", ")}: not a polynomial in B and S`,
      );
    }
    return d;
  });
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Traces `trace` at each of the {@link probeSizes} for `maxSequenceLength` and reads the graphs as one graph with
 * symbolic sizes. Every trace must build the same nodes (same ops, inputs, dtypes and
 * non-size attributes); each size must be an integer polynomial `c0 + c1·B + c2·S + c3·B·S +
 * c4·S² + c5·B·S²` (what reshapes, broadcasts and slices of transformer forwards need). Else
 * `GRAPH_INVALID` naming the node.
 *
 * @example
 * ```ts
 * const sym = traceSymbolic((batch, seq) => traceForward(model, { batchSize: batch, seqLength: seq }).graph);
 * ```
 */
export function traceSymbolic(
  trace: (batch: number, seq: number) => Graph,
  maxSequenceLength?: number,
): SymbolicGraph {
  const probes = probeSizes(maxSequenceLength);
  const graphs = probes.solve.map((p) => trace(p.batch, p.seq));
  const checkGraph = trace(probes.check.batch, probes.check.seq);
  const all = [...graphs, checkGraph];
  const graph = graphs[0]!;
  for (const [k, g] of all.entries()) {
    if (g.nodes.length !== graph.nodes.length) {
      throw differs(
        "graph",
        `${graph.nodes.length} nodes at the first size, ${g.nodes.length} at probe ${k}`,
      );
    }
    for (const key of ["inputs", "params", "outputs"] as const) {
      if (!sameJson([...g[key]], [...graph[key]])) throw differs("graph", `its ${key} differ`);
    }
  }
  const shapes: (readonly SymDim[])[] = [];
  const sizeAttrs = new Map<number, Record<string, readonly SymDim[]>>();
  const indexConstants = new Map<number, IndexPattern>();
  for (let id = 0; id < graph.nodes.length; id++) {
    const nodes = all.map((g) => g.nodes[id]!) as Node[];
    const node = nodes[0]!;
    const where = `node ${id} (${node.op})`;
    for (const n of nodes) {
      if (n.op !== node.op || n.dtype !== node.dtype || !sameJson(n.inputs, node.inputs)) {
        throw differs(where, `op ${n.op}(${n.inputs.join(", ")}) vs ${node.op}(${node.inputs.join(", ")})`);
      }
    }
    const check = nodes[nodes.length - 1]!;
    const solved = nodes.slice(0, -1);
    shapes.push(
      solveList(
        where,
        solved.map((n) => n.shape),
        check.shape,
        probes,
      ),
    );
    const sizeNames = SIZE_ATTRS[node.op] ?? [];
    const rest = (n: Node): Record<string, unknown> => {
      const attrs = { ...(n.attrs as Record<string, unknown>) };
      for (const a of sizeNames) delete attrs[a];
      if (n.op === "constant") delete attrs.value;
      return attrs;
    };
    for (const n of nodes) {
      if (!sameJson(rest(n), rest(node))) throw differs(where, "its attributes depend on the input size");
    }
    if (sizeNames.length > 0) {
      const entry: Record<string, readonly SymDim[]> = {};
      for (const a of sizeNames) {
        const list = (n: Node) => (n.attrs as unknown as Record<string, readonly number[]>)[a]!;
        entry[a] = solveList(`${where} attribute ${a}`, solved.map(list), list(check), probes);
      }
      sizeAttrs.set(id, entry);
    }
    if (node.op === "constant") {
      const values = nodes.map((n) => (n.attrs as { value: HostTensor }).value);
      const fixed = shapes[id]!.every(isConstDim);
      if (fixed) {
        const same = values.every((v) => sameJson(Array.from(v.data), Array.from(values[0]!.data)));
        if (!same) throw differs(where, "a constant's values depend on the input size");
      } else {
        const pattern = indexPattern(values);
        if (pattern === undefined) {
          throw new TunekitError(
            "NOT_IMPLEMENTED",
            `${where}: a constant of shape [${shapes[id]!.map((d) => formatDim(d)).join(", ")}] whose values vary ` +
              "with the input size and are neither one value, a triangle (i <= j ? a : b, ...) nor a range along one axis " +
              "cannot be exported with dynamic axes; build it from ops on the inputs instead",
          );
        }
        indexConstants.set(id, pattern);
      }
    }
  }
  return { graph, shapes, sizeAttrs, indexConstants };
}
