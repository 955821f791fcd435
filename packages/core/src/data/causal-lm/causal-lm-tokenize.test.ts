import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../../errors.js";
import { findRepoRoot } from "../../testing/parity-fixtures.js";
import { loadTokenizer } from "../tokenizer.js";
import type { CausalLmExample } from "./causal-lm-examples.js";
import { alpacaPrompt, tokenizeCausalLm } from "./causal-lm-tokenize.js";
import { ChatTemplate } from "./chat-template.js";
import { byteLevelTokenizer, CHATML_TEMPLATE } from "./test-tokenizer.js";

const tok = byteLevelTokenizer();
const template = new ChatTemplate(CHATML_TEMPLATE);
const IM_END = tok.tokenToId("<|im_end|>")!;
const EOT = tok.tokenToId("<|endoftext|>")!;

/** The text of the supervised tokens of a row, in runs (one string per contiguous run). */
function supervisedRuns(labels: Int32Array): string[] {
  const runs: number[][] = [];
  let open = false;
  for (const id of labels) {
    if (id === -100) open = false;
    else {
      if (!open) runs.push([]);
      runs.at(-1)!.push(id);
      open = true;
    }
  }
  return runs.map((r) => tok.decode(r, { skipSpecialTokens: false }));
}

describe("tokenizeCausalLm", () => {
  it("text: every token supervised, BOS/EOS added when given, labels equal ids", () => {
    const d = tokenizeCausalLm([{ format: "text", text: "the cat" }], tok, {
      maxLength: 64,
      bosId: EOT,
      eosId: EOT,
    });
    const ids = [...d.ids[0]!];
    expect(ids[0]).toBe(EOT);
    expect(ids.at(-1)).toBe(EOT);
    expect(tok.decode(ids.slice(1, -1))).toBe("the cat");
    expect([...d.tokenLabels[0]!]).toEqual(ids);
    expect(d.numLossTokens).toBe(ids.length - 1);
  });

  it("prompt-completion: -100 on the prompt, the completion and EOS supervised", () => {
    const d = tokenizeCausalLm([{ format: "prompt-completion", prompt: "2+2=", completion: " 4" }], tok, {
      maxLength: 64,
      eosId: IM_END,
    });
    const prompt = tok.tokenize("2+2=");
    const labels = [...d.tokenLabels[0]!];
    expect(labels.slice(0, prompt.length).every((l) => l === -100)).toBe(true);
    expect(supervisedRuns(d.tokenLabels[0]!)).toEqual([" 4<|im_end|>"]);
    // completionOnly: false supervises the prompt too
    const all = tokenizeCausalLm([{ format: "prompt-completion", prompt: "2+2=", completion: " 4" }], tok, {
      maxLength: 64,
      completionOnly: false,
    });
    expect([...all.tokenLabels[0]!]).toEqual([...all.ids[0]!]);
  });

  it("alpaca: the Stanford prompt (with and without input) masked, the output supervised", () => {
    const examples: CausalLmExample[] = [
      { format: "alpaca", instruction: "Add.", input: "2 and 3", output: "5" },
      { format: "alpaca", instruction: "Say hi.", input: "", output: "hi" },
    ];
    const d = tokenizeCausalLm(examples, tok, { maxLength: 256 });
    expect(tok.decode([...d.ids[0]!])).toBe(`${alpacaPrompt("Add.", "2 and 3")}5`);
    expect(alpacaPrompt("Say hi.", "")).not.toContain("### Input");
    expect(supervisedRuns(d.tokenLabels[0]!)).toEqual(["5"]);
    expect(supervisedRuns(d.tokenLabels[1]!)).toEqual(["hi"]);
  });

  it("chat: only the assistant turns (with <|im_end|>) are supervised; assistantOnly false supervises all", () => {
    const chat: CausalLmExample = {
      format: "chat",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Capital of France?" },
        { role: "assistant", content: "Paris" },
        { role: "user", content: "And of Italy?" },
        { role: "assistant", content: "Rome" },
      ],
    };
    const d = tokenizeCausalLm([chat], tok, { maxLength: 256, chatTemplate: template });
    expect(tok.decode([...d.ids[0]!], { skipSpecialTokens: false })).toBe(template.render(chat.messages));
    expect(supervisedRuns(d.tokenLabels[0]!)).toEqual(["Paris<|im_end|>\n", "Rome<|im_end|>\n"]);
    // special tokens of the template are single added-token ids, never supervised in the prompt part
    expect(d.ids[0]!.filter((id) => id === IM_END)).toHaveLength(5);
    const all = tokenizeCausalLm([chat], tok, {
      maxLength: 256,
      chatTemplate: template,
      assistantOnly: false,
    });
    expect([...all.tokenLabels[0]!]).toEqual([...all.ids[0]!]);
    expect([...all.ids[0]!]).toEqual([...d.ids[0]!]);
  });

  it("truncates to maxLength, counts truncated rows, drops rows left without a supervised token", () => {
    const examples: CausalLmExample[] = [
      { format: "prompt-completion", prompt: "a long prompt here", completion: " yes" },
      { format: "prompt-completion", prompt: "hi", completion: " there and more words" },
      { format: "prompt-completion", prompt: "x", completion: "" },
    ];
    const d = tokenizeCausalLm(examples, tok, { maxLength: 8 });
    expect(d.dropped).toEqual([0, 2]);
    expect(d.ids).toHaveLength(1);
    expect(d.lengths[0]).toBe(8);
    expect(d.numTruncated).toBe(1);
    expect(d.tokenLabels[0]!).toHaveLength(8);
  });

  it("typed errors: no chat template, bad maxLength, bad special ids, nothing supervised", () => {
    const chat: CausalLmExample = { format: "chat", messages: [{ role: "assistant", content: "x" }] };
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isTunekitError(e) ? e.code : "not a TunekitError";
      }
      return undefined;
    };
    expect(code(() => tokenizeCausalLm([chat], tok, { maxLength: 8 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => tokenizeCausalLm([chat], tok, { maxLength: 1, chatTemplate: template }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(code(() => tokenizeCausalLm([chat], tok, { maxLength: 8, eosId: 1e9 }))).toBe("INVALID_ARGUMENT");
    expect(
      code(() =>
        tokenizeCausalLm([{ format: "prompt-completion", prompt: "a", completion: "" }], tok, {
          maxLength: 8,
        }),
      ),
    ).toBe("DATA_INVALID");
  });

  it("works with a WordPiece tokenizer too (bert-base-uncased: mechanics only)", async () => {
    const bert = await loadTokenizer(join(findRepoRoot()!, "../shared/tokenizers/bert-base-uncased"));
    const d = tokenizeCausalLm(
      [{ format: "prompt-completion", prompt: "hello", completion: " world" }],
      bert,
      {
        maxLength: 16,
        bosId: bert.tokenToId("[CLS]")!,
        eosId: bert.tokenToId("[SEP]")!,
      },
    );
    expect([...d.ids[0]!]).toEqual([101, 7592, 2088, 102]);
    expect([...d.tokenLabels[0]!]).toEqual([-100, -100, 2088, 102]);
  });
});
