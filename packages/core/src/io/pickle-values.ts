/**
 * Names of the pickle opcodes, by byte (the accepted ones and the refused ones alike), for
 * error messages.
 *
 * @example
 * ```ts
 * PICKLE_OPCODE_NAMES.get(0x63); // "GLOBAL"
 * ```
 */
export const PICKLE_OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  [
    "28:MARK 29:EMPTY_TUPLE 2e:STOP 30:POP 31:POP_MARK 32:DUP 42:BINBYTES 43:SHORT_BINBYTES 46:FLOAT ",
    "47:BINFLOAT 49:INT 4a:BININT 4b:BININT1 4c:LONG 4d:BININT2 4e:NONE 50:PERSID 51:BINPERSID ",
    "52:REDUCE 53:STRING 54:BINSTRING 55:SHORT_BINSTRING 56:UNICODE 58:BINUNICODE 5d:EMPTY_LIST ",
    "61:APPEND 62:BUILD 63:GLOBAL 64:DICT 65:APPENDS 67:GET 68:BINGET 69:INST 6a:LONG_BINGET 6c:LIST ",
    "6f:OBJ 70:PUT 71:BINPUT 72:LONG_BINPUT 73:SETITEM 74:TUPLE 75:SETITEMS 7d:EMPTY_DICT 80:PROTO ",
    "81:NEWOBJ 82:EXT1 83:EXT2 84:EXT4 85:TUPLE1 86:TUPLE2 87:TUPLE3 88:NEWTRUE 89:NEWFALSE 8a:LONG1 ",
    "8b:LONG4 8c:SHORT_BINUNICODE 8d:BINUNICODE8 8e:BINBYTES8 8f:EMPTY_SET 90:ADDITEMS 91:FROZENSET ",
    "92:NEWOBJ_EX 93:STACK_GLOBAL 94:MEMOIZE 95:FRAME 96:BYTEARRAY8 97:NEXT_BUFFER 98:READONLY_BUFFER",
  ]
    .join("")
    .split(" ")
    .map((pair) => {
      const [code, name] = pair.split(":");
      return [Number.parseInt(code!, 16), name!] as const;
    }),
);

/**
 * A Python tuple read by {@link unpickle} (lists are plain arrays, dicts {@link PickleDict}s).
 *
 * @example
 * ```ts
 * const t = new PickleTuple(["storage", 0]);
 * t.items[0]; // "storage"
 * ```
 */
export class PickleTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/**
 * A Python dict (or `collections.OrderedDict`) read by {@link unpickle}: entries in insertion
 * order, keyed by strings, numbers or other pickled values. `state` is what a `BUILD` opcode
 * gave it (an OrderedDict's `_metadata`, for instance), kept but not interpreted.
 *
 * @example
 * ```ts
 * const d = new PickleDict();
 * d.entries.set("bert.pooler.dense.bias", tensor);
 * ```
 */
export class PickleDict {
  readonly entries = new Map<unknown, unknown>();
  state: unknown = undefined;
}

/**
 * A short description of an unpickled value for error messages (`"a tuple of 3"`, `"the
 * string \"abc\""`, ...).
 *
 * @example
 * ```ts
 * describePickled(new PickleTuple([1, 2])); // "a tuple of 2"
 * ```
 */
export function describePickled(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PickleTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PickleDict) return `a dict of ${v.entries.size}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === "string")
    return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v)}`;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean")
    return `${typeof v} ${String(v)}`;
  return "an object";
}
