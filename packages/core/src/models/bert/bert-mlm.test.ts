import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { grad } from "../../autodiff/grad.js";
import { evaluateGraphFloat64 } from "../../backend/reference-backend.js";
import { TunekitError } from "../../errors.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { readSafetensorsFile } from "../../io/safetensors-file.js";
import { Graph } from "../../ir/graph.js";
import type { HostTensor } from "../../tensor/host-tensor.js";
import { BertForMaskedLM } from "./bert-mlm.js";
import { loadBertCheckpoint } from "./checkpoint.js";
import { loadBertWeights } from "./load-weights.js";
import { maxAbsoluteError } from "../../testing/parity-metrics.js";
import { gradientErrors } from "./gradient-errors.test-helpers.js";
import { TINY_CONFIG } from "./config.test-helpers.js";

// Made by fixtures/make_mlm_reference.py: float64 PyTorch, Hugging Face BertForMaskedLM semantics.
const FIXTURE = fileURLToPath(new URL("./fixtures/bert-mlm-tiny", import.meta.url));

describe("BertForMaskedLM against the float64 PyTorch reference", async () => {
  const ref = (await readSafetensorsFile(`${FIXTURE}/reference.safetensors`)).tensors;
  const r = (name: string): HostTensor => ref.get(name)!;

  it("loads a Hugging Face MLM checkpoint: tied decoder copies ignored, nothing initialised", async () => {
    const { model, report } = await loadBertCheckpoint(FIXTURE, { task: "masked-lm" });
    expect(model).toBeInstanceOf(BertForMaskedLM);
    expect(report.initialized).toEqual([]);
    expect([...report.ignored].sort()).toEqual([
      "cls.predictions.decoder.bias",
      "cls.predictions.decoder.weight",
    ]);
    // The output projection is the input embedding (tied), not a second parameter.
    const names = model.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.includes("word_embeddings"))).toEqual([
      "bert.embeddings.word_embeddings.weight",
    ]);
    expect(names).not.toContain("bert.pooler.dense.weight");
  });

  it("logits at the masked positions, loss (-100 slot ignored) and every gradient match", async () => {
    const { model } = await loadBertCheckpoint(FIXTURE, { task: "masked-lm" });
    const [b, s] = r("input_ids").shape as [number, number];
    const n = r("masked_positions").shape[0]!;
    const g = new Graph();
    const out = model.forward(
      {
        inputIds: g.input("input_ids", "int32", [b, s]),
        attentionMask: g.input("attention_mask", "int32", [b, s]),
        maskedPositions: g.input("masked_positions", "int32", [n]),
        labels: g.input("labels", "int32", [n]),
      },
      { training: false },
    );
    g.output("logits", out.logits);
    g.output("loss", out.loss!);
    const params = model.namedParameters();
    grad(
      out.loss!,
      params.map(([, p]) => g.param(p)),
    ).forEach((t, i) => {
      g.output(`grad.${params[i]![0]}`, t);
    });
    const got = evaluateGraphFloat64(g, {
      input_ids: r("input_ids"),
      attention_mask: r("attention_mask"),
      masked_positions: r("masked_positions"),
      labels: r("labels"),
    });
    expect(got.logits!.shape).toEqual(r("logits").shape);
    // Tolerances: the reference is float64 stored as float32 (relative 6e-8); float64 here.
    expect(maxAbsoluteError(got.logits!.data, r("logits").data)).toBeLessThan(1e-5);
    expect(Math.abs(got.loss!.data[0]! - r("loss").data[0]!)).toBeLessThan(1e-6);
    const { worst, worstZero } = gradientErrors(
      params.map(([n]) => n),
      got,
      (n) => ref.get(n),
    );
    expect(params.length).toBe(42);
    expect(worst).toBeLessThan(1e-5);
    expect(worstZero).toBeLessThan(1e-7);
  });

  it("without masked positions the logits cover every token and equal the gathered ones", async () => {
    const { model } = await loadBertCheckpoint(FIXTURE, { task: "masked-lm" });
    const [b, s] = r("input_ids").shape as [number, number];
    const g = new Graph();
    const out = model.forward(
      {
        inputIds: g.input("input_ids", "int32", [b, s]),
        attentionMask: g.input("attention_mask", "int32", [b, s]),
      },
      { training: false },
    );
    g.output("logits", out.logits);
    const all = evaluateGraphFloat64(g, { input_ids: r("input_ids"), attention_mask: r("attention_mask") });
    const v = model.config.vocabSize;
    expect(all.logits!.shape).toEqual([b, s, v]);
    const positions = r("masked_positions").data;
    const gathered: number[] = [];
    for (const pos of positions) gathered.push(...all.logits!.data.slice(pos * v, (pos + 1) * v));
    expect(maxAbsoluteError(gathered, r("logits").data)).toBeLessThan(1e-5);
  });

  it("an MLM checkpoint loads into a classifier: cls.* ignored, pooler and head start fresh", async () => {
    const { report } = await loadBertCheckpoint(FIXTURE, { task: "sequence-classification", numLabels: 2 });
    expect(report.initialized.sort()).toEqual([
      "bert.pooler.dense.bias",
      "bert.pooler.dense.weight",
      "classifier.bias",
      "classifier.weight",
    ]);
    expect(report.ignored.filter((k) => k.startsWith("cls."))).toHaveLength(7);
  });

  it("a missing encoder tensor or a wrong-sized MLM bias is still CHECKPOINT_MISMATCH", async () => {
    const { tensors } = await readSafetensorsFile(`${FIXTURE}/model.safetensors`);
    const model = new BertForMaskedLM(parseBertConfig(TINY_CONFIG));
    const err = (fn: () => unknown): TunekitError => {
      try {
        fn();
      } catch (e) {
        return e as TunekitError;
      }
      throw new Error("expected a throw");
    };
    const e = err(() => loadBertWeights(model, tensors));
    expect(e).toBeInstanceOf(TunekitError);
    expect(e.code).toBe("CHECKPOINT_MISMATCH");
    const fixtureModel = (await loadBertCheckpoint(FIXTURE, { task: "masked-lm" })).model;
    const partial = new Map(tensors);
    partial.delete("cls.predictions.transform.dense.weight");
    expect(err(() => loadBertWeights(fixtureModel, partial)).message).toMatch(
      /missing \(1\):\n\s+cls\.predictions\.transform\.dense\.weight/,
    );
  });

  it("checks the shapes of masked_positions and labels", () => {
    const model = new BertForMaskedLM(parseBertConfig(TINY_CONFIG));
    const g = new Graph();
    const inputIds = g.input("input_ids", "int32", [2, 4]);
    expect(() =>
      model.forward({ inputIds, maskedPositions: g.input("p", "float32", [3]) }, { training: false }),
    ).toThrow(/masked_positions must be int32 \[N\]/);
    expect(() =>
      model.forward(
        { inputIds, maskedPositions: g.input("p2", "int32", [3]), labels: g.input("l", "int32", [2, 4]) },
        { training: false },
      ),
    ).toThrow(/labels must be int32 \[3\]/);
  });
});
