import { describe, expect, it } from "vitest";
import { grad } from "../autodiff/grad.js";
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import { isTunekitError } from "../errors.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { mulberry32 } from "../data/random.js";
import { crossEntropy } from "./composites.js";
import { Graph, type Tensor } from "./graph.js";
import { chunkBounds, defaultChunkRows, linearCrossEntropy } from "./linear-cross-entropy.js";
import { matmul } from "./ops.js";

const N = 11;
const H = 4;
const V = 9;
const rng = mulberry32(7);
const hidden = hostTensor(
  "float32",
  [N, H],
  Array.from({ length: N * H }, () => rng() * 4 - 2),
);
const weight = hostTensor(
  "float32",
  [V, H],
  Array.from({ length: V * H }, () => rng() * 4 - 2),
);
const labels = hostTensor("int32", [N], [3, -100, 0, 8, 8, -100, 1, 2, 5, 7, -100]);

/** Loss and both gradients of `lossOf`, on the float64 reference backend. */
function lossAndGrads(lossOf: (h: Tensor, w: Tensor, y: Tensor) => Tensor) {
  const g = new Graph();
  const h = g.input("h", "float32", [N, H]);
  const w = g.input("w", "float32", [V, H]);
  const loss = lossOf(h, w, g.input("y", "int32", [N]));
  const [dh, dw] = grad(loss, [h, w]);
  g.output("loss", loss);
  g.output("dh", dh!);
  g.output("dw", dw!);
  const out = evaluateGraphFloat64(g, { h: hidden, w: weight, y: labels });
  return { loss: out.loss!.data[0]!, dh: [...out.dh!.data], dw: [...out.dw!.data] };
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe("linearCrossEntropy", () => {
  const whole = lossAndGrads((h, w, y) => crossEntropy(matmul(h, w, { transposeB: true }), y));

  it.each([1, 2, 3, 4, 10, 11, 64])(
    "equals crossEntropy(h · wᵀ) and its gradients in chunks of %i rows (float64, 1e-12)",
    (chunkRows) => {
      const chunked = lossAndGrads((h, w, y) => linearCrossEntropy(h, w, y, { chunkRows }));
      expect(Math.abs(chunked.loss - whole.loss)).toBeLessThan(1e-12);
      expect(maxDiff(chunked.dh, whole.dh)).toBeLessThan(1e-12);
      expect(maxDiff(chunked.dw, whole.dw)).toBeLessThan(1e-12);
    },
  );

  it("builds its gradient from chunk-sized products only: no [N, V] tensor in the backward", () => {
    const g = new Graph();
    const h = g.input("h", "float32", [N, H]);
    const w = g.input("w", "float32", [V, H]);
    const loss = linearCrossEntropy(h, w, g.input("y", "int32", [N]), { chunkRows: 4 });
    const from = g.nodes.length;
    grad(loss, [h, w]);
    const backward = g.nodes.slice(from);
    expect(backward.filter((n) => n.op === "matmul" && n.shape[1] === V).map((n) => n.shape[0])).toEqual([
      4, 4, 3,
    ]);
    expect(backward.some((n) => n.shape.length === 2 && n.shape[0] === N && n.shape[1] === V)).toBe(false);
  });

  it("builds no weight gradient when only the hidden states need one", () => {
    const g = new Graph();
    const h = g.input("h", "float32", [N, H]);
    const w = g.input("w", "float32", [V, H]);
    const loss = linearCrossEntropy(h, w, g.input("y", "int32", [N]), { chunkRows: 4 });
    const from = g.nodes.length;
    grad(loss, [h]);
    const products = g.nodes.slice(from).filter((n) => n.op === "matmul");
    expect(products.map((n) => n.shape)).toEqual([
      [4, V],
      [4, H],
      [4, V],
      [4, H],
      [3, V],
      [3, H],
    ]);
  });

  it("defaults to chunks of at most 32 MiB of float32 logits", () => {
    expect(defaultChunkRows(512, 49152)).toBe(170);
    expect(defaultChunkRows(1024, 8192)).toBe(1024);
    expect(defaultChunkRows(10, 8192)).toBe(10);
    expect(defaultChunkRows(4, 1 << 30)).toBe(1);
    expect(chunkBounds(5, 2)).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    const g = new Graph();
    const loss = linearCrossEntropy(
      g.input("h", "float32", [512, 8]),
      g.input("w", "float32", [49152, 8]),
      g.input("y", "int32", [512]),
    );
    expect(g.nodes[loss.id]!.attrs).toEqual({ ignoreIndex: -100, chunkRows: 170 });
  });

  it.each([
    [
      "chunkRows 0",
      { chunkRows: 0 },
      [N, H],
      [V, H],
      [N],
      "INVALID_ARGUMENT",
      /chunkRows must be a positive integer, got 0/,
    ],
    ["chunkRows 2.5", { chunkRows: 2.5 }, [N, H], [V, H], [N], "INVALID_ARGUMENT", /got 2\.5/],
    ["weight width", {}, [N, H], [V, H + 1], [N], "SHAPE_MISMATCH", /weight must be \[V, 4\]/],
    ["labels length", {}, [N, H], [V, H], [N - 1], "SHAPE_MISMATCH", /labels must be \[11\]/],
    ["hidden rank", {}, [1, N, H], [V, H], [N], "SHAPE_MISMATCH", /hidden must be \[N, H\]/],
  ] as const)("rejects %s with a typed error", (_, options, hs, ws, ys, code, message) => {
    const g = new Graph();
    let error: unknown;
    try {
      linearCrossEntropy(
        g.input("h", "float32", [...hs]),
        g.input("w", "float32", [...ws]),
        g.input("y", "int32", [...ys]),
        options,
      );
    } catch (e) {
      error = e;
    }
    expect(isTunekitError(error) && error.code).toBe(code);
    expect((error as Error).message).toMatch(message);
  });

  it("rejects float labels", () => {
    const g = new Graph();
    expect(() =>
      linearCrossEntropy(
        g.input("h", "float32", [2, 2]),
        g.input("w", "float32", [3, 2]),
        g.input("y", "float32", [2]),
      ),
    ).toThrow(/linearCrossEntropy/);
  });
});
