import { describe, expect, it } from "vitest";
import { TunekitError } from "../errors.js";
import { makeTestZip } from "./zip.test-helpers.js";
import { looksLikeZip, readZip } from "./zip.js";

const enc = new TextEncoder();
const text = (s: string) => enc.encode(s);
const big = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 13);

function thrown(f: () => unknown): TunekitError {
  try {
    f();
  } catch (e) {
    if (e instanceof TunekitError) return e;
    throw e;
  }
  throw new Error("expected a TunekitError");
}

describe("readZip", () => {
  it("reads stored and deflated entries, with a comment, and lists them", () => {
    const bytes = makeTestZip(
      [
        { name: "a/data.pkl", data: text("hello") },
        { name: "a/data/0", data: big, method: 8 },
        { name: "a/empty", data: new Uint8Array(0), method: 8 },
      ],
      { comment: "made by a test" },
    );
    expect(looksLikeZip(bytes)).toBe(true);
    const zip = readZip(bytes);
    expect([...zip.entries.keys()]).toEqual(["a/data.pkl", "a/data/0", "a/empty"]);
    expect(zip.entries.get("a/data/0")?.method).toBe(8);
    expect(zip.entries.get("a/data/0")!.compressedSize).toBeLessThan(big.length);
    expect(new TextDecoder().decode(zip.read("a/data.pkl"))).toBe("hello");
    expect(zip.read("a/data/0")).toEqual(big);
    expect(zip.read("a/empty").length).toBe(0);
  });

  it("reads zip64 end records and extra fields", () => {
    const zip = readZip(
      makeTestZip(
        [
          { name: "x", data: big },
          { name: "y", data: text("why"), method: 8 },
        ],
        { zip64: true },
      ),
    );
    expect(zip.entries.get("x")?.uncompressedSize).toBe(5000);
    expect(zip.read("x")).toEqual(big);
    expect(new TextDecoder().decode(zip.read("y"))).toBe("why");
  });

  it("an empty archive has no entries; a missing entry is named", () => {
    const zip = readZip(makeTestZip([]), { source: "e.zip" });
    expect(zip.entries.size).toBe(0);
    const e = thrown(() => zip.read("archive/data.pkl"));
    expect(e.code).toBe("CHECKPOINT_INVALID");
    expect(e.message).toBe('e.zip: has no entry "archive/data.pkl"; it holds 0 entries');
  });

  it("detects corruption: a flipped data byte fails the CRC check, naming the entry", () => {
    const bytes = makeTestZip([{ name: "w/data/0", data: big }]);
    bytes[30 + "w/data/0".length + 10]! ^= 0xff;
    const e = thrown(() => readZip(bytes, { source: "m.bin" }).read("w/data/0"));
    expect(e.message).toMatch(/^m\.bin: zip entry "w\/data\/0": CRC-32 0x[0-9a-f]{8} does not match/);
  });

  it("refuses encrypted entries, other compression methods, truncation and non-zip input", () => {
    const encrypted = makeTestZip([{ name: "s", data: text("secret") }]);
    const cd = encrypted.length - 22 - 46 - 1; // central entry start
    encrypted[cd + 8] = 1;
    expect(thrown(() => readZip(encrypted)).message).toContain("is encrypted");

    const bzip = makeTestZip([{ name: "b", data: text("bz") }]);
    bzip[bzip.length - 22 - 47 + 10] = 12; // central directory method: bzip2
    expect(thrown(() => readZip(bzip).read("b")).message).toContain("uses compression method 12");

    const whole = makeTestZip([{ name: "t", data: big }]);
    expect(thrown(() => readZip(whole.subarray(0, 3000))).message).toContain(
      "no end-of-central-directory record",
    );
    expect(thrown(() => readZip(text("not a zip at all"), { source: "x" })).message).toMatch(
      /^x: no end-of-central-directory record in the last 16 bytes; not a zip archive/,
    );
    expect(looksLikeZip(text("\x80\x02legacy"))).toBe(false);
  });

  it("refuses a deflate stream that inflates to more than the declared size", () => {
    const bytes = makeTestZip([{ name: "d", data: big, method: 8 }]);
    const cd = bytes.length - 22 - 47;
    new DataView(bytes.buffer).setUint32(cd + 24, 100, true); // claim 100 bytes uncompressed
    expect(thrown(() => readZip(bytes).read("d")).message).toContain(
      "deflate data is corrupt or larger than the declared 100 bytes",
    );
  });
});
