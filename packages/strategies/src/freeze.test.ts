import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { bitfit } from "./bitfit.js";
import { fullFineTuning, headOnly, lastNLayers, trainableByPattern } from "./freeze.js";
import { tinyBert } from "./testing/tiny-bert.js";

const trainedNames = (m: ReturnType<typeof tinyBert>) =>
  m
    .namedParameters()
    .filter(([, p]) => p.trainable)
    .map(([n]) => n);

describe("freezing helpers and BitFit", () => {
  it("trained parameters are fresh objects sharing values; frozen ones are the base's objects", () => {
    const base = tinyBert();
    for (const s of [
      bitfit(),
      headOnly(),
      lastNLayers(1),
      fullFineTuning(),
      trainableByPattern([/LayerNorm/]),
    ]) {
      const adapted = s.apply(base);
      for (const [path, p] of adapted.namedParameters()) {
        const orig = base.getParameter(path);
        expect(p === orig, `${s.method} ${path}`).toBe(!p.trainable);
        expect(p.value, `${s.method} ${path}`).toBe(orig.value);
      }
    }
  });

  it("select what they document", () => {
    const base = tinyBert();
    expect(trainedNames(headOnly().apply(base))).toEqual(["classifier.weight", "classifier.bias"]);
    const last = trainedNames(lastNLayers(1, { includePooler: false }).apply(base));
    expect(last.every((n) => n.startsWith("bert.encoder.layer.1.") || n.startsWith("classifier."))).toBe(
      true,
    );
    expect(last.length).toBe(16 + 2);
    expect(trainedNames(lastNLayers(0).apply(base))).toEqual([
      "bert.pooler.dense.weight",
      "bert.pooler.dense.bias",
      "classifier.weight",
      "classifier.bias",
    ]);
    const bf = trainedNames(bitfit({ head: [] }).apply(base));
    expect(bf.length).toBe(base.namedParameters().filter(([n]) => n.endsWith(".bias")).length);
    expect(bf.every((n) => n.endsWith(".bias"))).toBe(true);
    expect(trainedNames(trainableByPattern(["bert.embeddings.*"], { head: [] }).apply(base))).toEqual([
      "bert.embeddings.word_embeddings.weight",
      "bert.embeddings.position_embeddings.weight",
      "bert.embeddings.token_type_embeddings.weight",
      "bert.embeddings.LayerNorm.weight",
      "bert.embeddings.LayerNorm.bias",
    ]);
  });

  it("headOnly({ reinitialize }) starts a new head (normal weights, zero bias); the base head is unchanged", () => {
    const base = tinyBert();
    const before = base.getParameter("classifier.weight").value;
    const adapted = headOnly({ reinitialize: true, seed: 3, std: 0.02 }).apply(base);
    const w = adapted.getParameter("classifier.weight").value.data;
    expect(Array.from(adapted.getParameter("classifier.bias").value.data)).toEqual([0, 0, 0]);
    const rms = Math.sqrt(Array.from(w).reduce((s, v) => s + v * v, 0) / w.length);
    expect(rms).toBeGreaterThan(0.01);
    expect(rms).toBeLessThan(0.04);
    expect(base.getParameter("classifier.weight").value).toBe(before);
  });

  it("errors name what was wrong", () => {
    const base = tinyBert();
    const err = (f: () => unknown): Error => {
      try {
        f();
      } catch (e) {
        expect(isTunekitError(e, "INVALID_ARGUMENT")).toBe(true);
        return e as Error;
      }
      throw new Error("expected an error");
    };
    expect(err(() => lastNLayers(3).apply(base)).message).toMatch(/n = 3 but the model has 2 encoder layers/);
    expect(err(() => lastNLayers(-1)).message).toMatch(/non-negative integer, got -1/);
    expect(err(() => headOnly({ head: ["score"] }).apply(base)).message).toMatch(
      /no module named \["score"\]/,
    );
    expect(err(() => trainableByPattern(["bert.nope.*"]).apply(base)).message).toMatch(
      /bert\.nope\.\* matches no parameter/,
    );
  });
});
