import { createBertForTask, isTunekitError } from "@tunekit/core";
import { parseBertConfig } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { ConfigValidator } from "./config/validate.js";
import { createStrategy, KNOWN_METHODS, parseStrategySpec } from "./strategy-config.js";

const tinyConfig = parseBertConfig({
  model_type: "bert",
  vocab_size: 20,
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 16,
  max_position_embeddings: 16,
  num_labels: 3,
});
const v = new ConfigValidator("cfg.json");

function trainableNames(model: ReturnType<typeof createBertForTask<"sequence-classification">>): string[] {
  return model
    .namedParameters()
    .filter(([, p]) => p.trainable)
    .map(([n]) => n);
}

describe("strategy config", () => {
  it("parses a method name or a block with options", () => {
    expect(parseStrategySpec(v, "head-only")).toEqual({ method: "head-only", options: {} });
    expect(parseStrategySpec(v, { method: "lora", r: 8, alpha: 16 })).toEqual({
      method: "lora",
      options: { r: 8, alpha: 16 },
    });
    expect(KNOWN_METHODS.slice(0, 2)).toEqual(["full", "head-only"]);
  });

  it("rejects unknown methods and options of built-in methods, naming them", () => {
    expect(() => parseStrategySpec(v, { method: "qlora" })).toThrow(
      /cfg.json: strategy.method is "qlora"; expected one of "full", "head-only", "lora"/,
    );
    expect(() => parseStrategySpec(v, { method: "full", r: 8 })).toThrow(
      /strategy.r is 8; expected no such key/,
    );
    expect(() => parseStrategySpec(v, { method: "head-only", trainable: "bert" })).toThrow(
      /strategy.trainable is "bert"; expected a list/,
    );
  });

  it("full trains every parameter; head-only trains the classifier (plus extra patterns)", async () => {
    const model = createBertForTask(tinyConfig, { task: "sequence-classification" });
    const all = model.namedParameters().length;
    const head = (await createStrategy({ method: "head-only", options: {} })).apply(model);
    expect(trainableNames(head)).toEqual(["classifier.weight", "classifier.bias"]);
    const withPooler = (
      await createStrategy({ method: "head-only", options: { trainable: ["bert.pooler"] } })
    ).apply(model);
    expect(trainableNames(withPooler).sort()).toEqual(
      ["bert.pooler.dense.bias", "bert.pooler.dense.weight", "classifier.bias", "classifier.weight"].sort(),
    );
    const full = (await createStrategy({ method: "full", options: {} })).apply(model);
    expect(trainableNames(full)).toHaveLength(all);
  });

  it("delegates other methods to @tunekit/strategies (rslora: lora with useRslora)", async () => {
    const s = await createStrategy({ method: "lora", options: { r: 2, alpha: 4 } });
    expect(s.method).toBe("lora");
    const adapted = s.apply(createBertForTask(tinyConfig, { task: "sequence-classification" }));
    const names = trainableNames(adapted);
    // 1 layer x {query, value} x {A, B}, plus the classifier (PEFT's modules_to_save)
    expect(names.filter((n) => /lora/i.test(n))).toHaveLength(4);
    expect(names).toContain("classifier.weight");
    const rs = await createStrategy({ method: "rslora", options: { r: 4 } });
    expect(rs.options).toMatchObject({ r: 4, useRslora: true });
  });

  it("option typos and bad option values are config errors naming the key", async () => {
    const typo = await createStrategy({ method: "lora", options: { r: 4, alhpa: 8 } }, "train.json").catch(
      (x: unknown) => x,
    );
    expect(isTunekitError(typo, "CONFIG_INVALID")).toBe(true);
    expect((typo as Error).message).toContain(
      'train.json: strategy.alhpa is 8; expected no such key (did you mean "alpha"?)',
    );
    const bad = await createStrategy({ method: "lora", options: { r: 0 } }, "train.json").catch(
      (x: unknown) => x,
    );
    expect(isTunekitError(bad, "CONFIG_INVALID")).toBe(true);
    expect((bad as Error).message).toMatch(
      /^train\.json: strategy \(lora\): .*r must be a positive integer, got 0/,
    );
    const arch = await createStrategy({ method: "adapter", options: { architecture: "nope" } }).catch(
      (x: unknown) => x,
    );
    expect((arch as Error).message).toContain('unknown adapter architecture "nope"');
    const houlsby = await createStrategy({
      method: "adapter",
      options: { architecture: "houlsby", reductionFactor: 8 },
    });
    expect(houlsby.options).toMatchObject({ reductionFactor: 8 });
  });

  it('prompt tuning\'s "init": { "text" } embeds the text with the run\'s tokenizer', async () => {
    const tokenizer = { encode: (text: string) => ({ ids: text.split(" ").map((w) => w.length + 3) }) };
    const spec = { method: "prompt", options: { numVirtualTokens: 3, init: { text: "a great film" } } };
    const strategy = await createStrategy(spec, "cfg.json", { tokenizer });
    expect(strategy.options).toMatchObject({ init: { text: "a great film" } });
    const model = createBertForTask(tinyConfig, { task: "sequence-classification", seed: 2 });
    const adapted = strategy.apply(model);
    const prompt = adapted.namedParameters().find(([n]) => n.endsWith("prompt_embeddings"))![1].value;
    const words = model.getParameter("bert.embeddings.word_embeddings.weight").value;
    const h = tinyConfig.hiddenSize;
    [4, 8, 7].forEach((id, row) => {
      expect(Array.from(prompt.data.slice(row * h, (row + 1) * h))).toEqual(
        Array.from(words.data.slice(id * h, (id + 1) * h)),
      );
    });
    const err = async (p: Promise<unknown>): Promise<Error> =>
      p.then(
        () => {
          throw new Error("expected a rejection");
        },
        (e: Error) => e,
      );
    const noTok = await err(createStrategy(spec, "cfg.json"));
    expect(isTunekitError(noTok, "CONFIG_INVALID")).toBe(true);
    expect(noTok.message).toMatch(/init\.text needs the run's tokenizer/);
    const empty = await err(
      createStrategy(
        { method: "prompt", options: { numVirtualTokens: 3, init: { text: " " } } },
        "cfg.json",
        {
          tokenizer,
        },
      ),
    );
    expect(empty.message).toMatch(/strategy\.init\.text/);
    const typo = await err(
      createStrategy({ method: "prompt", options: { numVirtualTokens: 3, init: { txt: "x" } } }, "cfg.json", {
        tokenizer,
      }),
    );
    expect(typo.message).toMatch(/txt/);
  });

  it("says clearly when @tunekit/strategies lacks a method's export", async () => {
    const e = await createStrategy({ method: "no-such-method", options: {} }).catch((x: unknown) => x);
    expect(isTunekitError(e, "NOT_IMPLEMENTED")).toBe(true);
    expect((e as Error).message).toMatch(
      /strategy "no-such-method": @tunekit\/strategies has no export "noSuchMethod"/,
    );
    expect((e as Error).message).toContain('use "full" or "head-only", or another method');
  });
});
