import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../../errors.js";
import { detectCausalLmFormat } from "./causal-lm-examples.js";
import { loadCausalLmJsonl, parseCausalLmJsonl } from "./causal-lm-jsonl.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTunekitError(e) ? e.code : `not a TunekitError: ${String(e)}`;
  }
  return undefined;
}

describe("causal-LM JSONL", () => {
  it("detects each format from the first row's keys", () => {
    expect(detectCausalLmFormat({ text: "a" })).toBe("text");
    expect(detectCausalLmFormat({ prompt: "a", completion: "b" })).toBe("prompt-completion");
    expect(detectCausalLmFormat({ instruction: "a", output: "b" })).toBe("alpaca");
    expect(detectCausalLmFormat({ messages: [] })).toBe("chat");
    expect(detectCausalLmFormat({ label: 1 })).toBeUndefined();
    expect(detectCausalLmFormat([1])).toBeUndefined();
  });

  it("parses the four formats (alpaca input optional, blank lines ignored)", () => {
    expect(parseCausalLmJsonl('{"text":"a b"}\n\n{"text":"c"}\n', "t.jsonl").examples).toEqual([
      { format: "text", text: "a b" },
      { format: "text", text: "c" },
    ]);
    expect(parseCausalLmJsonl('{"prompt":"p","completion":"c"}', "p.jsonl").format).toBe("prompt-completion");
    expect(parseCausalLmJsonl('{"instruction":"i","output":"o"}', "a.jsonl").examples[0]).toEqual({
      format: "alpaca",
      instruction: "i",
      input: "",
      output: "o",
    });
    const chat = parseCausalLmJsonl(
      '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\r\n',
      "c.jsonl",
    );
    expect(chat.examples[0]).toEqual({
      format: "chat",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
      ],
    });
  });

  it("bad rows: DATA_INVALID naming file:line and field, or skipped and reported", () => {
    const text = '{"prompt":"p","completion":"c"}\n{"prompt":3,"completion":"c"}\nnot json\n{"text":"x"}\n';
    let message = "";
    try {
      parseCausalLmJsonl(text, "d.jsonl");
    } catch (e) {
      message = e instanceof Error ? e.message : "";
    }
    expect(message).toMatch(/d\.jsonl:2: field "prompt" is number 3; expected a string/);
    const skipped = parseCausalLmJsonl(text, "d.jsonl", { onBadRow: "skip" });
    expect(skipped.examples).toHaveLength(1);
    expect(skipped.skipped.map((s) => s.line)).toEqual([2, 3, 4]);
  });

  it("typed errors for hostile shapes and sizes", () => {
    const cases: [string, string, object][] = [
      ["empty file", "", {}],
      ["unknown keys", '{"label":1}', {}],
      ["messages not an array", '{"messages":"hi"}', {}],
      ["empty messages", '{"messages":[]}', {}],
      ["no assistant", '{"messages":[{"role":"user","content":"a"}]}', {}],
      ["message not an object", '{"messages":[null]}', {}],
      ["content not a string", '{"messages":[{"role":"assistant","content":{"a":1}}]}', {}],
      ["forced format mismatch", '{"text":"a"}', { format: "chat" }],
      [
        "too many messages",
        `{"messages":[${'{"role":"assistant","content":"a"},'.repeat(5)}{"role":"assistant","content":"a"}]}`,
        { maxMessages: 4 },
      ],
      ["too many characters", `{"text":"${"a".repeat(100)}"}`, { maxChars: 50 }],
      ["too many examples", '{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n', { maxExamples: 2 }],
      ["over-long line", `{"text":"${"a".repeat(100)}"}`, { maxLineLength: 50 }],
      ["all rows skipped", "x\ny\n", { onBadRow: "skip" }],
      ["JSON array row", "[1,2]", {}],
    ];
    for (const [label, text, options] of cases) {
      expect(
        codeOf(() => parseCausalLmJsonl(text, "h.jsonl", options)),
        label,
      ).toBe("DATA_INVALID");
    }
  });

  it("loadCausalLmJsonl reads a file (BOM stripped) and rejects invalid UTF-8", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-clm-"));
    try {
      await writeFile(join(dir, "a.jsonl"), '\uFEFF{"text":"é"}\n');
      expect((await loadCausalLmJsonl(join(dir, "a.jsonl"))).examples).toEqual([
        { format: "text", text: "é" },
      ]);
      await writeFile(join(dir, "b.jsonl"), new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
      await expect(loadCausalLmJsonl(join(dir, "b.jsonl"))).rejects.toMatchObject({ code: "DATA_INVALID" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
