import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { grad } from "../../autodiff/grad.js";
import { evaluateGraphFloat64 } from "../../backend/reference-backend.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { readSafetensorsFile } from "../../io/safetensors-file.js";
import { Graph, type Tensor } from "../../ir/graph.js";
import type { HostTensor } from "../../tensor/host-tensor.js";
import { preTrainingForward } from "./bert-pretraining.js";
import { BertForPreTraining } from "./bert-pretraining.js";
import { loadBertCheckpoint, saveBertCheckpoint } from "./checkpoint.js";
import { maxAbsoluteError } from "../../testing/parity-metrics.js";
import { gradientErrors } from "./gradient-errors.test-helpers.js";
import { TINY_CONFIG } from "./config.test-helpers.js";

// Made by fixtures/make_pretraining_reference.py: float64 PyTorch, Hugging Face BertForPreTraining semantics.
const FIXTURE = fileURLToPath(new URL("./fixtures/bert-pretraining-tiny", import.meta.url));
const MLM_FIXTURE = fileURLToPath(new URL("./fixtures/bert-mlm-tiny", import.meta.url));

const INPUTS = [
  "input_ids",
  "attention_mask",
  "token_type_ids",
  "masked_positions",
  "labels",
  "next_sentence_label",
];

describe("BertForPreTraining against the float64 PyTorch reference", async () => {
  const ref = (await readSafetensorsFile(`${FIXTURE}/reference.safetensors`)).tensors;
  const r = (name: string): HostTensor => ref.get(name)!;

  it("loads a Hugging Face BertForPreTraining checkpoint: tied decoder copies ignored, nothing initialised", async () => {
    const { model, report } = await loadBertCheckpoint(FIXTURE, { task: "pretraining" });
    expect(model).toBeInstanceOf(BertForPreTraining);
    expect(report.initialized).toEqual([]);
    expect([...report.ignored].sort()).toEqual([
      "cls.predictions.decoder.bias",
      "cls.predictions.decoder.weight",
    ]);
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain("bert.pooler.dense.weight");
    expect(names).toContain("cls.seq_relationship.weight");
  });

  it("both heads' logits, both losses, their sum and every gradient match", async () => {
    const { model } = await loadBertCheckpoint(FIXTURE, { task: "pretraining" });
    const g = new Graph();
    const inputs: Record<string, Tensor> = {};
    for (const name of INPUTS) inputs[name] = g.input(name, "int32", r(name).shape);
    const outs = preTrainingForward(model)(g, inputs, { training: false });
    for (const name of [
      "logits",
      "seq_relationship_logits",
      "masked_lm_loss",
      "next_sentence_loss",
      "loss",
    ]) {
      g.output(name, outs[name]!);
    }
    const params = model.namedParameters();
    grad(
      outs.loss!,
      params.map(([, p]) => g.param(p)),
    ).forEach((t, i) => {
      g.output(`grad.${params[i]![0]}`, t);
    });
    const got = evaluateGraphFloat64(g, Object.fromEntries(INPUTS.map((n) => [n, r(n)])));
    // Tolerances: the reference is float64 stored as float32 (relative 6e-8); float64 here.
    expect(got.logits!.shape).toEqual(r("logits").shape);
    expect(maxAbsoluteError(got.logits!.data, r("logits").data)).toBeLessThan(1e-5);
    expect(got.seq_relationship_logits!.shape).toEqual([3, 2]);
    expect(
      maxAbsoluteError(got.seq_relationship_logits!.data, r("seq_relationship_logits").data),
    ).toBeLessThan(1e-5);
    for (const name of ["masked_lm_loss", "next_sentence_loss", "loss"]) {
      expect(Math.abs(got[name]!.data[0]! - r(name).data[0]!), name).toBeLessThan(1e-6);
    }
    const { worst, worstZero } = gradientErrors(
      params.map(([n]) => n),
      got,
      (n) => ref.get(n),
    );
    expect(params.length).toBe(46);
    expect(worst).toBeLessThan(1e-5);
    expect(worstZero).toBeLessThan(1e-7);
  });

  it("a training step's outputs leave out the [N, vocab] logits; evaluation keeps them", async () => {
    const { model } = await loadBertCheckpoint(FIXTURE, { task: "pretraining" });
    const g = new Graph();
    const inputs: Record<string, Tensor> = {};
    for (const name of INPUTS) inputs[name] = g.input(name, "int32", r(name).shape);
    const train = preTrainingForward(model)(g, inputs, {
      training: true,
      seed: g.input("seed", "int32", []),
    });
    expect(Object.keys(train).sort()).toEqual([
      "loss",
      "masked_lm_loss",
      "next_sentence_loss",
      "seq_relationship_logits",
    ]);
  });

  it("its checkpoint loads into a classifier with the trained pooler (only the head is fresh)", async () => {
    const { report } = await loadBertCheckpoint(FIXTURE, { task: "sequence-classification", numLabels: 2 });
    expect(report.initialized.sort()).toEqual(["classifier.bias", "classifier.weight"]);
    expect(report.loaded).toContain("bert.pooler.dense.weight");
    expect(report.ignored.filter((k) => k.startsWith("cls."))).toHaveLength(9);
  });

  it("loads into BertForMaskedLM (next-sentence head and pooler ignored) and back from an MLM checkpoint", async () => {
    const asMlm = await loadBertCheckpoint(FIXTURE, { task: "masked-lm" });
    expect(asMlm.report.initialized).toEqual([]);
    expect(asMlm.report.ignored).toEqual(
      expect.arrayContaining(["cls.seq_relationship.weight", "bert.pooler.dense.weight"]),
    );
    const fromMlm = await loadBertCheckpoint(MLM_FIXTURE, { task: "pretraining" });
    expect(fromMlm.report.initialized.sort()).toEqual([
      "bert.pooler.dense.bias",
      "bert.pooler.dense.weight",
      "cls.seq_relationship.bias",
      "cls.seq_relationship.weight",
    ]);
  });

  it("saves as a Hugging Face BertForPreTraining folder that loads back bit-exact", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-pretraining-"));
    try {
      const model = new BertForPreTraining(parseBertConfig(TINY_CONFIG), { seed: 3 });
      await saveBertCheckpoint(model, dir);
      const back = await loadBertCheckpoint(dir, { task: "pretraining" });
      expect(back.report.initialized).toEqual([]);
      const want = new Map(model.namedParameters().map(([n, p]) => [n, p.value.data]));
      for (const [n, p] of back.model.namedParameters()) expect(p.value.data, n).toEqual(want.get(n));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("checks the shape of next_sentence_label", () => {
    const model = new BertForPreTraining(parseBertConfig(TINY_CONFIG));
    const g = new Graph();
    const inputIds = g.input("input_ids", "int32", [2, 4]);
    expect(() =>
      model.forward({ inputIds, nextSentenceLabels: g.input("n", "int32", [3]) }, { training: false }),
    ).toThrow(/next_sentence_label must be int32 \[2\] .*got int32\[3\]/);
  });
});
