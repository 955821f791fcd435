import {
  BertForSequenceClassification,
  BertForTokenClassification,
  type HostTensor,
  hostTensor,
  isTunekitError,
} from "@tunekit/core";
import { add, cast, constant, equal, gather, matmul, mul, reshape, sub, trace } from "@tunekit/core/ir";
import { type AnyBertModel, BertModel, parseBertConfig, traceForward } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { afterAll, describe, expect, it } from "vitest";
import { testBackend } from "../onnx.test-helpers.js";
import { checkSingleFileSize, exportOnnx } from "./export-onnx.js";
import { loadOnnxInference } from "./onnx-inference.js";
import { formatDim, probeSizes, solveDim } from "./symbolic-dims.js";

// Export of traced forwards with dynamic axes: the exported model, run by onnxruntime at
// sizes it was never traced at, must give what the backend computes on a graph traced at
// exactly that size.
const CONFIG = parseBertConfig({
  model_type: "bert",
  vocab_size: 50,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  id2label: { "0": "a", "1": "b", "2": "c" },
});

function batch(b: number, s: number, seed: number): Record<string, HostTensor> {
  const rng = mulberry32(seed);
  const ids = new Int32Array(b * s);
  const mask = new Int32Array(b * s);
  const types = new Int32Array(b * s);
  for (let r = 0; r < b; r++) {
    const len = r === 0 ? s : Math.max(1, Math.floor(rng() * s) + 1); // ragged rows: padding masked
    for (let t = 0; t < s; t++) {
      ids[r * s + t] = t < len ? 1 + Math.floor(rng() * 49) : 0;
      mask[r * s + t] = t < len ? 1 : 0;
      types[r * s + t] = t >= len / 2 && t < len ? 1 : 0;
    }
  }
  return {
    input_ids: hostTensor("int32", [b, s], ids),
    attention_mask: hostTensor("int32", [b, s], mask),
    token_type_ids: hostTensor("int32", [b, s], types),
  };
}

async function reference(model: AnyBertModel, feeds: Record<string, HostTensor>, output: string) {
  const [b, s] = feeds.input_ids!.shape as [number, number];
  const { graph } = traceForward(model, { batchSize: b, seqLength: s });
  const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
  const exe = await (await testBackend()).compile(graph, { constants, outputs: [output] });
  try {
    return (await exe.run(feeds))[output]!;
  } finally {
    exe.dispose();
  }
}

const maxAbs = (a: HostTensor, b: HostTensor): number =>
  Array.from(a.data).reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

const SIZES = [
  [1, 3],
  [4, 9],
  [3, 23],
] as const;

const disposers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of disposers) await d();
});

