import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { Graph, type Tensor } from "../ir/graph.js";
import { ALL_OPS } from "../ir/op-attrs.js";
import { add, cast, gather, matmul, mul, sum, tanh } from "../ir/ops.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { grad, valueAndGrad } from "./grad.js";
import { isDifferentiableInput, NON_DIFFERENTIABLE_OPS } from "./non-differentiable.js";
import { VJP_RULES } from "./vjp-rules.js";

const param = (g: Graph, name: string, shape: number[]): Tensor =>
  g.param({ name, value: hostTensor("float32", shape) });

/** Nodes appended after `from` (the backward part of the graph). */
const backwardNodes = (g: Graph, from: number) => g.nodes.slice(from);

describe("grad: structure", () => {
  it("has a VJP rule for exactly the differentiable ops", () => {
    for (const op of ALL_OPS) {
      const nonDiff = NON_DIFFERENTIABLE_OPS.includes(op);
      expect({ op, hasRule: VJP_RULES[op] !== undefined }).toEqual({ op, hasRule: !nonDiff });
    }
  });

  it("marks int and bool inputs as non-differentiable", () => {
    expect(isDifferentiableInput("gather", 0)).toBe(true);
    expect(isDifferentiableInput("gather", 1)).toBe(false);
    expect(isDifferentiableInput("scatterAdd", 0)).toBe(false);
    expect(isDifferentiableInput("scatterAdd", 1)).toBe(true);
    expect(isDifferentiableInput("crossEntropy", 1)).toBe(false);
    expect(isDifferentiableInput("where", 0)).toBe(false);
    expect(isDifferentiableInput("where", 2)).toBe(true);
    expect(isDifferentiableInput("cast", 0)).toBe(false);
  });

  it("builds no weight gradient for a frozen second layer of an MLP", () => {
    const g = new Graph();
    const x = g.input("x", "float32", [4, 3, 5]);
    const w1 = param(g, "l1.weight", [6, 5]);
    const w2 = param(g, "l2.weight", [7, 6]); // frozen
    const h = tanh(matmul(x, w1, { transposeB: true }));
    const loss = sum(matmul(h, w2, { transposeB: true }));
    const start = g.nodes.length;
    const [dW1] = grad(loss, [w1]);
    expect(dW1!.shape).toEqual([6, 5]);
    const back = backwardNodes(g, start);
    const matmuls = back.filter((n) => n.op === "matmul");
    expect(matmuls.some((n) => n.shape.join() === "7,6")).toBe(false);
    // dh (through the frozen layer) and dW1 as ONE rank-2 matmul over flattened rows.
    expect(matmuls).toHaveLength(2);
    expect(matmuls.some((n) => n.shape.join() === "6,5")).toBe(true);
    // Nothing in the backward pass reads from the input x except the dW1 product.
    expect(back.some((n) => n.op === "sum" && n.shape.join() === "6,5")).toBe(false);
  });

  it("does not differentiate through int paths or the embedding indices", () => {
    const g = new Graph();
    const ids = g.input("ids", "int32", [2, 3]);
    const emb = param(g, "emb", [10, 4]);
    const e = gather(emb, ids);
    const loss = sum(mul(e, cast(cast(e, "int32"), "float32")));
    const start = g.nodes.length;
    const [dEmb] = grad(loss, [emb]);
    expect(dEmb!.shape).toEqual([10, 4]);
    const back = backwardNodes(g, start);
    expect(back.some((n) => n.op === "scatterAdd")).toBe(true);
    expect(back.some((n) => n.op === "cast")).toBe(false);
  });

  it("returns a zeros fill for tensors the loss does not depend on", () => {
    const g = new Graph();
    const a = param(g, "a", [2]);
    const b = param(g, "b", [3, 2]);
    const loss = sum(mul(a, a));
    const [da, db] = grad(loss, [a, b]);
    expect(da!.node.op).not.toBe("fill");
    expect(db!.node.op).toBe("fill");
    expect(db!.shape).toEqual([3, 2]);
    expect((db!.node.attrs as { value: number }).value).toBe(0);
  });

  it("accumulates the cotangents of a tensor used twice with add", () => {
    const g = new Graph();
    const a = param(g, "a", [2]);
    const loss = sum(add(tanh(a), a));
    const [da] = grad(loss, [a]);
    expect(da!.node.op).toBe("add");
  });

  it("differentiates with respect to intermediate tensors and the loss itself", () => {
    const g = new Graph();
    const a = param(g, "a", [2]);
    const h = tanh(a);
    const loss = sum(h);
    const [dh, dLoss] = grad(loss, [h, loss]);
    expect(dh!.shape).toEqual([2]);
    expect(dLoss!.node.op).toBe("fill");
    expect((dLoss!.node.attrs as { value: number }).value).toBe(1);
  });

  it("seeds with a cotangent for non-scalar outputs and checks its shape", () => {
    const g = new Graph();
    const a = param(g, "a", [2, 3]);
    const y = tanh(a);
    const ct = g.input("ct", "float32", [2, 3]);
    const { value, grads } = valueAndGrad(y, [a], ct);
    expect(value).toBe(y);
    expect(grads[0]!.shape).toEqual([2, 3]);
    const bad = g.input("bad", "float32", [3, 2]);
    expect(() => grad(y, [a], bad)).toThrow(/cotangent/);
    try {
      grad(y, [a]);
      expect.unreachable();
    } catch (e) {
      expect(isTunekitError(e, "SHAPE_MISMATCH")).toBe(true);
    }
  });

  it("rejects int wrt tensors and tensors of another graph", () => {
    const g = new Graph();
    const a = param(g, "a", [2]);
    const ids = g.input("ids", "int32", [2]);
    const loss = sum(a);
    expect(() => grad(loss, [ids])).toThrow(/float32/);
    const other = new Graph();
    expect(() => grad(loss, [param(other, "a", [2])])).toThrow(/another graph/);
  });
});
