import { describe, expect, it } from "vitest";
import { hostTensor } from "../tensor/host-tensor.js";
import { attention, crossEntropy, layerNorm, softmax } from "./composites.js";
import { Graph, trace } from "./graph.js";
import { add, concat, gather, matmul, mul, reshape, scatterAdd, slice, sum, transpose } from "./ops.js";
import { expandComposites } from "./rewrite.js";

describe("graph IR", () => {
  it("infers shapes for broadcasting, matmul, gather and layout ops", () => {
    const g = new Graph();
    const x = g.input("x", "float32", [2, 3, 4]);
    const w = g.param({ name: "w", value: hostTensor("float32", [5, 4]) });
    expect(add(x, g.input("b", "float32", [4])).shape).toEqual([2, 3, 4]);
    expect(matmul(x, w, { transposeB: true }).shape).toEqual([2, 3, 5]);
    expect(reshape(x, [6, -1]).shape).toEqual([6, 4]);
    expect(transpose(x, [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(slice(x, [0, 1, 0], [-1, 2, -1]).shape).toEqual([2, 2, 4]);
    expect(concat([x, x], -1).shape).toEqual([2, 3, 8]);
    expect(sum(x, [-1, 0], true).shape).toEqual([1, 3, 1]);
    const ids = g.input("ids", "int32", [2, 3]);
    expect(gather(w, ids).shape).toEqual([2, 3, 4]);
    expect(scatterAdd(ids, gather(w, ids), [5, 4]).shape).toEqual([5, 4]);
    expect(() => g.param({ name: "w", value: hostTensor("float32", [5, 4]) })).toThrow(
      /two different parameters/,
    );
  });

  it("fails early naming the op, the shapes and the rule", () => {
    const g = new Graph();
    const a = g.input("a", "float32", [2, 3]);
    const b = g.input("b", "float32", [4, 5]);
    expect(() => add(a, b)).toThrow(
      /op add: shapes \[2, 3\] and \[4, 5\] do not broadcast.*float32\[2, 3\], float32\[4, 5\]/,
    );
    expect(() => matmul(a, b)).toThrow(/op matmul: inner dimensions differ: 3 vs 4/);
    expect(() => reshape(a, [5])).toThrow(/cannot reshape 6 elements into \[5\]/);
    expect(() => add(a, g.input("i", "int32", [2, 3]))).toThrow(/same dtype/);
    expect(() => g.input("a", "float32", [1])).toThrow(/already declared/);
    const other = new Graph().input("z", "float32", [2, 3]);
    expect(() => add(a, other)).toThrow(/another graph/);
  });

  it("composites validate and expand into primitives", () => {
    const g = trace((g) => {
      const x = g.input("x", "float32", [2, 4]);
      const gamma = g.input("gamma", "float32", [4]);
      const beta = g.input("beta", "float32", [4]);
      const y = layerNorm(softmax(x), gamma, beta, 1e-5);
      const q = reshape(y, [1, 1, 2, 4]);
      const bias = g.input("bias", "float32", [1, 1, 1, 2]);
      const ctx = attention(q, q, q, bias, 0.5);
      const labels = g.input("labels", "int32", [2]);
      return { loss: crossEntropy(mul(reshape(ctx, [2, 4]), 2), labels) };
    });
    expect(g.nodes[g.outputs.get("loss")!]!.shape).toEqual([]);
    const { graph: flat } = expandComposites(g);
    const ops = new Set(flat.nodes.map((n) => n.op));
    for (const c of ["softmax", "layerNorm", "attention", "crossEntropy"])
      expect(ops.has(c as never)).toBe(false);
    expect([...flat.inputs.keys()].sort()).toEqual(["beta", "bias", "gamma", "labels", "x"]);
    const kept = expandComposites(g, new Set(["layerNorm"])).graph;
    expect(kept.nodes.some((n) => n.op === "layerNorm")).toBe(true);
  });

  it("computes live nodes and last uses", () => {
    const g = new Graph();
    const x = g.input("x", "float32", [2]);
    const dead = mul(x, 3);
    const y = add(x, 1);
    const z = mul(y, y);
    g.output("z", z);
    const live = g.liveNodes();
    expect(live).not.toContain(dead.id);
    const last = g.lastUses(live);
    expect(last.get(y.id)).toBe(live.indexOf(z.id));
    expect(last.get(z.id)).toBe(Number.POSITIVE_INFINITY);
  });
});