describe("solveDim", () => {
  it("reads sizes as polynomials in B and S, and refuses what is not one", () => {
    const at = (f: (b: number, s: number) => number) =>
      solveDim(
        [
          [2, 5],
          [3, 5],
          [2, 7],
          [3, 7],
          [2, 11],
          [3, 11],
        ].map(([b, s]) => f(b!, s!)),
        f(5, 13),
      );
    expect(at(() => 768)).toEqual([768, 0, 0, 0, 0, 0]);
    expect(at((b, s) => b * s)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(formatDim(at((_, s) => s + 1)!)).toBe("1+S");
    expect(formatDim(at((b, s) => 4 * b * s * s)!, "batch", "seq")).toBe("4*batch*seq*seq");
    expect(at((_, s) => Math.ceil(s / 2))).toBeUndefined();
    // a short position table: the four largest lengths that fit
    const short = probeSizes(9);
    expect(short.seqs).toEqual([6, 7, 8]);
    expect(short.check).toEqual({ batch: 5, seq: 9 });
    const f = (b: number, s: number) => 2 * b * s + s - 1;
    expect(
      solveDim(
        short.solve.map((p) => f(p.batch, p.seq)),
        f(5, 9),
        short,
      ),
    ).toEqual([-1, 0, 1, 2, 0, 0]);
    expect(() => probeSizes(3)).toThrow(/at least 4/);
    expect(at((b) => 2 ** b)).toBeUndefined();
  });
});

describe("exportOnnx", () => {
  const heads: [string, () => AnyBertModel, string][] = [
    ["sequence classification", () => new BertForSequenceClassification(CONFIG, { seed: 1 }), "logits"],
    ["token classification", () => new BertForTokenClassification(CONFIG, { seed: 2 }), "logits"],
    ["base encoder", () => new BertModel(CONFIG, { seed: 3 }), "last_hidden_state"],
  ];
  for (const [name, make, output] of heads) {
    it(`${name}: one export runs at any batch size and length, equal to a trace at that size (1e-5)`, async () => {
      const model = make();
      const out = exportOnnx((b, s) => traceForward(model, { batchSize: b, seqLength: s }).graph);
      expect(out.inputs).toEqual([
        { name: "input_ids", dtype: "int64", dims: ["batch_size", "sequence_length"] },
        { name: "attention_mask", dtype: "int64", dims: ["batch_size", "sequence_length"] },
        { name: "token_type_ids", dtype: "int64", dims: ["batch_size", "sequence_length"] },
      ]);
      const logitsDims =
        name === "sequence classification"
          ? ["batch_size", 3]
          : name === "token classification"
            ? ["batch_size", "sequence_length", 3]
            : ["batch_size", "sequence_length", 32];
      expect(out.outputs.find((o) => o.name === output)).toEqual({
        name: output,
        dtype: "float32",
        dims: logitsDims,
      });
      const m = await loadOnnxInference(out.model, { threads: 1 });
      disposers.push(() => m.dispose());
      for (const [k, [b, s]] of SIZES.entries()) {
        const feeds = batch(b, s, 10 + k);
        const got = (await m.run(feeds))[output]!;
        const want = await reference(model, feeds, output);
        expect(got.shape).toEqual(want.shape);
        expect(maxAbs(got, want), `batch ${b}, length ${s}`).toBeLessThan(1e-5);
      }
    });
  }

  it("int8: the linear layers and the word embeddings run on int8 weights, outputs close to float, a smaller model", async () => {
    const model = new BertForSequenceClassification(CONFIG, { seed: 4 });
    const out = exportOnnx((b, s) => traceForward(model, { batchSize: b, seqLength: s }).graph, {
      quantize: "int8",
    });
    const q = out.quantized!;
    // 2 layers × (q, k, v, attention output, intermediate, output) + the pooler
    expect(q.report.matmuls).toBe(13);
    expect(q.report.gathers).toBe(1); // the word embeddings (the token type table is too small)
    expect(q.report.int8Bytes * 4).toBe(q.report.floatBytes);
    expect(q.model.length).toBeLessThan(out.model.length);
    const f = await loadOnnxInference(out.model, { threads: 1 });
    const i8 = await loadOnnxInference(q.model, { threads: 1 });
    disposers.push(
      () => f.dispose(),
      () => i8.dispose(),
    );
    const feeds = batch(8, 12, 99);
    const a = (await f.run(feeds)).logits!;
    const b = (await i8.run(feeds)).logits!;
    const diff = maxAbs(a, b);
    const range = Math.max(...Array.from(a.data, Math.abs));
    expect(diff).toBeGreaterThan(0); // it is really quantised
    expect(diff).toBeLessThan(0.05 * range + 1e-3);
  });

  it("size-dependent constants (a running count's triangle, a causal mask, position ids) are built at run time", async () => {
    // RoBERTa-style positions (running count of non-pad tokens through an upper-triangular
    // ones matrix), a causal mask (i < j: -1e4) and arange position ids into a table
    const table = {
      name: "table",
      value: hostTensor(
        "float32",
        [40, 3],
        Float32Array.from({ length: 120 }, (_, i) => Math.sin(i)),
      ),
    };
    const traceFn = (b: number, s: number) =>
      trace((g) => {
        const ids = g.input("input_ids", "int32", [b, s]);
        const keep = sub(1, cast(equal(ids, 0), "float32"));
        const upper = Float32Array.from({ length: s * s }, (_, k) => (Math.floor(k / s) <= k % s ? 1 : 0));
        const count = matmul(keep, constant(g, "float32", [s, s], upper));
        const causal = Float32Array.from({ length: s * s }, (_, k) => (Math.floor(k / s) < k % s ? -1e4 : 0));
        const scores = add(reshape(count, [b, 1, s]), constant(g, "float32", [s, s], causal));
        const pos = constant(
          g,
          "int32",
          [1, s],
          Int32Array.from({ length: s }, (_, i) => 2 + i),
        );
        const emb = gather(g.param(table), pos); // [1, S, 3]
        return { count: mul(count, keep), scores, emb };
      });
    const out = exportOnnx(traceFn);
    const m = await loadOnnxInference(out.model, { threads: 1 });
    disposers.push(() => m.dispose());
    for (const [b, s] of [
      [1, 4],
      [3, 9],
      [2, 17],
    ] as const) {
      const feeds = { input_ids: batch(b, s, b * s).input_ids! };
      const got = await m.run(feeds);
      const exe = await (await testBackend()).compile(traceFn(b, s), { constants: { table: table.value } });
      const want = await exe.run(feeds);
      exe.dispose();
      for (const name of ["count", "scores", "emb"]) {
        expect(got[name]!.shape, name).toEqual(want[name]!.shape);
        expect(maxAbs(got[name]!, want[name]!), `${name} at ${b} x ${s}`).toBe(0);
      }
    }
    const noise = (b: number, s: number) =>
      trace((g) => ({
        y: add(
          g.input("x", "float32", [b, s]),
          constant(
            g,
            "float32",
            [1, s],
            Float32Array.from({ length: s }, (_, i) => (i * 7919) % 13),
          ),
        ),
      }));
    expect(() => exportOnnx(noise)).toThrow(/neither one value, a triangle .* nor a range/);
  });

  it("weights over one ONNX file's 2 GiB are refused with their size", () => {
    expect(() => checkSingleFileSize(440e6)).not.toThrow();
    expect(() => checkSingleFileSize(2.2e9)).toThrow(/2\.20 GB; one ONNX file holds at most 2\.13 GB/);
  });

  it("refuses a forward whose graph changes with the input size, naming the node", () => {
    const shapeDependent = (b: number, s: number) =>
      trace((g) => {
        const x = g.input("x", "float32", [b, s]);
        return { y: s > 6 ? reshape(x, [b * s]) : reshape(x, [s, b]) };
      });
    expect(() => exportOnnx(shapeDependent)).toThrow(
      /traced at different input sizes builds different graphs/,
    );
    const halves = (b: number, s: number) =>
      trace((g) => ({ y: reshape(g.input("x", "float32", [b, s]), [b, 1, s]) }));
    expect(() => exportOnnx(halves)).not.toThrow();
    const dropout = new BertForSequenceClassification(CONFIG, { seed: 5 });
    try {
      exportOnnx((b, s) => traceForward(dropout, { batchSize: b, seqLength: s, training: true }).graph);
      expect.unreachable();
    } catch (e) {
      expect(isTunekitError(e, "GRAPH_INVALID")).toBe(true);
      expect((e as Error).message).toContain("export traces the inference forward");
    }
  });
});
