import { describe, expect, it } from "vitest";
import { isTunekitError, TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { readSafetensors, readSafetensorsHeader } from "./safetensors.js";
import { writeSafetensors } from "./safetensors-write.js";

/** Builds a safetensors buffer from a raw header value (any JSON) and raw data bytes. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), pad = 0): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text + " ".repeat(pad));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function le(kind: "f32" | "f64" | "i32" | "i64" | "u16", values: readonly (number | bigint)[]): Uint8Array {
  const size = { f32: 4, f64: 8, i32: 4, i64: 8, u16: 2 }[kind];
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (kind === "f32") v.setFloat32(i * size, Number(x), true);
    else if (kind === "f64") v.setFloat64(i * size, Number(x), true);
    else if (kind === "i32") v.setInt32(i * size, Number(x), true);
    else if (kind === "i64") v.setBigInt64(i * size, BigInt(x), true);
    else v.setUint16(i * size, Number(x), true);
  });
  return out;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function invalid(bytes: Uint8Array): string {
  try {
    readSafetensors(bytes);
  } catch (e) {
    if (isTunekitError(e, "SAFETENSORS_INVALID")) return e.message;
    throw e;
  }
  throw new Error("expected SAFETENSORS_INVALID, but the file was accepted");
}

describe("writeSafetensors / readSafetensors", () => {
  it("round-trips float32, int32 and bool tensors with metadata", () => {
    const tensors: Record<string, HostTensor> = {
      "b.mask": hostTensor("bool", [3], new Uint8Array([1, 0, 1])),
      "a.weight": hostTensor("float32", [2, 3], [1.5, -2, 3.25, 0, 1e-8, -7]),
      ids: hostTensor("int32", [4], [101, -5, 0, 2147483647]),
      scalar: hostTensor("float32", [], [42]),
      empty: hostTensor("float32", [0, 5]),
    };
    const bytes = writeSafetensors(tensors, { format: "pt", note: "ü" });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const { tensors: back, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: "pt", note: "ü" });
    expect([...back.keys()].sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.get(name)!;
      expect(r.dtype).toBe(t.dtype);
      expect(r.shape).toEqual(t.shape);
      expect(r.data).toEqual(t.data);
    }
    // the 1-byte bool tensor is laid out last so the 4-byte tensors stay aligned
    const header = readSafetensorsHeader(bytes);
    const mask = header.entries.find((e) => e.name === "b.mask")!;
    expect(mask.dataOffsets[1]).toBe(bytes.length - header.dataStart);
  });

  it("writes float32 as F16 on request (rounded to nearest) and refuses values beyond ±65504", () => {
    const w = hostTensor("float32", [4], [1, 0.1, -2.5e-8, 65504]);
    const ids = hostTensor("int32", [2], [7, -1]);
    const bytes = writeSafetensors({ w, ids }, undefined, { floatDType: "F16" });
    const dtypes = Object.fromEntries(readSafetensorsHeader(bytes).entries.map((e) => [e.name, e.dtype]));
    expect(dtypes).toEqual({ ids: "I32", w: "F16" });
    const back = readSafetensors(bytes).tensors;
    expect(Array.from(back.get("w")!.data)).toEqual([1, 0.0999755859375, -0, 65504]);
    expect(Array.from(back.get("ids")!.data)).toEqual([7, -1]);
    expect(bytes.byteLength).toBeLessThan(writeSafetensors({ w, ids }).byteLength);
    const err = (() => {
      try {
        writeSafetensors({ big: hostTensor("float32", [2], [1, 7e4]) }, undefined, { floatDType: "F16" });
      } catch (e) {
        return e;
      }
    })();
    expect(isTunekitError(err, "INVALID_ARGUMENT")).toBe(true);
    expect((err as Error).message).toMatch(
      /tensor "big" element 1 is 70000, beyond float16's ±65504; store it as F32/,
    );
    expect(() => writeSafetensors({ w }, undefined, { floatDType: "F8" as "F16" })).toThrow(
      /floatDType must be/,
    );
  });

  it("accepts a Map, normalizes bool data to 0/1 and writes an empty file for no tensors", () => {
    const bytes = writeSafetensors(new Map([["m", hostTensor("bool", [2], new Uint8Array([0, 7]))]]));
    expect(readSafetensors(bytes).tensors.get("m")!.data).toEqual(new Uint8Array([0, 1]));
    const empty = readSafetensors(writeSafetensors({}));
    expect(empty.tensors.size).toBe(0);
    expect(empty.metadata).toEqual({});
  });

  it("returns zero-copy views for aligned data unless copy is requested", () => {
    const bytes = writeSafetensors({ w: hostTensor("float32", [2], [1, 2]) });
    const view = readSafetensors(bytes).tensors.get("w")!.data;
    expect(view.buffer).toBe(bytes.buffer);
    const copied = readSafetensors(bytes, { copy: true }).tensors.get("w")!.data;
    expect(copied.buffer).not.toBe(bytes.buffer);
    expect(copied).toEqual(new Float32Array([1, 2]));
  });

  it("copies into aligned arrays when the data is not 4-byte aligned", () => {
    const bytes = writeSafetensors({
      w: hostTensor("float32", [3], [1, -2, 3]),
      i: hostTensor("int32", [1], [9]),
    });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const { tensors } = readSafetensors(shifted.subarray(1));
    expect(tensors.get("w")!.data).toEqual(new Float32Array([1, -2, 3]));
    expect(tensors.get("w")!.data.byteOffset % 4).toBe(0);
    expect(tensors.get("i")!.data).toEqual(new Int32Array([9]));
  });

  it("reads only the requested names and rejects unknown ones", () => {
    const bytes = writeSafetensors({ a: hostTensor("float32", [1], [1]), b: hostTensor("int32", [1], [2]) });
    expect([...readSafetensors(bytes, { names: ["b"] }).tensors.keys()]).toEqual(["b"]);
    expect(() => readSafetensors(bytes, { names: ["b", "zzz"] })).toThrow(/"zzz" not found; the file has 2/);
  });

  it("rejects invalid tensors on write", () => {
    expect(() => writeSafetensors({ __metadata__: hostTensor("float32", [1]) })).toThrow(/reserved/);
    const badShape = { dtype: "float32", shape: [3], data: new Float32Array(2) } as HostTensor;
    expect(() => writeSafetensors({ w: badShape })).toThrow(/needs 3 elements but data has 2/);
    const badType = { dtype: "int32", shape: [2], data: new Float32Array(2) } as unknown as HostTensor;
    expect(() => writeSafetensors({ w: badType })).toThrow(/needs a Int32Array but data is a Float32Array/);
    expect(() => writeSafetensors({}, { n: 3 as unknown as string })).toThrow(
      /metadata\["n"\] must be a string/,
    );
  });
});

describe("readSafetensors dtype conversions", () => {
  it("converts F16, BF16 and F64 to float32", () => {
    const data = concatBytes(
      le("u16", [0x3c00, 0xc000]),
      le("u16", [0x3f80, 0x4049]),
      le("f64", [0.1, -1e40]),
    );
    const bytes = rawFile(
      {
        h: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
        b: { dtype: "BF16", shape: [2], data_offsets: [4, 8] },
        d: { dtype: "F64", shape: [2], data_offsets: [8, 24] },
      },
      data,
    );
    const { tensors } = readSafetensors(bytes);
    expect(tensors.get("h")).toEqual({ dtype: "float32", shape: [2], data: new Float32Array([1, -2]) });
    expect(tensors.get("b")!.data).toEqual(new Float32Array([1, 3.140625]));
    expect(tensors.get("d")!.data).toEqual(new Float32Array([Math.fround(0.1), Number.NEGATIVE_INFINITY]));
  });

  it("converts I64, I32, I8, U8 to int32 and BOOL to bool", () => {
    const data = concatBytes(
      le("i64", [-2147483648n, 2147483647n, -1n]),
      le("i32", [7]),
      new Uint8Array([0xff, 0x7f]),
      new Uint8Array([0xff, 3]),
      new Uint8Array([1, 0, 2]),
    );
    const bytes = rawFile(
      {
        l: { dtype: "I64", shape: [3], data_offsets: [0, 24] },
        i: { dtype: "I32", shape: [1, 1], data_offsets: [24, 28] },
        s: { dtype: "I8", shape: [2], data_offsets: [28, 30] },
        u: { dtype: "U8", shape: [2], data_offsets: [30, 32] },
        m: { dtype: "BOOL", shape: [3], data_offsets: [32, 35] },
      },
      data,
    );
    const { tensors } = readSafetensors(bytes);
    expect(tensors.get("l")!.data).toEqual(new Int32Array([-2147483648, 2147483647, -1]));
    expect(tensors.get("i")).toEqual({ dtype: "int32", shape: [1, 1], data: new Int32Array([7]) });
    expect(tensors.get("s")!.data).toEqual(new Int32Array([-1, 127]));
    expect(tensors.get("u")!.data).toEqual(new Int32Array([255, 3]));
    expect(tensors.get("m")).toEqual({ dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) });
  });

  it("rejects I64 values outside int32, naming the tensor and index", () => {
    for (const v of [2147483648n, -2147483649n, 1n << 40n]) {
      const bytes = rawFile({ big: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, le("i64", [0n, v]));
      expect(invalid(bytes)).toMatch(
        new RegExp(`tensor "big": I64 value ${v} at flat index 1 does not fit int32`),
      );
    }
  });
});

describe("readSafetensors hostile input", () => {
  const w = (extra: object = {}) => ({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8], ...extra } });
  const eight = new Uint8Array(8);

  it("rejects short files and bad header lengths", () => {
    expect(invalid(new Uint8Array(5))).toMatch(/file is 5 bytes, shorter than the 8-byte/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expect(invalid(huge)).toMatch(/header length 18446744073709551615 exceeds the 100000000-byte limit/);
    const long = new Uint8Array(16);
    new DataView(long.buffer).setBigUint64(0, 9n, true);
    expect(invalid(long)).toMatch(/header length 9 is larger than the 8 bytes that follow/);
  });

  it("rejects headers that are not a JSON object", () => {
    expect(invalid(rawFile("{not json"))).toMatch(/header is not valid UTF-8 JSON/);
    expect(invalid(rawFile(""))).toMatch(/header is not valid UTF-8 JSON/);
    expect(invalid(rawFile("[1,2]"))).toMatch(/header must be a JSON object, got an array/);
    expect(invalid(rawFile("null"))).toMatch(/header must be a JSON object, got null/);
    const badUtf8 = rawFile("{}  ");
    badUtf8[9] = 0xff;
    expect(invalid(badUtf8)).toMatch(/not valid UTF-8 JSON/);
  });

  it("rejects malformed entries, naming the tensor", () => {
    expect(invalid(rawFile({ w: 3 }))).toMatch(/tensor "w": entry must be an object/);
    expect(invalid(rawFile({ w: { shape: [1], data_offsets: [0, 4] } }, eight))).toMatch(
      /tensor "w": dtype must be a string, got nothing \(missing\)/,
    );
    expect(invalid(rawFile(w({ dtype: "F8_E4M3" }), eight))).toMatch(
      /tensor "w": unsupported dtype "F8_E4M3"/,
    );
    expect(invalid(rawFile(w({ dtype: "__proto__" }), eight))).toMatch(/unsupported dtype "__proto__"/);
    expect(invalid(rawFile(w({ shape: undefined }), eight))).toMatch(/tensor "w": shape must be an array/);
    expect(invalid(rawFile(w({ shape: [2.5] }), eight))).toMatch(
      /shape must be an array of non-negative integers/,
    );
    expect(invalid(rawFile(w({ shape: [-2] }), eight))).toMatch(
      /shape must be an array of non-negative integers/,
    );
    expect(invalid(rawFile(w({ shape: ["2"] }), eight))).toMatch(/shape must be/);
    expect(invalid(rawFile(w({ data_offsets: [0] }), eight))).toMatch(/data_offsets must be an array of 2/);
    expect(invalid(rawFile(w({ data_offsets: [0, 8, 8] }), eight))).toMatch(
      /data_offsets must be an array of 2/,
    );
    expect(invalid(rawFile(w({ data_offsets: [0, 1e300] }), eight))).toMatch(/data_offsets must be/);
    expect(invalid(rawFile(w({ data_offsets: [8, 0] }), eight))).toMatch(/data_offsets \[8, 0\] end before/);
  });

  it("rejects byte-length mismatches and offsets outside the data region", () => {
    expect(invalid(rawFile(w({ shape: [3] }), eight))).toMatch(
      /tensor "w": shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] span 8 bytes/,
    );
    expect(invalid(rawFile(w({ shape: [2 ** 40, 2 ** 40, 2 ** 40] }), eight))).toMatch(
      /needs more than 9007199254740991 bytes/,
    );
    expect(invalid(rawFile(w({ data_offsets: [0, 16] }), eight))).toMatch(
      /run past the end of the data region/,
    );
    expect(invalid(rawFile(w(), new Uint8Array(4)))).toMatch(
      /run past the end of the data region \(4 bytes\)/,
    );
  });

  it("rejects overlaps, gaps and trailing bytes", () => {
    const two = (a: number[], b: number[]) => ({
      a: { dtype: "F32", shape: [1], data_offsets: a },
      b: { dtype: "F32", shape: [1], data_offsets: b },
    });
    expect(invalid(rawFile(two([0, 4], [2, 6]), eight))).toMatch(
      /tensor "b": data_offsets \[2, 6\] overlap tensor "a"/,
    );
    expect(invalid(rawFile(two([0, 4], [0, 4]), eight))).toMatch(/overlap/);
    expect(invalid(rawFile(two([0, 4], [8, 12]), new Uint8Array(12)))).toMatch(
      /tensor "b": .* leave a gap of 4 unused bytes after tensor "a"/,
    );
    expect(invalid(rawFile(two([4, 8], [8, 12]), new Uint8Array(12)))).toMatch(
      /gap of 4 unused bytes after the start of the data region/,
    );
    expect(invalid(rawFile(w(), new Uint8Array(10)))).toMatch(/2 trailing bytes not covered by any tensor/);
  });

  it("survives deeply nested JSON values in error messages", () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    expect(invalid(rawFile(`{"w": {"dtype": "F32", "shape": ${deep}, "data_offsets": [0, 0]}}`))).toMatch(
      /shape must be an array of non-negative integers, got an array \[\.\.\.\]|got an array \[\[/,
    );
    expect(invalid(rawFile(`{"__metadata__": ${deep}}`))).toMatch(/__metadata__ must be an object/);
  });

  it("rejects metadata that is not string to string", () => {
    expect(invalid(rawFile({ __metadata__: [] }))).toMatch(/__metadata__ must be an object of string values/);
    expect(invalid(rawFile({ __metadata__: { a: 1 } }))).toMatch(
      /__metadata__\["a"\] must be a string, got number 1/,
    );
    const meta = readSafetensors(rawFile('{"__metadata__":{"__proto__":"x"}}')).metadata;
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(Object.keys(meta)).toEqual(["__proto__"]);
  });

  it("never throws anything but SAFETENSORS_INVALID on random byte mutations (seeded)", () => {
    const valid = writeSafetensors(
      {
        w: hostTensor("float32", [2, 3], [1, 2, 3, 4, 5, 6]),
        ids: hostTensor("int32", [3], [1, 2, 3]),
        m: hostTensor("bool", [2], new Uint8Array([1, 0])),
      },
      { format: "pt" },
    );
    let seed = 12345;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const headerEnd = 8 + Number(new DataView(valid.buffer).getBigUint64(0, true));
    const interesting = new TextEncoder().encode('0123456789[]{},:"-.e ');
    let accepted = 0;
    let rejected = 0;
    for (let iter = 0; iter < 300; iter++) {
      let bytes = valid.slice();
      const kind = iter % 3;
      if (kind === 2) bytes = bytes.slice(0, Math.floor(rand() * bytes.length));
      const mutations = 1 + Math.floor(rand() * 4);
      for (let m = 0; m < mutations && bytes.length > 0; m++) {
        // mostly mutate the header (prefix + JSON), where parsing decisions are made
        const pos = Math.floor(rand() * (rand() < 0.85 ? Math.min(headerEnd, bytes.length) : bytes.length));
        bytes[pos] =
          kind === 0 ? interesting[Math.floor(rand() * interesting.length)]! : Math.floor(rand() * 256);
      }
      try {
        const { tensors } = readSafetensors(bytes);
        for (const t of tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        accepted++;
      } catch (e) {
        expect(e).toBeInstanceOf(TunekitError);
        expect((e as TunekitError).code).toBe("SAFETENSORS_INVALID");
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(50);
    expect(accepted + rejected).toBe(300);
  });
});
