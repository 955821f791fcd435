import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { Graph } from "../../ir/graph.js";
import { stateDict } from "../../modules/state-dict.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import { BertForSequenceClassification, BertForTokenClassification } from "./bert-heads.js";
import { attentionMaskBias, FLOAT32_MIN } from "./bert-model.js";
import { TINY_CONFIG } from "./config.test-helpers.js";
import { type AnyBertModel, traceForward } from "./trace-forward.js";

const backend = createReferenceBackend();
const ints = (shape: number[], data: number[]): HostTensor => hostTensor("int32", shape, data);

async function run(
  model: AnyBertModel,
  feeds: Record<string, HostTensor>,
  opts: { labels?: boolean; training?: boolean } = {},
): Promise<Record<string, HostTensor>> {
  const [b, s] = feeds.input_ids!.shape as [number, number];
  const { graph } = traceForward(model, { batchSize: b, seqLength: s, ...opts });
  const exe = await backend.compile(graph, { constants: stateDict(model) });
  return exe.run(feeds);
}

function logSoftmaxRow(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const lse = m + Math.log(Array.from(row).reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(row, (v) => v - lse);
}

describe("BERT numerics (reference backend)", () => {
  const config = parseBertConfig(TINY_CONFIG);

  it("the mask bias is (1 - mask) * float32 min, finite", async () => {
    const g = new Graph();
    g.output("bias", attentionMaskBias(g.input("m", "int32", [1, 3])));
    const { bias } = await (await backend.compile(g)).run({ m: ints([1, 3], [1, 1, 0]) });
    expect(bias!.shape).toEqual([1, 1, 1, 3]);
    expect(Array.from(bias!.data, (v) => v + 0)).toEqual([0, 0, FLOAT32_MIN]);
    expect(Number.isFinite(bias!.data[2]!)).toBe(true);
  });

  it("padded positions do not change the real tokens' result, and nothing overflows", async () => {
    const model = new BertForSequenceClassification(config, { seed: 1 });
    const tokens = [5, 9, 2, 17];
    const padded = await run(model, {
      input_ids: ints([2, 6], [3, 4, 5, 6, 7, 8, ...tokens, 0, 0]),
      attention_mask: ints([2, 6], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
      token_type_ids: ints([2, 6], new Array(12).fill(0)),
    });
    const alone = await run(model, {
      input_ids: ints([1, 4], tokens),
      attention_mask: ints([1, 4], [1, 1, 1, 1]),
      token_type_ids: ints([1, 4], [0, 0, 0, 0]),
    });
    const row1 = padded.logits!.data.slice(2, 4);
    expect(Array.from(padded.logits!.data).every(Number.isFinite)).toBe(true);
    for (let i = 0; i < 2; i++) expect(row1[i]!).toBeCloseTo(alone.logits!.data[i]!, 6);
    const unmasked = await run(model, {
      input_ids: ints([1, 6], [...tokens, 0, 0]),
      attention_mask: ints([1, 6], [1, 1, 1, 1, 1, 1]),
      token_type_ids: ints([1, 6], new Array(6).fill(0)),
    });
    expect(Math.abs(unmasked.logits!.data[0]! - row1[0]!)).toBeGreaterThan(1e-7); // the mask matters
  });

  it("token classification: mean cross-entropy over labels that are not -100", async () => {
    const model = new BertForTokenClassification(config, { numLabels: 3, seed: 2 });
    const labels = [0, 2, -100, 1, -100, 2, 2, 0];
    const out = await run(
      model,
      {
        input_ids: ints([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]),
        attention_mask: ints([2, 4], [1, 1, 1, 1, 1, 1, 1, 0]),
        token_type_ids: ints([2, 4], [0, 0, 1, 1, 0, 0, 1, 1]),
        labels: ints([2, 4], labels),
      },
      { labels: true },
    );
    expect(out.logits!.shape).toEqual([2, 4, 3]);
    let total = 0;
    let n = 0;
    labels.forEach((y, t) => {
      if (y === -100) return;
      total -= logSoftmaxRow(out.logits!.data.slice(3 * t, 3 * t + 3))[y]!;
      n++;
    });
    expect(out.loss!.data[0]!).toBeCloseTo(total / n, 6);
  });

  it("regression (num_labels 1) uses MSE; multi-label uses BCE with logits", async () => {
    const feeds = {
      input_ids: ints([2, 3], [4, 5, 6, 7, 8, 9]),
      attention_mask: ints([2, 3], [1, 1, 1, 1, 1, 0]),
      token_type_ids: ints([2, 3], [0, 0, 0, 0, 0, 0]),
    };
    const reg = new BertForSequenceClassification(
      parseBertConfig({ ...TINY_CONFIG, id2label: undefined, num_labels: 1 }),
    );
    const y = [0.5, -1.5];
    const r = await run(reg, { ...feeds, labels: hostTensor("float32", [2], y) }, { labels: true });
    const mse = ((r.logits!.data[0]! - y[0]!) ** 2 + (r.logits!.data[1]! - y[1]!) ** 2) / 2;
    expect(r.loss!.data[0]!).toBeCloseTo(mse, 6);

    const multi = new BertForSequenceClassification(
      parseBertConfig({ ...TINY_CONFIG, problem_type: "multi_label_classification" }),
    );
    const t = [1, 0, 1, 1];
    const m = await run(multi, { ...feeds, labels: hostTensor("float32", [2, 2], t) }, { labels: true });
    const bce =
      Array.from(m.logits!.data).reduce(
        (s, x, i) =>
          s - (t[i]! * Math.log(1 / (1 + Math.exp(-x))) + (1 - t[i]!) * Math.log(1 - 1 / (1 + Math.exp(-x)))),
        0,
      ) / 4;
    expect(m.loss!.data[0]!).toBeCloseTo(bce, 6);
  });

  it("dropout is seeded in training and off in evaluation", async () => {
    const model = new BertForSequenceClassification(config, { seed: 3 });
    const feeds = {
      input_ids: ints([1, 5], [1, 2, 3, 4, 5]),
      attention_mask: ints([1, 5], [1, 1, 1, 1, 1]),
      token_type_ids: ints([1, 5], [0, 0, 0, 0, 0]),
    };
    const seed = (s: number): HostTensor => ints([], [s]);
    const a = await run(model, { ...feeds, dropout_seed: seed(4096) }, { training: true });
    const b = await run(model, { ...feeds, dropout_seed: seed(4096) }, { training: true });
    const c = await run(model, { ...feeds, dropout_seed: seed(8192) }, { training: true });
    const e = await run(model, feeds);
    expect(a.logits!.data).toEqual(b.logits!.data);
    expect(a.logits!.data).not.toEqual(c.logits!.data);
    expect(a.logits!.data).not.toEqual(e.logits!.data);
  });

  it("supports hidden_act relu and gelu_new", async () => {
    const feeds = {
      input_ids: ints([1, 3], [1, 2, 3]),
      attention_mask: ints([1, 3], [1, 1, 1]),
      token_type_ids: ints([1, 3], [0, 0, 0]),
    };
    const outs = [];
    for (const act of ["gelu", "gelu_new", "relu"]) {
      const model = new BertForSequenceClassification(
        parseBertConfig({ ...TINY_CONFIG, hidden_act: act, initializer_range: 0.5 }),
        {
          seed: 4,
        },
      );
      const ops = traceForward(model, { batchSize: 1, seqLength: 3 }).graph.nodes.map((n) => n.op);
      if (act === "relu") expect(ops).toContain("maximum");
      else expect(ops).toContain("gelu");
      outs.push(Array.from((await run(model, feeds)).logits!.data));
    }
    expect(outs[0]).not.toEqual(outs[1]);
    expect(outs[0]).not.toEqual(outs[2]);
    expect(outs.flat().every(Number.isFinite)).toBe(true);
  });
});
