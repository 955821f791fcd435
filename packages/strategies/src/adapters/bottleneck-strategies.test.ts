import { createReferenceBackend } from "@tunekit/core";
import { BertResidualOutput } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { checkParameterGradients } from "../testing/parameter-gradients.js";
import { probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { expectOnlyMethodParamsTrain } from "../testing/train-only-method-params.js";
import { AdapterSite } from "./adapter-site.js";
import {
  bottleneckAdapter,
  houlsbyAdapter,
  parallelAdapter,
  pfeifferAdapter,
} from "./bottleneck-strategies.js";

const backend = createReferenceBackend();

describe("bottleneck adapters", () => {
  const batch = probeBatch();

  for (const [arch, make] of [
    ["houlsby", houlsbyAdapter],
    ["pfeiffer", pfeifferAdapter],
    ["parallel", parallelAdapter],
  ] as const) {
    it(`${arch}: a fresh adapter leaves the logits exactly unchanged and the original model untouched`, async () => {
      const model = tinyBert(3);
      const before = await logitsOf(model, batch);
      const adapted = make({ name: "task", reductionFactor: 2 }).apply(model);
      expect(Array.from(await logitsOf(adapted, batch))).toEqual(Array.from(before));
      expect(model.getSubmodule("bert.encoder.layer.0.output")).toBeInstanceOf(BertResidualOutput);
      expect(adapted.getSubmodule("bert.encoder.layer.0.output")).toBeInstanceOf(AdapterSite);
      // and it is not a no-op once trained
      randomizeParameters(adapted, /adapters\.task\./);
      const changed = await logitsOf(adapted, batch);
      expect(Math.max(...Array.from(changed, (v, i) => Math.abs(v - before[i]!)))).toBeGreaterThan(1e-3);
    });
  }

  it("uses AdapterHub parameter paths and trains only the adapters and the head", () => {
    const adapted = houlsbyAdapter({ name: "sst2", reductionFactor: 4 }).apply(tinyBert());
    const trainable = adapted
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n, p]) => `${n} [${p.shape.join(", ")}]`);
    expect(trainable).toEqual([
      ...[0, 1].flatMap((l) =>
        ["attention.output", "output"].flatMap((site) => [
          `bert.encoder.layer.${l}.${site}.adapters.sst2.adapter_down.0.weight [2, 8]`,
          `bert.encoder.layer.${l}.${site}.adapters.sst2.adapter_down.0.bias [2]`,
          `bert.encoder.layer.${l}.${site}.adapters.sst2.adapter_up.weight [8, 2]`,
          `bert.encoder.layer.${l}.${site}.adapters.sst2.adapter_up.bias [8]`,
        ]),
      ),
      "classifier.weight [3, 8]",
      "classifier.bias [3]",
    ]);
    // base weights keep their Hugging Face names under the site
    expect(adapted.getParameter("bert.encoder.layer.1.output.dense.weight").shape).toEqual([8, 12]);
    const pf = pfeifferAdapter({ trainHead: false }).apply(tinyBert());
    expect(
      pf
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n]) => n),
    ).toEqual(
      [0, 1].flatMap((l) =>
        ["adapter_down.0.weight", "adapter_down.0.bias", "adapter_up.weight", "adapter_up.bias"].map(
          (s) => `bert.encoder.layer.${l}.output.adapters.adapter.${s}`,
        ),
      ),
    );
  });

  it("resolves AdapterHub defaults and rejects bad options with a clear message", () => {
    expect(houlsbyAdapter().options).toMatchObject({
      reductionFactor: 16,
      nonLinearity: "swish",
      scaling: 1,
    });
    expect(pfeifferAdapter().options).toMatchObject({
      reductionFactor: 16,
      nonLinearity: "relu",
      scaling: 1,
    });
    expect(parallelAdapter().options).toMatchObject({ reductionFactor: 2, nonLinearity: "relu", scaling: 4 });
    expect(() => pfeifferAdapter({ name: "a.b" })).toThrow(/adapter name "a.b" is not valid/);
    expect(() => pfeifferAdapter({ nonLinearity: "sigmoid" as never }).apply(tinyBert())).toThrow(
      /non_linearity "sigmoid" is not supported; expected one of relu, gelu, swish, tanh/,
    );
    expect(() => pfeifferAdapter({ reductionFactor: 0 }).apply(tinyBert())).toThrow(
      /reduction_factor must be a positive/,
    );
    const once = pfeifferAdapter({ name: "x" }).apply(tinyBert());
    expect(() => pfeifferAdapter({ name: "x" }).apply(once)).toThrow(/already has an adapter "x"/);
  });

  for (const [arch, nonLinearity] of [
    ["houlsby", "swish"],
    ["pfeiffer", "gelu"],
    ["parallel", "tanh"],
    ["pfeiffer", "relu"],
  ] as const) {
    it(`${arch} (${nonLinearity}): gradients of the adapter parameters match finite differences`, () => {
      const adapted = bottleneckAdapter(arch, { reductionFactor: 2, nonLinearity }).apply(tinyBert(5));
      randomizeParameters(adapted, /adapters\./, 11, 0.5);
      const r = checkParameterGradients(adapted, batch, (path) => path.includes(".adapters."));
      expect(r.checked.length).toBe(arch === "houlsby" ? 16 : 8);
      expect(r.maxGradient).toBeGreaterThan(1e-5);
      expect(r.maxError / r.maxGradient, r.worst).toBeLessThan(1e-5);
    });
  }

  it("a few AdamW steps on the reference backend change the adapters and head only", async () => {
    const model = tinyBert(2);
    const adapted = parallelAdapter({ reductionFactor: 2 }).apply(model);
    const { changed } = await expectOnlyMethodParamsTrain(adapted, {
      base: model,
      backend,
      batch,
      steps: 5,
      lr: 0.05,
      weightDecay: 0.01,
      trained: (path) => path.includes(".adapters.adapter.") || path.startsWith("classifier."),
    });
    expect(changed.length).toBe(10);
    // adapter_up moved off zero
    expect(
      Array.from(
        adapted.getParameter("bert.encoder.layer.0.output.adapters.adapter.adapter_up.weight").value.data,
      ).some((v) => v !== 0),
    ).toBe(true);
  });
});
