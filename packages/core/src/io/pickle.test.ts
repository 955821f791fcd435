import { describe, expect, it } from "vitest";
import { TunekitError } from "../errors.js";
import { unpickle } from "./pickle.js";
import { PickleDict, type PickleTuple } from "./pickle-values.js";

/** Pickle bytes from opcode text: latin-1 characters and numbers for raw bytes. */
function p(...parts: (string | number)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else for (const ch of part) out.push(ch.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

const ORDERED_DICT = { name: "collections.OrderedDict", call: () => new PickleDict() };

function refused(bytes: Uint8Array): TunekitError {
  try {
    unpickle(bytes, { source: "evil.pkl", globals: [ORDERED_DICT] });
  } catch (e) {
    if (e instanceof TunekitError) return e;
    throw e;
  }
  throw new Error("expected the pickle to be refused");
}

describe("unpickle", () => {
  it("rebuilds plain data: ints of every width, floats, strings, bytes, tuples, lists, dicts, memo", () => {
    const bytes = p(
      0x80,
      2,
      "}q",
      0,
      "(",
      "X",
      1,
      0,
      0,
      0,
      "a",
      "K",
      7,
      "X",
      1,
      0,
      0,
      0,
      "b",
      "M",
      0x34,
      0x12,
      "X",
      1,
      0,
      0,
      0,
      "c",
      "J",
      0xfe,
      0xff,
      0xff,
      0xff,
      0x8c,
      1,
      "d",
      0x8a,
      9,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1, // 2^64
      0x8c,
      1,
      "e",
      "G",
      0x3f,
      0xf8,
      0,
      0,
      0,
      0,
      0,
      0, // 1.5, big-endian
      0x8c,
      1,
      "f",
      "(K",
      1,
      0x88,
      "N",
      "t", // (1, True, None)
      0x8c,
      1,
      "g",
      "](K",
      1,
      "K",
      2,
      "e", // [1, 2]
      0x8c,
      1,
      "h",
      "C",
      2,
      0xff,
      0x00, // b"\xff\x00"
      0x8c,
      1,
      "i",
      "h",
      0, // the dict itself (memo 0): a cycle, kept as a reference
      "u.",
    );
    const { value, end } = unpickle(bytes, { globals: [] });
    expect(end).toBe(bytes.length);
    const d = value as PickleDict;
    expect(d).toBeInstanceOf(PickleDict);
    const get = (k: string) => d.entries.get(k);
    expect([get("a"), get("b"), get("c"), get("d"), get("e")]).toEqual([7, 0x1234, -2, 2n ** 64n, 1.5]);
    expect((get("f") as PickleTuple).items).toEqual([1, true, null]);
    expect(get("g")).toEqual([1, 2]);
    expect(get("h")).toEqual(Uint8Array.from([0xff, 0]));
    expect(get("i")).toBe(d);
  });

  it("calls only the allowed globals, with REDUCE, and keeps BUILD state on dicts", () => {
    const bytes = p(0x80, 2, "ccollections\nOrderedDict\n)R}(", 0x8c, 1, "k", "K", 1, "ub.");
    const { value } = unpickle(bytes, { globals: [ORDERED_DICT] });
    expect(value).toBeInstanceOf(PickleDict);
    expect(((value as PickleDict).state as PickleDict).entries.get("k")).toBe(1);
  });

  it("refuses GLOBAL os system + REDUCE, naming the global, before anything is called", () => {
    const e = refused(p(0x80, 2, "cos\nsystem\n", 0x8c, 2, "id", 0x85, "R."));
    expect(e.code).toBe("CHECKPOINT_INVALID");
    expect(e.details).toMatchObject({ global: "os.system", opcode: "GLOBAL", offset: 2 });
    expect(e.message).toMatch(
      /^evil\.pkl: pickle opcode GLOBAL \(0x63\) at offset 2: global "os\.system" is not allowed: this reader only rebuilds tensors and never runs code \(allowed: collections\.OrderedDict\)/,
    );
    // STACK_GLOBAL (protocol 4) is checked the same way.
    const e4 = refused(p(0x80, 4, 0x8c, 8, "builtins", 0x8c, 4, "eval", 0x93, "."));
    expect(e4.details).toMatchObject({ global: "builtins.eval", opcode: "STACK_GLOBAL" });
  });

  it("refuses the opcodes that build arbitrary objects, naming them", () => {
    for (const [bytes, name] of [
      [p(0x80, 2, "(ios\nsystem\n."), "INST (0x69)"],
      [p(0x80, 2, "(o."), "OBJ (0x6f)"],
      [p(0x80, 2, "N)", 0x81, "."), "NEWOBJ (0x81)"],
      [p(0x80, 2, 0x82, 1, "."), "EXT1 (0x82)"],
      [p(0x80, 2, "P0\n."), "PERSID (0x50)"],
      [p(0x80, 2, 0x8f, "."), "EMPTY_SET (0x8f)"],
      [p("I1\n."), "INT (0x49)"],
    ] as const) {
      const e = refused(bytes);
      expect(e.message, name).toContain(`pickle opcode ${name} at offset`);
      expect(e.message, name).toContain("is not allowed");
    }
  });

  it("refuses calling a marker global, BUILD on non-dicts, and persistent ids without a loader", () => {
    const storage = { name: "torch.FloatStorage" };
    const call = () => unpickle(p(0x80, 2, "ctorch\nFloatStorage\n)R."), { globals: [storage] });
    expect(() => call()).toThrow(/cannot call global "torch\.FloatStorage"/);
    expect(() => unpickle(p(0x80, 2, "]}b."), { globals: [] })).toThrow(
      /BUILD \(set object state\) on a list of 0/,
    );
    expect(() => unpickle(p(0x80, 2, "NQ."), { globals: [] })).toThrow(/persistent ids are not expected/);
  });

  it("malformed pickles are typed errors: truncation, empty stack, missing MARK, bad memo, no STOP", () => {
    for (const [bytes, message] of [
      [p(0x80, 2, "X", 9, 0, 0, 0, "ab"), "needs 9 bytes but the pickle ends at 9; truncated"],
      [p(0x80, 2, "0."), "pops an empty stack"],
      [p(0x80, 2, "t."), "has no matching MARK"],
      [p(0x80, 2, "h", 5, "."), "memo index 5 was never stored"],
      [p(0x80, 2, "N"), "the pickle ends without a STOP opcode"],
      [p(0x80, 2, "NN."), "stops with 2 values on the stack"],
      [p(0x80, 9, "N."), "protocol 9 is newer"],
      [p(0x80, 2, "]K", 1, "K", 2, "s."), "target is a list of 0, not a dict"],
      [p(0x80, 2, "X", 2, 0, 0, 0, 0xff, 0xfe, "."), "string is not valid UTF-8"],
    ] as const) {
      expect(() => unpickle(bytes, { globals: [] }), message).toThrow(message);
    }
  });
});
