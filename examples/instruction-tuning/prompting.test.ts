import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenizeCausalLm } from "@tunekit/core/data";
import { LlamaForCausalLM, parseLlamaConfig } from "@tunekit/core/models";
import { byteLevelTokenizer, CHATML_TEMPLATE } from "@tunekit/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { plainFormat, promptIds, promptText, readPromptFormat, trainingExample } from "./prompting.js";

const tokenizer = byteLevelTokenizer(); // 259 <|endoftext|>, 260 <|im_start|>, 261 <|im_end|>
const model = new LlamaForCausalLM(
  parseLlamaConfig({
    model_type: "llama",
    vocab_size: 262,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    bos_token_id: 259,
    eos_token_id: 259,
  }),
  { seed: 1 },
);
const query = { prompt: "Is it good? Answer yes or no.", answer: "yes" };
const demo = { prompt: "Is it bad? Answer yes or no.", answer: "no" };

describe("prompt formats", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const folder = async (config: Record<string, unknown> | undefined): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-prompt-"));
    dirs.push(dir);
    if (config !== undefined) await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(config));
    return dir;
  };

  it("a chat template makes chat prompts that stop at the end-of-turn token too", async () => {
    const dir = await folder({
      chat_template: CHATML_TEMPLATE,
      eos_token: "<|im_end|>",
      add_bos_token: true,
    });
    const format = await readPromptFormat(dir, tokenizer, model);
    expect(format.kind).toBe("chat");
    expect(format.stopIds).toEqual([259, 261]);
    expect(format.bosId).toBe(259);
    expect(promptText(format, query, [demo])).toBe(
      "<|im_start|>user\nIs it bad? Answer yes or no.<|im_end|>\n<|im_start|>assistant\nno<|im_end|>\n" +
        "<|im_start|>user\nIs it good? Answer yes or no.<|im_end|>\n<|im_start|>assistant\n",
    );
    const ids = promptIds(format, tokenizer, query, []);
    expect(ids.slice(0, 2)).toEqual([259, 260]); // BOS, then <|im_start|> as one added token
    expect(ids.filter((id) => id === 261)).toHaveLength(1);
  });

  it("without a chat template (or tokenizer config) prompts are plain text ending in Answer:", async () => {
    const format = await readPromptFormat(await folder(undefined), tokenizer, model);
    expect(format).toEqual({ kind: "plain", eosId: 259, stopIds: [259] });
    expect(promptText(format, query, [demo])).toBe(
      "Is it bad? Answer yes or no.\nAnswer: no\n\nIs it good? Answer yes or no.\nAnswer:",
    );
    expect(promptText(format, query, [])).toBe("Is it good? Answer yes or no.\nAnswer:");
  });

  it("plainFormat keeps the ids and drops the template", async () => {
    const chat = await readPromptFormat(
      await folder({ chat_template: CHATML_TEMPLATE, eos_token: "<|im_end|>" }),
      tokenizer,
      model,
    );
    expect(plainFormat(chat)).toEqual({ kind: "plain", eosId: 259, stopIds: [259, 261] });
  });

  it("refuses a tokenizer_config.json that is not JSON", async () => {
    const dir = await folder(undefined);
    await writeFile(join(dir, "tokenizer_config.json"), "{ nope");
    await expect(readPromptFormat(dir, tokenizer, model)).rejects.toThrow(
      /tokenizer_config.json is not valid JSON/,
    );
  });

  it("training rows supervise the answer (and the end of the turn) only", async () => {
    const chat = await readPromptFormat(
      await folder({ chat_template: CHATML_TEMPLATE, eos_token: "<|im_end|>" }),
      tokenizer,
      model,
    );
    for (const format of [chat, plainFormat(chat)]) {
      const data = tokenizeCausalLm([trainingExample(format, query)], tokenizer, {
        maxLength: 256,
        ...(format.kind === "chat" ? { chatTemplate: format.template } : {}),
        ...(format.eosId === undefined ? {} : { eosId: format.eosId }),
      });
      const labels = [...data.tokenLabels[0]!].filter((l) => l !== -100);
      expect(tokenizer.decode(labels), format.kind).toBe(
        format.kind === "chat" ? "yes<|im_end|>\n" : " yes<|endoftext|>",
      );
    }
  });
});
