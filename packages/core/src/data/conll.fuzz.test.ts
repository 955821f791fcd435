import { describe, expect, it } from "vitest";
import { type HostileOutcome, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes } from "../testing/properties.js";
import { parseConll } from "./conll.js";

// Hostile CoNLL text: every input either parses or throws DATA_INVALID, each case within 1 s.
const CODES = ["DATA_INVALID"] as const;
const VALID = [
  "-DOCSTART- -X- -X- O",
  "",
  "EU NNP B-NP B-ORG",
  "rejects VBZ B-VP O",
  "German JJ B-NP B-MISC",
  "call NN I-NP O",
  "",
  "Peter NNP B-NP B-PER",
  "Blackburn NNP I-NP I-PER",
  "",
].join("\n");

describe("CoNLL files under hostile input", () => {
  it("200 seeded byte mutations: parses or DATA_INVALID, each < 1 s", async () => {
    const valid = new TextEncoder().encode(VALID);
    const decoder = new TextDecoder();
    const outcomes: HostileOutcome[] = [];
    for (const { bytes, what } of mutations(valid, 200, 2003)) {
      outcomes.push(
        await runHostileCase(what, () => parseConll(decoder.decode(bytes), "x.conll"), { codes: CODES }),
      );
    }
    expect(outcomes.filter((o) => o === "ok").length).toBeGreaterThan(20);
    expect(outcomes.filter((o) => o === "DATA_INVALID").length).toBeGreaterThan(20);
  });

  it("crafted: huge lines, endless sentences, only separators, NUL and odd whitespace", async () => {
    const cases: [string, string, HostileOutcome][] = [
      ["a 2M-character line", `${"x".repeat(2_000_000)} O\n`, "DATA_INVALID"],
      ["200k words without a blank line", "w O\n".repeat(200_000), "DATA_INVALID"],
      ["50k one-word sentences", "w O\n\n".repeat(50_000), "ok"],
      ["200k blank lines", "\n".repeat(200_000), "DATA_INVALID"],
      ["only -DOCSTART-", "-DOCSTART-\n".repeat(1000), "DATA_INVALID"],
      ["NUL bytes in words", "a\u0000b O\nc O\n", "ok"],
      ["lone CR line breaks (one line of 3 columns)", "a O\rb O\r", "ok"],
      ["mixed tabs and spaces", "a \t O\nb\t\tO\n", "ok"],
      ["tags named like prototype members", "a __proto__\nb constructor\n", "ok"],
      ["empty", "", "DATA_INVALID"],
    ];
    for (const [label, text, want] of cases) {
      expect(await runHostileCase(label, () => parseConll(text, "x.conll"), { codes: CODES }), label).toBe(
        want,
      );
    }
  });
});

// Property-based (fast-check, fixed seed; TUNEKIT_FUZZ_SCALE=N for N times the cases).
describe("CoNLL files: fast-check properties", () => {
  it("hostile bytes of a valid file: parses or DATA_INVALID", async () => {
    const decoder = new TextDecoder();
    const t = await assertHostileProperty(
      hostileBytes(new TextEncoder().encode(VALID)),
      (b) => parseConll(decoder.decode(b), "x.conll"),
      { codes: CODES, seed: 71, numRuns: 400 },
    );
    expect(t.ok ?? 0).toBeGreaterThan(20);
    expect(t.DATA_INVALID ?? 0).toBeGreaterThan(20);
  });
});
