import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../data/random.js";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes, hostileJson } from "../testing/properties.js";
import { readSafetensors } from "./safetensors.js";
import { readSafetensorsFile } from "./safetensors-file.js";

// Hostile safetensors: every input either reads or throws a typed TunekitError
// (SAFETENSORS_INVALID), each within 1 s, never allocating more than the input implies.
const CODES = ["SAFETENSORS_INVALID"] as const;
const enc = new TextEncoder();

/** A safetensors file from a header object and a data region (length prefix computed). */
function build(header: unknown, data: Uint8Array): Uint8Array {
  return buildRaw(JSON.stringify(header), data);
}

/** A safetensors file from header text (not necessarily JSON) and a data region. */
function buildRaw(headerText: string, data: Uint8Array): Uint8Array {
  const h = enc.encode(headerText);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A valid file with one tensor of every dtype, metadata, and unaligned offsets. */
const HEADER = {
  __metadata__: { format: "pt", note: "fuzz" },
  f32: { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
  f16: { dtype: "F16", shape: [3], data_offsets: [24, 30] },
  bf16: { dtype: "BF16", shape: [1, 1], data_offsets: [30, 32] },
  f64: { dtype: "F64", shape: [2], data_offsets: [32, 48] },
  i64: { dtype: "I64", shape: [2], data_offsets: [48, 64] },
  i32: { dtype: "I32", shape: [], data_offsets: [64, 68] },
  i8: { dtype: "I8", shape: [3], data_offsets: [68, 71] },
  u8: { dtype: "U8", shape: [2], data_offsets: [71, 73] },
  bool: { dtype: "BOOL", shape: [3], data_offsets: [73, 76] },
  empty: { dtype: "F32", shape: [0, 5], data_offsets: [76, 76] },
};
// Small byte values; the I64 region holds 5 and -7 (int32 range) so the file is valid.
const DATA = Uint8Array.from({ length: 76 }, (_, i) => (i * 37) % 7);
DATA.set([5, 0, 0, 0, 0, 0, 0, 0, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 48);
const VALID = build(HEADER, DATA);

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-st-fuzz-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (bytes: Uint8Array) => () => readSafetensors(bytes, { source: "fuzz.safetensors" });

function tally(outcomes: HostileOutcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

describe("safetensors under hostile input", () => {
  it("the valid file reads (so the mutations below start from a good file)", () => {
    const { tensors, metadata } = readSafetensors(VALID);
    expect([...tensors.keys()]).toHaveLength(10);
    expect(metadata).toEqual({ format: "pt", note: "fuzz" });
    expect(tensors.get("empty")?.shape).toEqual([0, 5]);
    expect([...(tensors.get("i64")?.data ?? [])]).toEqual([5, -7]);
  });

  it("400 seeded byte mutations of the whole file: read or SAFETENSORS_INVALID, each < 1 s", async () => {
    const outcomes: HostileOutcome[] = [];
    for (const { bytes, what } of mutations(VALID, 400, 1127)) {
      outcomes.push(await runHostileCase(what, read(bytes), { codes: CODES }));
    }
    const t = tally(outcomes);
    expect(t.SAFETENSORS_INVALID ?? 0).toBeGreaterThan(200);
    expect(t.ok ?? 0).toBeGreaterThan(0); // flips inside the data region are still valid files
  });

  it("400 seeded mutations of the header text with a consistent length prefix", async () => {
    const header = enc.encode(JSON.stringify(HEADER));
    const outcomes: HostileOutcome[] = [];
    for (const { bytes: h, what } of mutations(header, 400, 2026)) {
      const file = new Uint8Array(8 + h.length + DATA.length);
      new DataView(file.buffer).setBigUint64(0, BigInt(h.length), true);
      file.set(h, 8);
      file.set(DATA, 8 + h.length);
      outcomes.push(await runHostileCase(what, read(file), { codes: CODES }));
    }
    expect(tally(outcomes).SAFETENSORS_INVALID ?? 0).toBeGreaterThan(200);
  });

  it("300 seeded structural header mutations (a dtype, shape, offset or entry replaced)", async () => {
    const rng = mulberry32(99);
    const outcomes: HostileOutcome[] = [];
    for (let i = 0; i < 300; i++) {
      const { doc, path } = mutateJson(HEADER, rng);
      outcomes.push(await runHostileCase(`case ${i}: ${path}`, read(build(doc, DATA)), { codes: CODES }));
    }
    expect(tally(outcomes).SAFETENSORS_INVALID ?? 0).toBeGreaterThan(150);
  });

  it("crafted files: lengths, overflowing shapes, overlaps, deep nesting, NUL, invalid UTF-8", async () => {
    const prefix = (n: bigint, rest: number[] = []): Uint8Array => {
      const b = new Uint8Array(8 + rest.length);
      new DataView(b.buffer).setBigUint64(0, n, true);
      b.set(rest, 8);
      return b;
    };
    const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
    const crafted: [string, Uint8Array][] = [
      ["empty file", new Uint8Array(0)],
      ["7 bytes", new Uint8Array(7)],
      ["header length 0", prefix(0n)],
      ["header length 2^64-1", prefix(2n ** 64n - 1n, [0x7b, 0x7d])],
      ["header length 2^53+1", prefix(2n ** 53n + 1n, [0x7b, 0x7d])],
      ["header length past the end", prefix(1000n, [0x7b, 0x7d])],
      ["header 'null'", build(null, new Uint8Array(0))],
      ["header is an array", build([1, 2], new Uint8Array(0))],
      ["header with NUL", prefix(3n, [0x7b, 0x00, 0x7d])],
      ["header invalid UTF-8", prefix(4n, [0x7b, 0x22, 0xff, 0x7d])],
      [
        "deeply nested header (100k)",
        buildRaw(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, new Uint8Array(0)),
      ],
      [
        "deeply nested metadata (100k)",
        buildRaw(
          `{"__metadata__":{"a":${'{"b":'.repeat(100_000)}1${"}".repeat(100_000)}}}`,
          new Uint8Array(0),
        ),
      ],
      ["unterminated header string", buildRaw('{"a": {"dtype": "F32', new Uint8Array(0))],
      [
        "shape product overflows",
        build({ a: t("F32", [2 ** 40, 2 ** 40, 2 ** 40], [0, 4]) }, new Uint8Array(4)),
      ],
      ["shape with 2^53", build({ a: t("F32", [2 ** 53], [0, 4]) }, new Uint8Array(4))],
      ["shape of -1", build({ a: t("F32", [-1], [0, 4]) }, new Uint8Array(4))],
      ["shape of 1.5", build({ a: t("F32", [1.5], [0, 4]) }, new Uint8Array(4))],
      ["shape as string", build({ a: t("F32", "4", [0, 4]) }, new Uint8Array(4))],
      ["offsets reversed", build({ a: t("F32", [1], [4, 0]) }, new Uint8Array(4))],
      ["offsets 3 long", build({ a: t("F32", [1], [0, 4, 8]) }, new Uint8Array(4))],
      ["offsets past the end", build({ a: t("F32", [1], [2 ** 50, 2 ** 50 + 4]) }, new Uint8Array(4))],
      [
        "overlapping tensors",
        build({ a: t("F32", [1], [0, 4]), b: t("F32", [1], [0, 4]) }, new Uint8Array(4)),
      ],
      [
        "gap between tensors",
        build({ a: t("F32", [1], [0, 4]), b: t("F32", [1], [8, 12]) }, new Uint8Array(12)),
      ],
      ["trailing bytes", build({ a: t("F32", [1], [0, 4]) }, new Uint8Array(9))],
      ["unknown dtype", build({ a: t("F8_E4M3", [1], [0, 1]) }, new Uint8Array(1))],
      ["dtype __proto__", build({ a: t("__proto__", [1], [0, 1]) }, new Uint8Array(1))],
      ["dtype toString", build({ a: t("toString", [1], [0, 1]) }, new Uint8Array(1))],
      ["entry is a string", build({ a: "F32" }, new Uint8Array(0))],
      ["metadata with a number", build({ __metadata__: { a: 1 } }, new Uint8Array(0))],
      ["metadata null", build({ __metadata__: null }, new Uint8Array(0))],
      ["I64 outside int32", build({ a: t("I64", [1], [0, 8]) }, Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]))],
    ];
    for (const [label, bytes] of crafted) {
      expect(await runHostileCase(label, read(bytes), { codes: CODES }), label).toBe("SAFETENSORS_INVALID");
    }
    // A UTF-8 BOM before the header JSON is tolerated (the decoder drops it), as an empty file.
    expect(readSafetensors(prefix(5n, [0xef, 0xbb, 0xbf, 0x7b, 0x7d])).tensors.size).toBe(0);
    // Valid but odd: rank 100,000 (all ones) is a legal shape, read in well under the bound.
    expect(
      await runHostileCase(
        "rank 100k",
        () => readSafetensors(build({ a: t("F32", Array(100_000).fill(1), [0, 4]) }, new Uint8Array(4))),
        { codes: CODES },
      ),
    ).toBe("ok");
    // Valid but odd: a tensor named __proto__, unaligned F32, a zero-size tensor with a huge dim.
    const odd = buildRaw(
      '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[1,5]},' +
        '"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' +
        `"z":{"dtype":"F32","shape":[0,${2 ** 52}],"data_offsets":[5,5]}}`,
      Uint8Array.from([9, 0, 0, 128, 63]),
    );
    const ok = readSafetensors(odd);
    expect(ok.tensors.get("__proto__")?.data[0]).toBe(1);
    expect(ok.tensors.get("z")?.data.length).toBe(0);
  });

  it("files on disk: a directory, a truncated file and a huge header prefix are typed errors", async () => {
    await writeFile(join(dir, "cut.safetensors"), VALID.subarray(0, 40));
    expect(
      await runHostileCase("truncated", () => readSafetensorsFile(join(dir, "cut.safetensors")), {
        codes: CODES,
      }),
    ).toBe("SAFETENSORS_INVALID");
    expect(await runHostileCase("directory", () => readSafetensorsFile(dir), { codes: ["IO_ERROR"] })).toBe(
      "IO_ERROR",
    );
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N runs N times as many cases):
// any bytes drawn from edits of the valid file, a valid prefix plus noise, or plain noise,
// and any JSON header made from the valid one, read or fail with SAFETENSORS_INVALID.
describe("safetensors: fast-check properties", () => {
  it("hostile bytes of the whole file", async () => {
    const t = await assertHostileProperty(hostileBytes(VALID), (b) => read(b)(), {
      codes: CODES,
      seed: 11,
      numRuns: 400,
    });
    expect(t.SAFETENSORS_INVALID ?? 0).toBeGreaterThan(100);
  });

  it("hostile JSON headers (one value replaced or deleted) with a consistent length prefix", async () => {
    const t = await assertHostileProperty(hostileJson(HEADER), (doc) => read(build(doc, DATA))(), {
      codes: CODES,
      seed: 12,
      numRuns: 400,
    });
    expect(t.SAFETENSORS_INVALID ?? 0).toBeGreaterThan(100);
  });
});
