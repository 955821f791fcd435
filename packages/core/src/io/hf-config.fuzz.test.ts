import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../data/random.js";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes, hostileJson } from "../testing/properties.js";
import { parseBertConfig, readBertConfig } from "./hf-config.js";

// Hostile config.json: every input either parses or throws a typed TunekitError
// (CONFIG_INVALID; IO_ERROR only when the file cannot be read), each within 1 s.
const VALID = {
  model_type: "bert",
  architectures: ["BertForSequenceClassification"],
  vocab_size: 64,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  hidden_act: "gelu",
  max_position_embeddings: 16,
  id2label: { "0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2" },
  label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 },
};
const CODES = ["CONFIG_INVALID"] as const;
const enc = new TextEncoder();

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-cfg-fuzz-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readBytes(bytes: Uint8Array): Promise<unknown> {
  await writeFile(join(dir, "config.json"), bytes);
  return readBertConfig(dir);
}

/** The valid config with the bytes 0xFF 0xFE (never valid UTF-8) inside a label name. */
function withInvalidUtf8Label(): Uint8Array {
  const [head, tail] = JSON.stringify({ ...VALID, label2id: undefined, id2label: { "0": "@@" } }).split("@@");
  return new Uint8Array([...enc.encode(head), 0xff, 0xfe, ...enc.encode(tail)]);
}

