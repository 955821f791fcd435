import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { TunekitError } from "../errors.js";
import { parseLlamaConfig } from "../models/llama/llama-config.js";
import { LlamaForCausalLM } from "../models/llama/llama-model.js";
import { TINY_LLAMA } from "../models/llama/config.test-helpers.js";
import { generate } from "./generate.js";
import type { TokenDecoder } from "./generate-options.js";

const model = new LlamaForCausalLM(parseLlamaConfig({ ...TINY_LLAMA, eos_token_id: 2 }), { seed: 3 });
const backend = createReferenceBackend();
const prompts = [[5, 9, 14, 30], [7]];
const letters: TokenDecoder = {
  decode: (ids) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join(""),
};

describe("generate", () => {
  it("sampling with a seed is reproducible, and top-k 1 equals greedy", async () => {
    const opts = { maxNewTokens: 6, stopTokenIds: [], temperature: 1.5, topP: 0.95, seed: 11 } as const;
    const a = await generate(model, backend, prompts, opts);
    const b = await generate(model, backend, prompts, opts);
    expect(a.sequences.map((s) => s.tokens)).toEqual(b.sequences.map((s) => s.tokens));
    const other = await generate(model, backend, prompts, { ...opts, seed: 12 });
    expect(other.sequences.map((s) => s.tokens)).not.toEqual(a.sequences.map((s) => s.tokens));
    const greedy = await generate(model, backend, prompts, { maxNewTokens: 6, stopTokenIds: [] });
    const topK1 = await generate(model, backend, prompts, { ...opts, topK: 1 });
    expect(topK1.sequences.map((s) => s.tokens)).toEqual(greedy.sequences.map((s) => s.tokens));
    // row 0's sample does not depend on the other rows of the batch (nor on their padding)
    const alone = await generate(model, backend, [prompts[0]!], opts);
    expect(alone.sequences[0]!.tokens).toEqual(a.sequences[0]!.tokens);
  });

  it("onToken streams every new token of every row, in order, as it is chosen", async () => {
    const seen: [number, number][] = [];
    const result = await generate(model, backend, prompts, {
      maxNewTokens: 5,
      stopTokenIds: [],
      onToken: (row, id) => void seen.push([row, id]),
    });
    for (const row of [0, 1]) {
      expect(seen.filter(([r]) => r === row).map(([, id]) => id)).toEqual(result.sequences[row]!.tokens);
    }
    expect(seen.map(([r]) => r)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it("the cached and uncached paths agree when sampling, and compile two graphs and one", async () => {
    const opts = { maxNewTokens: 9, stopTokenIds: [], temperature: 0.9, topK: 20, seed: 4, lengthBucket: 4 };
    const cached = await generate(model, backend, prompts, opts);
    const full = await generate(model, backend, prompts, { ...opts, kvCache: false });
    expect(cached.sequences).toEqual(full.sequences);
    expect(cached.compiledGraphs).toEqual(["prefill:2:4:16", "decode:2:16"]);
    expect(full.compiledGraphs).toEqual(["sequence:2:16"]);
  });

  it("stops a row at a stop token (kept) or a stop string (text cut), the others run on", async () => {
    const greedy = await generate(model, backend, prompts, { maxNewTokens: 8, stopTokenIds: [] });
    const first = greedy.sequences[0]!.tokens;
    const stopAt = first[2]!;
    const cut = first.indexOf(stopAt);
    const stopped = await generate(model, backend, prompts, { maxNewTokens: 8, stopTokenIds: [stopAt] });
    expect(stopped.sequences[0]).toEqual({ tokens: first.slice(0, cut + 1), finishReason: "stop-token" });
    const text = letters.decode(first);
    const needle = text.slice(3, 5);
    const byString = await generate(model, backend, [prompts[0]!], {
      maxNewTokens: 8,
      stopTokenIds: [],
      stopStrings: [needle],
      tokenizer: letters,
    });
    const s = byString.sequences[0]!;
    expect(s.finishReason).toBe("stop-string");
    expect(s.text).toBe(text.slice(0, text.indexOf(needle)));
    expect(letters.decode(s.tokens)).toContain(needle);
    expect(greedy.sequences[1]!.finishReason).toBe("length");
    expect(greedy.sequences[1]!.tokens).toHaveLength(8);
  });

  it("refuses bad prompts and options with INVALID_ARGUMENT", async () => {
    const cases: [unknown, object, RegExp][] = [
      [[], {}, /non-empty array of prompts/],
      [[[1, 200]], {}, /prompt 0 holds 200, not a token id in \[0, 96\)/],
      [[[1]], { maxNewTokens: 0 }, /maxNewTokens must be an integer from 1/],
      [[[1]], { stopStrings: ["x"] }, /stopStrings need a tokenizer/],
      [[[1]], { paddingSide: "middle" }, /paddingSide must be "left" or "right"/],
      [[[1]], { stopTokenIds: [96] }, /stopTokenIds must be token ids in \[0, 96\), got 96/],
    ];
    for (const [p, o, message] of cases) {
      const run = generate(model, backend, p as number[][], o);
      await expect(run).rejects.toThrow(TunekitError);
      await expect(generate(model, backend, p as number[][], o)).rejects.toThrow(message);
    }
  });
});
