import { hostTensor, isTunekitError, TunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { explainDivergence } from "./divergence.js";

const model = (values: readonly number[]) => ({
  namedParameters: () =>
    [
      [
        "bert.embeddings.word_embeddings.weight",
        { value: hostTensor("float32", [2], Float32Array.of(1, 2)) },
      ],
      ["classifier.weight", { value: hostTensor("float32", [values.length], Float32Array.from(values)) }],
    ] as const,
});
const diverged = new TunekitError("TRAINING_DIVERGED", "Trainer: the training loss is NaN at step 7", {
  details: { step: 7 },
});

describe("explainDivergence", () => {
  it("names the first non-finite parameter and its index", () => {
    const e = explainDivergence(diverged, model([0, Number.NaN, Number.POSITIVE_INFINITY]));
    expect(isTunekitError(e, "TRAINING_DIVERGED")).toBe(true);
    expect((e as TunekitError).message).toBe(
      "Trainer: the training loss is NaN at step 7; the first non-finite tensor is parameter classifier.weight (index 1 is NaN)",
    );
    expect((e as TunekitError).details).toEqual({ step: 7, tensor: "classifier.weight", index: 1 });
  });

  it("says when only the loss overflowed; other errors pass unchanged", () => {
    expect((explainDivergence(diverged, model([0, 1])) as Error).message).toContain(
      "every parameter is still finite, so the loss itself overflowed",
    );
    const other = new TunekitError("IO_ERROR", "x");
    expect(explainDivergence(other, model([Number.NaN]))).toBe(other);
  });
});