function tally(outcomes: HostileOutcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

describe("config.json under hostile input", () => {
  it("300 seeded byte mutations of a valid config.json: parsed or CONFIG_INVALID, each < 1 s", async () => {
    const valid = enc.encode(JSON.stringify(VALID, null, 2));
    const outcomes: HostileOutcome[] = [];
    for (const { bytes, what } of mutations(valid, 300, 20261127)) {
      outcomes.push(await runHostileCase(what, () => readBytes(bytes), { codes: CODES }));
    }
    const t = tally(outcomes);
    expect(t.CONFIG_INVALID ?? 0).toBeGreaterThan(100); // most mutations break it...
    expect(t.ok ?? 0).toBeGreaterThan(0); // ...and some are harmless (e.g. inside a label name)
  });

  it("300 seeded structural mutations (a value replaced or deleted): parsed or CONFIG_INVALID", async () => {
    const rng = mulberry32(7);
    const outcomes: HostileOutcome[] = [];
    for (let i = 0; i < 300; i++) {
      const { doc, path } = mutateJson(VALID, rng);
      outcomes.push(await runHostileCase(`case ${i}: ${path}`, () => parseBertConfig(doc), { codes: CODES }));
    }
    expect(tally(outcomes).CONFIG_INVALID ?? 0).toBeGreaterThan(100);
  });

  it("crafted files: empty, BOM, NUL, invalid UTF-8, deep nesting, huge numbers, prototype keys", async () => {
    const crafted: [string, Uint8Array | string, HostileOutcome][] = [
      ["empty file", "", "CONFIG_INVALID"],
      ["whitespace only", " \n\t", "CONFIG_INVALID"],
      ["UTF-8 BOM before the object", `\uFEFF${JSON.stringify(VALID)}`, "CONFIG_INVALID"],
      [
        "NUL byte inside",
        `${JSON.stringify(VALID).slice(0, 10)}\u0000${JSON.stringify(VALID).slice(10)}`,
        "CONFIG_INVALID",
      ],
      ["invalid UTF-8 in a label", withInvalidUtf8Label(), "CONFIG_INVALID"],
      ["top-level array", "[1, 2, 3]", "CONFIG_INVALID"],
      ["top-level null", "null", "CONFIG_INVALID"],
      ["deeply nested arrays (100k)", `${"[".repeat(100_000)}${"]".repeat(100_000)}`, "CONFIG_INVALID"],
      [
        "deeply nested extra key (100k)",
        `{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
        "CONFIG_INVALID",
      ],
      ["unterminated string", '{"model_type": "bert', "CONFIG_INVALID"],
      ["hidden_size 1e308", JSON.stringify({ ...VALID, hidden_size: 1e308 }), "CONFIG_INVALID"],
      ["vocab_size -1", JSON.stringify({ ...VALID, vocab_size: -1 }), "CONFIG_INVALID"],
      ["num_hidden_layers 2.5", JSON.stringify({ ...VALID, num_hidden_layers: 2.5 }), "CONFIG_INVALID"],
      ["layer_norm_eps 0", JSON.stringify({ ...VALID, layer_norm_eps: 0 }), "CONFIG_INVALID"],
      [
        "id2label with a gap",
        JSON.stringify({ ...VALID, id2label: { "0": "a", "2": "b" }, label2id: undefined }),
        "CONFIG_INVALID",
      ],
      [
        "__proto__ label2id",
        '{"vocab_size":64,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"id2label":{"0":"__proto__"},"label2id":{"__proto__":0}}',
        "ok",
      ],
      [
        "__proto__ extra key",
        '{"vocab_size":64,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"__proto__":{"hidden_size":1}}',
        "ok",
      ],
      [
        "a 5 MB label",
        JSON.stringify({ ...VALID, id2label: { "0": "x".repeat(5_000_000) }, label2id: undefined }),
        "ok",
      ],
      [
        "50k labels (under the 1M limit)",
        JSON.stringify({
          ...VALID,
          label2id: undefined,
          id2label: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [String(i), `L${i}`])),
        }),
        "ok",
      ],
    ];
    for (const [label, content, want] of crafted) {
      const bytes = typeof content === "string" ? enc.encode(content) : content;
      expect(await runHostileCase(label, () => readBytes(bytes), { codes: CODES }), label).toBe(want);
    }
  });

  it("the messages of BOM and invalid UTF-8 say what is wrong and how to fix it", async () => {
    const bom = enc.encode(`\uFEFF${JSON.stringify(VALID)}`);
    await expect(readBytes(bom)).rejects.toThrow(/byte order mark \(BOM\): save it without one/);
    await expect(readBytes(withInvalidUtf8Label())).rejects.toThrow(/not valid UTF-8.*re-save it as UTF-8/);
    // The same label as valid UTF-8 is accepted (so the failure above is the encoding).
    const ok = JSON.stringify({ ...VALID, label2id: undefined, id2label: { "0": "\u00ff" } });
    expect((await readBytes(enc.encode(ok))) as { id2label: string[] }).toMatchObject({
      id2label: ["\u00ff"],
    });
  });

  it("a directory named config.json is IO_ERROR, not a crash", async () => {
    const sub = await mkdtemp(join(tmpdir(), "tunekit-cfg-dir-"));
    try {
      const { mkdir } = await import("node:fs/promises");
      await mkdir(join(sub, "config.json"));
      expect(await runHostileCase("dir", () => readBertConfig(sub), { codes: ["IO_ERROR"] })).toBe(
        "IO_ERROR",
      );
    } finally {
      await rm(sub, { recursive: true, force: true });
    }
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases).
describe("config.json: fast-check properties", () => {
  it("hostile bytes of config.json read from disk: parsed or CONFIG_INVALID", async () => {
    const t = await assertHostileProperty(
      hostileBytes(enc.encode(JSON.stringify(VALID, null, 2))),
      (b) => readBytes(b),
      { codes: CODES, seed: 21, numRuns: 200 },
    );
    expect(t.CONFIG_INVALID ?? 0).toBeGreaterThan(50);
  });

  it("hostile JSON documents (one value replaced or deleted): parsed or CONFIG_INVALID", async () => {
    const t = await assertHostileProperty(hostileJson(VALID), (doc) => parseBertConfig(doc), {
      codes: CODES,
      seed: 22,
      numRuns: 400,
    });
    expect(t.CONFIG_INVALID ?? 0).toBeGreaterThan(50);
    expect(t.ok ?? 0).toBeGreaterThan(10);
  });
});
