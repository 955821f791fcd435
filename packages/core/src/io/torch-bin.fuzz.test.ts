import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type HostileOutcome, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes } from "../testing/properties.js";
import { makeTestZip, type TestZipEntry } from "./zip.test-helpers.js";
import { readTorchCheckpoint } from "./torch-bin.js";
import { readZip } from "./zip.js";

// Hostile pytorch_model.bin files: every input either reads or throws a typed TunekitError
// (CHECKPOINT_INVALID), each within 1 s of CPU time, never running code or allocating more
// than the input implies. Seeds are fixed, counts bounded.
const CODES = ["CHECKPOINT_INVALID"] as const;
const FIXTURES = join(import.meta.dirname, "fixtures");
const ZIPPED = new Uint8Array(readFileSync(join(FIXTURES, "views.bin")));
const LEGACY = new Uint8Array(readFileSync(join(FIXTURES, "views-legacy.bin")));
const zip = readZip(ZIPPED);
const ENTRIES: TestZipEntry[] = [...zip.entries.keys()].map((name) => ({ name, data: zip.read(name) }));
const PICKLE = zip.read("views/data.pkl");

const read = (bytes: Uint8Array) => () => readTorchCheckpoint(bytes, { source: "fuzz.bin" });
const withPickle = (pkl: Uint8Array, options: { zip64?: boolean; deflate?: boolean } = {}) =>
  makeTestZip(
    ENTRIES.map((e) => ({
      name: e.name,
      data: e.name === "views/data.pkl" ? pkl : e.data,
      method: options.deflate ? 8 : 0,
    })),
    { zip64: options.zip64 === true },
  );

