import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { readSafetensors } from "./safetensors.js";
import { makeTestZip } from "./zip.test-helpers.js";
import { readTorchCheckpoint } from "./torch-bin.js";
import { readZip } from "./zip.js";

// Fixtures: real torch.save files made by fixtures/make_torch_checkpoints.py (PyTorch 1.13).
const FIXTURES = join(import.meta.dirname, "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

function expectSameTensors(actual: Map<string, HostTensor>, expected: Map<string, HostTensor>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({
      name,
      dtype: want.dtype,
      shape: want.shape,
    });
    // bit-identical, -0 and NaN included
    expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength)).toEqual(
      Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength),
    );
  }
}

function thrown(f: () => unknown): TunekitError {
  try {
    f();
  } catch (e) {
    if (e instanceof TunekitError) return e;
    throw e;
  }
  throw new Error("expected a TunekitError");
}

describe("readTorchCheckpoint", () => {
  it("a Hugging Face pytorch_model.bin gives exactly the tensors of the same model's safetensors", () => {
    const { tensors, format } = readTorchCheckpoint(fixture("bert-tiny-bin/pytorch_model.bin"));
    expect(format).toBe("zip");
    expectSameTensors(tensors, readSafetensors(fixture("bert-tiny-reference.safetensors")).tensors);
    expect(tensors.get("bert.embeddings.position_ids")).toMatchObject({ dtype: "int32", shape: [1, 16] });
  });

  it("views (transpose, slices, offsets, shared storages, stride 0) and every dtype, zip and legacy formats", () => {
    const expected = readSafetensors(fixture("views.safetensors")).tensors;
    for (const file of ["views.bin", "views-legacy.bin"]) {
      const { tensors, format } = readTorchCheckpoint(fixture(file), { source: file });
      expect(format).toBe(file === "views.bin" ? "zip" : "legacy");
      expectSameTensors(tensors, expected);
    }
    const { tensors } = readTorchCheckpoint(fixture("views.bin"));
    expect([...tensors.get("transposed")!.data.slice(0, 4)]).toEqual(
      [0, 6 / 7, 12 / 7, 18 / 7].map(Math.fround),
    );
    expect([...tensors.get("expanded")!.data]).toEqual([1.5, 1.5, 1.5, -2.25, -2.25, -2.25]);
    expect(tensors.get("shared_b")!.data[0]).toBe(tensors.get("shared_a")!.data[4]);
    expect(tensors.get("scalar")).toMatchObject({ shape: [], data: Float32Array.of(3.25) });
    expect(tensors.get("long")!.data).toEqual(Int32Array.of(0, -5, 2147483647, -2147483648, 7, 1));
    expect(tensors.get("mask")).toMatchObject({ dtype: "bool", data: Uint8Array.of(1, 0, 1) });
    // shared storages come back as separate arrays: writing one tensor never changes another
    tensors.get("shared_a")!.data[4] = 99;
    expect(tensors.get("shared_b")!.data[0]).not.toBe(99);
  });

  it("legacy storage views (view_metadata, written by PyTorch before 1.0) select their part of the root storage", () => {
    const b = (...parts: (string | number)[]) =>
      parts.flatMap((x) => (typeof x === "number" ? [x] : [...x].map((c) => c.charCodeAt(0))));
    const magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]; // 0x1950a86a20f9469cfc6c
    const data = new Uint8Array(8 + 6 * 4);
    new DataView(data.buffer).setBigUint64(0, 6n, true);
    new Float32Array(data.buffer, 8).set([0, 1, 2, 3, 4, 5]);
    const file = Uint8Array.from([
      ...b(0x80, 2, 0x8a, 10, ...magic, "."),
      ...b(0x80, 2, "M", 0xe9, 3, "."),
      ...b(0x80, 2, "}", 0x8c, 13, "little_endian", 0x88, "s."),
      // {"w": _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 6, ('0v', 2, 3)), 1, (2,), (1,), False, {})}
      ...b(0x80, 2, "}", 0x8c, 1, "w", "ctorch._utils\n_rebuild_tensor_v2\n("),
      ...b("(", 0x8c, 7, "storage", "ctorch\nFloatStorage\n", 0x8c, 1, "0", 0x8c, 3, "cpu", "K", 6),
      ...b("(", 0x8c, 2, "0v", "K", 2, "K", 3, "ttQ", "K", 1, "(K", 2, "t(K", 1, "t", 0x89, "}tRs."),
      ...b(0x80, 2, "]", 0x8c, 1, "0", "a."),
      ...data,
    ]);
    const { tensors, format } = readTorchCheckpoint(file);
    expect(format).toBe("legacy");
    expect(tensors.get("w")).toMatchObject({ shape: [2], data: Float32Array.of(3, 4) }); // root[2 + 1 ..]
    const cut = thrown(() => readTorchCheckpoint(file.subarray(0, file.length - 4), { source: "cut.bin" }));
    expect(cut.message).toBe(
      'cut.bin: storage "0" needs 24 bytes of data but only 20 remain; file truncated',
    );
  });

  it("refuses a checkpoint whose pickle calls os.system, naming the global (torch.save of a __reduce__ payload)", () => {
    const e = thrown(() => readTorchCheckpoint(fixture("hostile.bin"), { source: "hostile.bin" }));
    expect(e.code).toBe("CHECKPOINT_INVALID");
    expect(e.details).toMatchObject({ global: "posix.system", opcode: "GLOBAL" });
    expect(e.message).toContain('global "posix.system" is not allowed');
    expect(e.message).toContain("never runs code");
  });

  it("refuses a hand-made GLOBAL os system / REDUCE payload inside a torch.save zip", () => {
    const pkl = Uint8Array.from(
      [0x80, 2, ..."cos\nsystem\n", 0x8c, 2, ..."id", 0x85, ..."R."].map((c) =>
        typeof c === "number" ? c : c.charCodeAt(0),
      ),
    );
    const bytes = makeTestZip([{ name: "archive/data.pkl", data: pkl }]);
    const e = thrown(() => readTorchCheckpoint(bytes, { source: "evil.bin" }));
    expect(e.message).toMatch(
      /^evil\.bin \(archive\/data\.pkl\): pickle opcode GLOBAL \(0x63\) at offset 2: global "os\.system" is not allowed/,
    );
    expect(e.details).toMatchObject({ global: "os.system" });
  });

  it("explains what is wrong with files that are not state dicts or not PyTorch files", () => {
    expect(
      thrown(() => readTorchCheckpoint(new TextEncoder().encode("{}"), { source: "x.bin" })).message,
    ).toBe(
      "x.bin: is neither a zip archive (torch.save since PyTorch 1.6) nor a pickle (the legacy format); is it a PyTorch checkpoint? (a safetensors file belongs in model.safetensors)",
    );
    const tar = new Uint8Array(600);
    tar.set(new TextEncoder().encode("ustar"), 257);
    expect(thrown(() => readTorchCheckpoint(tar)).message).toContain(
      "is a tar archive (the format of PyTorch before 0.4)",
    );
    const list = makeTestZip([{ name: "a/data.pkl", data: Uint8Array.of(0x80, 2, 0x5d, 0x2e) }]);
    expect(thrown(() => readTorchCheckpoint(list, { source: "l.bin" })).message).toBe(
      "l.bin: holds a list of 0, not a state dict (a dict of tensors); save model.state_dict() with torch.save",
    );
    const noPickle = makeTestZip([{ name: "a/b/data.pkl", data: Uint8Array.of(0x2e) }]);
    expect(thrown(() => readTorchCheckpoint(noPickle)).message).toContain(
      "expected exactly one <name>/data.pkl entry in the zip archive (torch.save's layout), found 0",
    );
  });

  it("a view that reaches past its storage, or a missing storage entry, is CHECKPOINT_INVALID naming the tensor", () => {
    const zip = readZip(fixture("views.bin"));
    const entries = [...zip.entries.keys()].map((name) => ({ name, data: zip.read(name) }));
    const shrunk = entries.map((e) =>
      e.name === "views/data/0" ? { ...e, data: e.data.subarray(0, 8) } : e,
    );
    const e1 = thrown(() => readTorchCheckpoint(makeTestZip(shrunk), { source: "v.bin" }));
    expect(e1.code).toBe("CHECKPOINT_INVALID");
    expect(e1.message).toMatch(
      /^v\.bin: storage "0" \(F32, 24 elements\) needs 96 bytes, but views\/data\/0 has 8$/,
    );
    const dropped = entries.filter((e) => e.name !== "views/data/1");
    expect(thrown(() => readTorchCheckpoint(makeTestZip(dropped))).message).toContain(
      'storage "1" has no zip entry views/data/1',
    );
  });
});
