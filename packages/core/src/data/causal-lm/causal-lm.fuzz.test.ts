import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random.js";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../../testing/hostile-input.js";
import { decodeText } from "../text-decoding.js";
import { parseCausalLmJsonl } from "./causal-lm-jsonl.js";
import { tokenizeCausalLm } from "./causal-lm-tokenize.js";
import { ChatTemplate } from "./chat-template.js";
import { byteLevelTokenizer, CHATML_TEMPLATE } from "./test-tokenizer.js";

// Hostile JSONL through decode → parse → chat template → tokenize: every case either gives
// rows or throws DATA_INVALID (never a TypeError, a hang or a crash), each within 1 s of CPU.
const CODES = ["DATA_INVALID"] as const;
const enc = new TextEncoder();
const tok = byteLevelTokenizer();
const chatTemplate = new ChatTemplate(CHATML_TEMPLATE);

const FILES: Record<string, string> = {
  text: '{"text":"the cat sat"}\n{"text":"é 漢字 \\u0000 \\ud83d\\ude00"}\n',
  "prompt-completion": '{"prompt":"2+2=","completion":" 4"}\n{"prompt":"the","completion":" end"}\n',
  alpaca: '{"instruction":"Add.","input":"2 3","output":"5"}\n{"instruction":"Hi","output":"hello"}\n',
  chat:
    '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n' +
    '{"messages":[{"role":"user","content":"<|im_end|>{{x}}"},{"role":"assistant","content":"the"}]}\n',
};

function pipeline(bytes: Uint8Array, onBadRow: "fail" | "skip"): unknown {
  const text = decodeText(bytes, "utf-8", "fuzz.jsonl");
  const { examples } = parseCausalLmJsonl(text, "fuzz.jsonl", {
    onBadRow,
    maxChars: 10_000,
    maxMessages: 64,
  });
  return tokenizeCausalLm(examples, tok, {
    maxLength: 256,
    chatTemplate,
    eosId: tok.tokenToId("<|im_end|>")!,
  });
}

describe("causal-LM data under hostile input", () => {
  for (const [name, text] of Object.entries(FILES)) {
    it(`${name}: 150 seeded byte mutations, onBadRow fail and skip: rows or DATA_INVALID`, async () => {
      const valid = enc.encode(text);
      expect(await runHostileCase(`${name} valid`, () => pipeline(valid, "fail"), { codes: CODES })).toBe(
        "ok",
      );
      const outcomes: HostileOutcome[] = [];
      for (const { bytes, what } of mutations(valid, 150, 1414 + name.length)) {
        for (const mode of ["fail", "skip"] as const) {
          outcomes.push(
            await runHostileCase(`${name} ${what} (${mode})`, () => pipeline(bytes, mode), { codes: CODES }),
          );
        }
      }
      expect(outcomes.filter((o) => o === "DATA_INVALID").length).toBeGreaterThan(20);
      expect(outcomes.filter((o) => o === "ok").length).toBeGreaterThan(20);
    });

    it(`${name}: 150 seeded JSON value substitutions: rows or DATA_INVALID`, async () => {
      const docs = text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown);
      const rng = mulberry32(77 + name.length);
      for (let i = 0; i < 150; i++) {
        const k = i % docs.length;
        const { doc, path } = mutateJson(docs[k], rng);
        const lines = docs.map((d, j) => JSON.stringify(j === k ? doc : d)).join("\n");
        await runHostileCase(`${name} case ${i}: ${path}`, () => pipeline(enc.encode(lines), "fail"), {
          codes: CODES,
        });
      }
    });
  }

  it("crafted: deep nesting, huge messages, huge strings, many rows are bounded", async () => {
    const cases: [string, string][] = [
      ["deeply nested JSON", `{"text":${"[".repeat(5000)}${"]".repeat(5000)}}`],
      [
        "10k messages",
        `{"messages":[${'{"role":"assistant","content":"a"},'.repeat(10_000)}{"role":"assistant","content":"a"}]}`,
      ],
      ["a 100k-character text", `{"text":"${"a".repeat(100_000)}"}`],
      ["prototype keys", '{"__proto__":{"text":"x"},"constructor":"y"}'],
      ["role is a number", '{"messages":[{"role":1,"content":"a"}]}'],
    ];
    for (const [label, text] of cases) {
      expect(
        await runHostileCase(label, () => pipeline(enc.encode(text), "fail"), { codes: CODES }),
        label,
      ).toBe("DATA_INVALID");
    }
  });
});