function tally(outcomes: HostileOutcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

async function fuzz(bytes: Uint8Array, count: number, seed: number, wrap = (b: Uint8Array) => b) {
  const outcomes: HostileOutcome[] = [];
  for (const { bytes: m, what } of mutations(bytes, count, seed)) {
    outcomes.push(await runHostileCase(what, read(wrap(m)), { codes: CODES }));
  }
  return tally(outcomes);
}

describe("pytorch_model.bin under hostile input", () => {
  it("the fixtures read (so the mutations start from good files), also deflated and zip64", () => {
    for (const bytes of [ZIPPED, LEGACY, withPickle(PICKLE, { zip64: true, deflate: true })]) {
      expect(readTorchCheckpoint(bytes).tensors.size).toBe(17);
    }
  });

  it("300 seeded byte mutations of a zip-format checkpoint", async () => {
    const t = await fuzz(ZIPPED, 300, 4242);
    expect(t.CHECKPOINT_INVALID ?? 0).toBeGreaterThan(150);
  });

  it("400 seeded mutations of data.pkl, repacked with valid CRCs (reach the unpickler)", async () => {
    const t = await fuzz(PICKLE, 400, 7, (m) => withPickle(m));
    expect(t.CHECKPOINT_INVALID ?? 0).toBeGreaterThan(200);
    expect(t.ok ?? 0).toBeGreaterThan(0); // e.g. a changed tensor name or value
  });

  it("300 seeded mutations of a legacy-format checkpoint (no CRC: every flip reaches the parser)", async () => {
    const t = await fuzz(LEGACY, 300, 99);
    expect(t.CHECKPOINT_INVALID ?? 0).toBeGreaterThan(100);
    expect(t.ok ?? 0).toBeGreaterThan(0);
  });

  it("200 seeded mutations of a deflated zip64 archive", async () => {
    const t = await fuzz(withPickle(PICKLE, { zip64: true, deflate: true }), 200, 5);
    expect(t.CHECKPOINT_INVALID ?? 0).toBeGreaterThan(100);
  });

  it("crafted files: huge lengths, deep marks, stride-0 views, rank 65, bad storages", async () => {
    const b = (...parts: (string | number)[]) =>
      Uint8Array.from(
        parts.flatMap((x) => (typeof x === "number" ? [x] : [...x].map((c) => c.charCodeAt(0)))),
      );
    const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    // a state dict {"w": tensor} whose storage is 2 float32 elements, with the given size/stride tuples
    const tensor = (size: string | number[], stride: string | number[], numel = 2, offset = 0) =>
      withPickleAndStorage(
        b(
          0x80,
          2,
          "}",
          0x8c,
          1,
          "w",
          "ctorch._utils\n_rebuild_tensor_v2\n(",
          "(",
          0x8c,
          7,
          "storage",
          "ctorch\nFloatStorage\n",
          0x8c,
          1,
          "0",
          0x8c,
          3,
          "cpu",
          "J",
          ...u32(numel),
          "tQ",
          "J",
          ...u32(offset),
          ...(typeof size === "string" ? [size] : ["(", ...size.flatMap((d) => ["J", ...u32(d)]), "t"]),
          ...(typeof stride === "string" ? [stride] : ["(", ...stride.flatMap((d) => ["J", ...u32(d)]), "t"]),
          0x89,
          "}tR",
          "s.",
        ),
        new Uint8Array(8), // 2 float32 elements, whatever numel says
      );
    const crafted: [string, Uint8Array][] = [
      ["empty file", new Uint8Array(0)],
      ["zip signature only", b("PK", 3, 4)],
      ["BINUNICODE of 4 GB", withPickle(b(0x80, 2, "X", 0xff, 0xff, 0xff, 0xff, "."))],
      ["BINUNICODE8 of 2^63", withPickle(b(0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, "."))],
      ["LONG4 of 2 GB", withPickle(b(0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, "."))],
      ["100k MARKs", withPickle(b(0x80, 2, "(".repeat(100_000), "."))],
      ["50k empty lists appended to a list", withPickle(b(0x80, 2, "]", "]a".repeat(50_000), "."))],
      ["LONG_BINGET 2^32-1", withPickle(b(0x80, 2, "j", 0xff, 0xff, 0xff, 0xff, "."))],
      ["stride-0 view of 2^31 elements", tensor([2 ** 31 - 1], [0])],
      ["view past the storage", tensor([3], [1])],
      ["offset past the storage", tensor([1], [1], 2, 2)],
      ["rank 65", tensor(Array(65).fill(1), Array(65).fill(1))],
      ["size and stride of different ranks", tensor([2], [1, 1])],
      ["size is not a tuple", tensor("N", [1])],
      ["storage numel 2^31 with 8 bytes", tensor([1], [1], 2 ** 31 - 1)],
    ];
    for (const [label, bytes] of crafted) {
      expect(await runHostileCase(label, read(bytes), { codes: CODES }), label).toBe("CHECKPOINT_INVALID");
    }
  });
});

function withPickleAndStorage(pkl: Uint8Array, storage: Uint8Array): Uint8Array {
  return makeTestZip([
    { name: "archive/data.pkl", data: pkl },
    { name: "archive/data/0", data: storage },
  ]);
}

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases).
describe("pytorch_model.bin: fast-check properties", () => {
  it("hostile bytes of the zip-format and the legacy checkpoint", async () => {
    for (const [bytes, seed] of [
      [ZIPPED, 51],
      [LEGACY, 52],
    ] as const) {
      const t = await assertHostileProperty(hostileBytes(bytes), (b) => read(b)(), {
        codes: CODES,
        seed,
        numRuns: 200,
      });
      expect(t.CHECKPOINT_INVALID ?? 0).toBeGreaterThan(50);
    }
  });

  it("hostile data.pkl repacked into a valid zip (reaches the unpickler)", async () => {
    const t = await assertHostileProperty(hostileBytes(PICKLE), (b) => read(withPickle(b))(), {
      codes: CODES,
      seed: 53,
      numRuns: 400,
    });
    expect(t.CHECKPOINT_INVALID ?? 0).toBeGreaterThan(100);
  });
});
