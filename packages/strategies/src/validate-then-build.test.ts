import { isTunekitError, type Module, type Strategy } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import {
  bottleneckAdapter,
  houlsbyAdapter,
  parallelAdapter,
  pfeifferAdapter,
} from "./adapters/bottleneck-strategies.js";
import { bitfit } from "./bitfit.js";
import { ia3 } from "./ia3/ia3.js";
import { lora } from "./lora/lora.js";
import { prefixTuning } from "./prefix/prefix-tuning.js";
import { promptTuning } from "./prompt/prompt-tuning.js";
import { tinyBert } from "./testing/tiny-bert.js";

// Validate, then build: every strategy refuses a bad option with a typed error (INVALID_ARGUMENT
// or CONFIG_INVALID, naming the option) before it builds, allocates or freezes anything, so the
// caller's base model is left exactly as it was (values, shapes and trainable flags).
type Case = readonly [label: string, make: () => Strategy, message: RegExp];

const CASES: Record<string, readonly Case[]> = {
  lora: [
    ["r 0", () => lora({ r: 0 }), /r must be a positive integer/],
    ["r 1.5", () => lora({ r: 1.5 }), /r must be a positive integer/],
    ["r 1e9 (too large to allocate)", () => lora({ r: 1e9 }), /r 1000000000 gives .* adapter weights/],
    ["alpha NaN", () => lora({ alpha: Number.NaN }), /alpha must be a finite number/],
    ["dropout 1", () => lora({ dropout: 1 }), /dropout must be in \[0, 1\)/],
    ["no target modules", () => lora({ targetModules: [] }), /targetModules must be a non-empty list/],
    ["an unknown target", () => lora({ targetModules: ["nope"] }), /match no Linear module/],
    ["layer 99 of 2", () => lora({ layersToTransform: [99] }), /match no Linear module/],
    ["layer -1", () => lora({ layersToTransform: [-1] }), /non-negative integers/],
  ],
  rslora: [["r -1", () => lora({ r: -1, useRslora: true }), /r must be a positive integer/]],
  dora: [
    ["r 0", () => lora({ r: 0, useDora: true }), /r must be a positive integer/],
    ["an unknown target", () => lora({ useDora: true, targetModules: ["nope"] }), /match no Linear module/],
  ],
  ia3: [
    ["no targets", () => ia3({ targetModules: [] }), /match no Linear module/],
    ["an unknown target", () => ia3({ targetModules: ["nope"] }), /match no Linear module/],
    [
      "feedforward modules outside the targets",
      () => ia3({ targetModules: ["query"], feedforwardModules: ["output.dense"] }),
      /feedforwardModules must be a subset of targetModules/,
    ],
    ["layer 99 of 2", () => ia3({ layersToTransform: [99] }), /match no Linear module/],
  ],
  prefix: [
    [
      "0 virtual tokens",
      () => prefixTuning({ numVirtualTokens: 0 }),
      /numVirtualTokens must be a positive integer/,
    ],
    ["1.5 virtual tokens", () => prefixTuning({ numVirtualTokens: 1.5 }), /positive integer/],
    ["more virtual tokens than positions", () => prefixTuning({ numVirtualTokens: 1e9 }), /leave no room/],
    [
      "projection hidden size 0",
      () => prefixTuning({ numVirtualTokens: 2, projection: true, encoderHiddenSize: 0 }),
      /encoderHiddenSize must be a positive integer/,
    ],
  ],
  prompt: [
    [
      "0 virtual tokens",
      () => promptTuning({ numVirtualTokens: 0 }),
      /numVirtualTokens must be a positive integer/,
    ],
    ["more virtual tokens than positions", () => promptTuning({ numVirtualTokens: 1e9 }), /leave no room/],
  ],
  bitfit: [
    ["a head that names no module", () => bitfit({ head: ["nope"] }), /head \["nope"\] names no module/],
    ["an empty head name", () => bitfit({ head: [""] }), /head must be a list of module names/],
  ],
  adapters: [
    [
      "reduction factor 1e-6 (12.5 GB at BERT-base size)",
      () => houlsbyAdapter({ reductionFactor: 1e-6 }),
      /reduction_factor/,
    ],
    [
      "reduction factor 0",
      () => pfeifferAdapter({ reductionFactor: 0 }),
      /reduction_factor must be a positive number/,
    ],
    ["reduction factor NaN", () => parallelAdapter({ reductionFactor: Number.NaN }), /reduction_factor/],
    [
      "scaling Infinity",
      () => parallelAdapter({ scaling: Number.POSITIVE_INFINITY }),
      /scaling must be a finite/,
    ],
    ["an empty name", () => houlsbyAdapter({ name: "" }), /adapter name "" is not valid/],
    ["an unknown architecture", () => bottleneckAdapter("nope" as never), /unknown adapter architecture/],
  ],
};

/** Names, trainable flags, shapes and the first values of every parameter. */
function snapshot(m: Module): string {
  return JSON.stringify(
    m
      .namedParameters()
      .map(([n, p]) => [n, p.trainable, p.value.shape, Array.from(p.value.data.slice(0, 3))]),
  );
}

describe("validate, then build: a bad strategy option leaves the base model untouched", () => {
  for (const [method, cases] of Object.entries(CASES)) {
    for (const [label, make, message] of cases) {
      it(`${method}: ${label}`, () => {
        const base = tinyBert(1);
        const before = snapshot(base);
        let err: unknown;
        try {
          make().apply(base);
        } catch (e) {
          err = e;
        }
        expect(isTunekitError(err), String(err)).toBe(true);
        expect((err as { code: string }).code).toMatch(/^(INVALID_ARGUMENT|CONFIG_INVALID)$/);
        expect((err as Error).message).toMatch(message);
        expect(snapshot(base)).toBe(before);
      });
    }
  }

  it("a successful apply after a refused one works on the same base model", () => {
    const base = tinyBert(1);
    expect(() => lora({ targetModules: ["nope"] }).apply(base)).toThrow(/match no Linear module/);
    const adapted = lora({ r: 2 }).apply(base);
    expect(adapted.namedParameters().some(([n, p]) => n.includes("lora_A") && p.trainable)).toBe(true);
    expect(base.getParameter("classifier.weight").trainable).toBe(true); // the head copy is fresh
  });
});
