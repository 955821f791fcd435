import { BertForTokenClassification, type HostTensor, hostTensor } from "@tunekit/core";
import { parseBertConfig, traceForward } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { checkParameterGradients } from "../testing/parameter-gradients.js";
import { maxAbsDiff, probeBatch, tinyBert } from "../testing/tiny-bert.js";
import { expectOnlyMethodParamsTrain } from "../testing/train-only-method-params.js";
import { promptTuning } from "./prompt-tuning.js";
import { PromptWordEmbeddings } from "./prompt-word-embeddings.js";

const batch = probeBatch(3, 5);
const P = 2;
const virtualIds = [7, 3];
const fakeTokenizer = { encode: () => ({ ids: virtualIds }) };

/** The batch with `ids` prepended to every row (token type 0, attended). */
function prepended(b: Record<string, HostTensor>, ids: number[]): Record<string, HostTensor> {
  const [rows, s] = b.input_ids!.shape as [number, number];
  const widen = (t: HostTensor, fill: (k: number) => number) => {
    const out = new Int32Array(rows * (s + ids.length));
    for (let r = 0; r < rows; r++) {
      ids.forEach((_, k) => {
        out[r * (s + ids.length) + k] = fill(k);
      });
      for (let j = 0; j < s; j++) out[r * (s + ids.length) + ids.length + j] = t.data[r * s + j]!;
    }
    return hostTensor("int32", [rows, s + ids.length], out);
  };
  return {
    input_ids: widen(b.input_ids!, (k) => ids[k]!),
    attention_mask: widen(b.attention_mask!, () => 1),
    token_type_ids: widen(b.token_type_ids!, () => 0),
  };
}

describe("prompt tuning", () => {
  it("text init equals prepending the text's tokens; the pooler reads the first virtual token", async () => {
    const model = tinyBert(6);
    const adapted = promptTuning({
      numVirtualTokens: P,
      init: { text: "x", tokenizer: fakeTokenizer },
    }).apply(model);
    const viaPrompt = await logitsOf(adapted, batch);
    const viaTokens = await logitsOf(model, prepended(batch, virtualIds));
    expect(maxAbsDiff(viaPrompt, viaTokens)).toBeLessThan(1e-6);
    // the prompt matters: other virtual tokens give other logits
    const other = promptTuning({
      numVirtualTokens: P,
      init: { text: "x", tokenizer: { encode: () => ({ ids: [1] }) } },
    });
    expect(maxAbsDiff(await logitsOf(other.apply(model), batch), viaPrompt)).toBeGreaterThan(1e-4);
  });

  it("text init repeats or crops the token ids to numVirtualTokens", () => {
    const model = tinyBert(1);
    const words = model.getParameter("bert.embeddings.word_embeddings.weight").value.data;
    const adapted = promptTuning({
      numVirtualTokens: 5,
      init: { text: "x", tokenizer: fakeTokenizer },
    }).apply(model);
    const table = adapted.getParameter("bert.embeddings.word_embeddings.prompt_embeddings").value;
    expect(table.shape).toEqual([5, 8]);
    [7, 3, 7, 3, 7].forEach((id, i) => {
      expect(Array.from(table.data.slice(i * 8, i * 8 + 8))).toEqual(
        Array.from(words.slice(id * 8, id * 8 + 8)),
      );
    });
  });

  it("token classification drops the virtual positions: logits [B, S, C] equal the cropped prepended run", async () => {
    const config = parseBertConfig({
      model_type: "bert",
      vocab_size: 24,
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 12,
      max_position_embeddings: 10,
      num_labels: 4,
    });
    const model = new BertForTokenClassification(config, { seed: 3 });
    const adapted = promptTuning({
      numVirtualTokens: P,
      init: { text: "x", tokenizer: fakeTokenizer },
    }).apply(model);
    const { graph } = traceForward(adapted, { batchSize: 3, seqLength: 5 });
    expect(graph.nodes[graph.outputs.get("logits")!]!.shape).toEqual([3, 5, 4]);
    const viaPrompt = await logitsOf(adapted, batch);
    const full = await logitsOf(model, prepended(batch, virtualIds)); // [3, 7, 4]
    const cropped = Array.from({ length: 3 }, (_, r) =>
      Array.from(full.slice(r * 28 + 8, r * 28 + 28)),
    ).flat();
    expect(maxAbsDiff(viaPrompt, cropped)).toBeLessThan(1e-6);
  });

  it("trains only the prompt and the head; gradients of the prompt match finite differences", async () => {
    const base = tinyBert(2);
    const adapted = promptTuning({ numVirtualTokens: P, seed: 4 }).apply(base);
    expect(
      adapted
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n, p]) => `${n} [${p.shape}]`),
    ).toEqual([
      "bert.embeddings.word_embeddings.prompt_embeddings [2,8]",
      "classifier.weight [3,8]",
      "classifier.bias [3]",
    ]);
    expect(adapted.getSubmodule("bert.embeddings.word_embeddings")).toBeInstanceOf(PromptWordEmbeddings);
    const r = checkParameterGradients(adapted, batch, (path) => path.endsWith("prompt_embeddings"), {
      perParameter: 8,
    });
    expect(r.maxGradient).toBeGreaterThan(1e-6);
    expect(r.maxError / r.maxGradient, r.worst).toBeLessThan(1e-5);
    const { changed } = await expectOnlyMethodParamsTrain(adapted, {
      base,
      batch,
      steps: 5,
      lr: 0.05,
      trained: (path) => path.endsWith("prompt_embeddings") || path.startsWith("classifier."),
    });
    expect(changed).toEqual([
      "bert.embeddings.word_embeddings.prompt_embeddings",
      "classifier.weight",
      "classifier.bias",
    ]);
  });

  it("rejects prompts that do not fit and bad options, saying what to change", () => {
    expect(() => promptTuning({ numVirtualTokens: 0 })).toThrow(/positive integer, got 0/);
    expect(() => promptTuning({ numVirtualTokens: 8 }).apply(tinyBert())).toThrow(
      /leave no room in max_position_embeddings 8/,
    );
    const adapted = promptTuning({ numVirtualTokens: 3 }).apply(tinyBert());
    expect(() => traceForward(adapted, { batchSize: 1, seqLength: 6 })).toThrow(
      /6 tokens \+ 3 virtual tokens exceeds max_position_embeddings 8; truncate inputs to 5 tokens/,
    );
    const badIds = { encode: () => ({ ids: [99] }) };
    expect(() =>
      promptTuning({ numVirtualTokens: 2, init: { text: "x", tokenizer: badIds } }).apply(tinyBert()),
    ).toThrow(/token id 99 is outside the model's vocabulary \(size 24\)/);
  });
});
