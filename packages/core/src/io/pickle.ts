import { TunekitError, type TunekitErrorCode } from "../errors.js";
import { describePickled, PICKLE_OPCODE_NAMES, PickleDict, PickleTuple } from "./pickle-values.js";

/**
 * An allowed global of {@link unpickle}: a marker value (e.g. `torch.FloatStorage`, used only
 * inside persistent ids), and, if `call` is given, something `REDUCE` may call with the
 * pickled argument tuple. Nothing else can be called.
 *
 * @example
 * ```ts
 * const ordered: PickleGlobal = { name: "collections.OrderedDict", call: () => new PickleDict() };
 * ```
 */
export interface PickleGlobal {
  /** `module.name`, as in the pickle. */
  readonly name: string;
  readonly call?: (args: readonly unknown[]) => unknown;
}

/**
 * Options of {@link unpickle}.
 *
 * @example
 * ```ts
 * const opts: UnpickleOptions = { source: "data.pkl", globals: [{ name: "collections.OrderedDict", call: () => new PickleDict() }] };
 * ```
 */
export interface UnpickleOptions {
  /** Prefix of error messages (default `"pickle"`). */
  readonly source?: string;
  /** The only globals the pickle may name; any other is refused with an error naming it. */
  readonly globals: readonly PickleGlobal[];
  /** Resolves a `BINPERSID` id (e.g. PyTorch's storage references); without it the opcode is refused. */
  readonly persistentLoad?: (id: unknown) => unknown;
  /** Byte offset where the pickle starts (default 0); several pickles may follow each other. */
  readonly start?: number;
  /** Error code (default `CHECKPOINT_INVALID`). */
  readonly code?: TunekitErrorCode;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

/**
 * A restricted unpickler: rebuilds data (None, bools, ints, floats, strings, bytes, tuples,
 * lists, dicts) from Python pickle protocols 2–5, and calls nothing but the `globals` it is
 * given. It never runs code: `GLOBAL`/`STACK_GLOBAL` of any other name, and the opcodes that
 * build arbitrary objects (`INST`, `OBJ`, `NEWOBJ`, `EXT*`, sets, out-of-band buffers, the
 * text protocol 0/1 forms), throw a {@link TunekitError} naming the opcode or global and its
 * offset. Truncated or malformed input (stack underflow, a missing `MARK`, a bad memo index)
 * throws too, never a `RangeError`. Work is linear in the input size.
 *
 * @example
 * ```ts
 * const { value, end } = unpickle(bytes, {
 *   globals: [{ name: "collections.OrderedDict", call: () => new PickleDict() }],
 * });
 * value instanceof PickleDict; // true for a pickled state dict
 * ```
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): { value: unknown; end: number } {
  const source = options.source ?? "pickle";
  const code = options.code ?? "CHECKPOINT_INVALID";
  const allowed = new Map(options.globals.map((g) => [g.name, g]));
  const globalObjects = new Set<unknown>(options.globals);
  const isGlobal = (v: unknown): v is PickleGlobal => globalObjects.has(v);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = options.start ?? 0;
  let opAt = pos;
  let op = 0;
  const opName = (o: number): string =>
    `${PICKLE_OPCODE_NAMES.get(o) ?? "unknown opcode"} (0x${o.toString(16).padStart(2, "0")})`;
  const fail = (msg: string, details: Record<string, unknown> = {}): TunekitError =>
    new TunekitError(code, `${source}: pickle opcode ${opName(op)} at offset ${opAt}: ${msg}`, {
      details: { source, offset: opAt, opcode: PICKLE_OPCODE_NAMES.get(op) ?? op, ...details },
    });
  const need = (n: number): number => {
    if (n > bytes.length - pos)
      throw fail(`needs ${n} bytes but the pickle ends at ${bytes.length}; truncated`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): unknown => {
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) throw fail("pops an empty stack; the pickle is malformed");
    return stack.pop();
  };
  const top = (): unknown => {
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) throw fail("needs a value on an empty stack; the pickle is malformed");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw fail("has no matching MARK; the pickle is malformed");
    return stack.splice(m);
  };
  const len64 = (at: number): number => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(bytes.length)) throw fail(`length ${v} runs past the end of the pickle`);
    return Number(v);
  };
  const text = (n: number, decoder: { decode(b: Uint8Array): string }): string => {
    const at = need(n);
    try {
      return decoder.decode(bytes.subarray(at, at + n));
    } catch {
      throw fail("string is not valid UTF-8");
    }
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0 || nl - pos > 256) throw fail("GLOBAL name is not a short newline-terminated line");
    const s = latin1.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const full = `${module}.${name}`;
    const g = allowed.get(full);
    if (g === undefined) {
      throw fail(
        `global ${JSON.stringify(full)} is not allowed: this reader only rebuilds tensors and never runs code ` +
          `(allowed: ${[...allowed.keys()].join(", ")}). If you trust this file, convert it to ` +
          "safetensors with Python (torch.load, then safetensors.torch.save_file) and load that",
        { global: full },
      );
    }
    return g;
  };
  const signedLittleEndian = (at: number, n: number): number | bigint => {
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
    if (bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (target: unknown, items: readonly unknown[]): void => {
    if (!(target instanceof PickleDict)) throw fail(`target is ${describePickled(target)}, not a dict`);
    if (items.length % 2 !== 0) throw fail(`has an odd number (${items.length}) of keys and values`);
    for (let i = 0; i < items.length; i += 2) target.entries.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: readonly unknown[]): void => {
    if (!Array.isArray(target)) throw fail(`target is ${describePickled(target)}, not a list`);
    for (const item of items) target.push(item);
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) throw fail(`memo index ${index} was never stored`);
    return memo.get(index);
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) {
      op = 0x2e;
      throw fail("the pickle ends without a STOP opcode; truncated");
    }
    op = bytes[pos++]!;
    switch (op) {
      case 0x80: {
        const v = bytes[need(1)]!;
        if (v > 5) throw fail(`protocol ${v} is newer than the protocols 2-5 this reader knows`);
        break;
      }
      case 0x95:
        need(8);
        break;
      case 0x2e: {
        if (stack.length !== 1 || marks.length > 0) {
          throw fail(`stops with ${stack.length} values on the stack (expected 1); the pickle is malformed`);
        }
        return { value: stack[0], end: pos };
      }
      case 0x28:
        marks.push(stack.length); // a mark is a stack position, not a stack entry
        break;
      case 0x30:
        pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b:
        stack.push(bytes[need(1)]!);
        break;
      case 0x4d:
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: {
        const n = bytes[need(1)]!;
        stack.push(signedLittleEndian(need(n), n));
        break;
      }
      case 0x8b: {
        const n = view.getInt32(need(4), true);
        if (n < 0 || n > 1024) throw fail(`integer of ${n} bytes; at most 1024 are read`);
        stack.push(signedLittleEndian(need(n), n));
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58:
        stack.push(text(view.getUint32(need(4), true), utf8));
        break;
      case 0x8c:
        stack.push(text(bytes[need(1)]!, utf8));
        break;
      case 0x8d:
        stack.push(text(len64(need(8)), utf8));
        break;
      case 0x54: {
        const n = view.getInt32(need(4), true);
        if (n < 0) throw fail(`negative string length ${n}`);
        stack.push(text(n, latin1));
        break;
      }
      case 0x55:
        stack.push(text(bytes[need(1)]!, latin1));
        break;
      case 0x42: {
        const n = view.getUint32(need(4), true);
        stack.push(bytes.slice(need(n), pos));
        break;
      }
      case 0x43: {
        const n = bytes[need(1)]!;
        stack.push(bytes.slice(need(n), pos));
        break;
      }
      case 0x8e: {
        const n = len64(need(8));
        stack.push(bytes.slice(need(n), pos));
        break;
      }
      case 0x29:
        stack.push(new PickleTuple([]));
        break;
      case 0x74:
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        const n = op - 0x84;
        const items: unknown[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push(new PickleTuple(items));
        break;
      }
      case 0x5d:
        stack.push([]);
        break;
      case 0x6c:
        stack.push(popMark());
        break;
      case 0x61: {
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d:
        stack.push(new PickleDict());
        break;
      case 0x64: {
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71:
        memo.set(bytes[need(1)]!, top());
        break;
      case 0x72:
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
        stack.push(memoGet(bytes[need(1)]!));
        break;
      case 0x6a:
        stack.push(memoGet(view.getUint32(need(4), true)));
        break;
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw fail("STACK_GLOBAL needs two strings (module and name)");
        }
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        if (!isGlobal(fn) || fn.call === undefined) {
          throw fail(
            `cannot call ${isGlobal(fn) ? `global ${JSON.stringify(fn.name)}` : describePickled(fn)}; only tensor-rebuilding globals are callable`,
            isGlobal(fn) ? { global: fn.name } : {},
          );
        }
        if (!(args instanceof PickleTuple))
          throw fail(`arguments of ${fn.name} are ${describePickled(args)}, not a tuple`);
        stack.push(fn.call(args.items));
        break;
      }
      case 0x62: {
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict)) {
          throw fail(`BUILD (set object state) on ${describePickled(target)}; only dict state is accepted`);
        }
        target.state = state;
        break;
      }
      case 0x51: {
        const id = pop();
        if (options.persistentLoad === undefined)
          throw fail("persistent ids are not expected in this pickle");
        stack.push(options.persistentLoad(id));
        break;
      }
      default:
        throw fail(
          "is not allowed: this reader accepts only the opcodes that rebuild tensors and plain data, so that loading never runs code",
        );
    }
  }
}
