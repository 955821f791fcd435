import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { type PickleGlobal, unpickle } from "./pickle.js";
import { describePickled, PickleDict, PickleTuple } from "./pickle-values.js";
import {
  materializeTensor,
  STORAGE_ELEMENT_BYTES as ELEMENT_BYTES,
  type StorageDType,
  type TorchStorage,
  type TorchTensorRef,
} from "./torch-tensor.js";
import { looksLikeZip, readZip } from "./zip.js";

/**
 * Options of {@link readTorchCheckpoint}.
 *
 * @example
 * ```ts
 * const opts: ReadTorchCheckpointOptions = { source: "model/pytorch_model.bin" };
 * ```
 */
export interface ReadTorchCheckpointOptions {
  /** Prefix of error messages, e.g. the file path (default `"pytorch_model.bin"`). */
  readonly source?: string;
}

/**
 * Tensors read from a PyTorch checkpoint, by name in the state dict's order, and which
 * layout the file had (`"zip"`: `torch.save` since PyTorch 1.6; `"legacy"`: the older
 * pickle-only format).
 *
 * @example
 * ```ts
 * const { tensors, format }: TorchCheckpointContents = readTorchCheckpoint(bytes);
 * ```
 */
export interface TorchCheckpointContents {
  readonly tensors: Map<string, HostTensor>;
  readonly format: "zip" | "legacy";
}

/** `torch.<Name>Storage` → element type. */
const STORAGE_TYPES: Readonly<Record<string, StorageDType>> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

/** Python's `torch.save` legacy magic number. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * Reads a PyTorch checkpoint (`pytorch_model.bin`, a `torch.save`d state dict) into
 * {@link HostTensor}s without Python and without running any of the file's code: a restricted
 * unpickler ({@link unpickle}) accepts only `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` and the `torch.*Storage` types,
 * and refuses anything else (e.g. `os.system`) with a `CHECKPOINT_INVALID` error naming the
 * global. Both the zip layout (`<name>/data.pkl` + `<name>/data/<key>`, PyTorch ≥ 1.6) and
 * the legacy layout are read. Views are honoured (storage offsets, strides, shared storages);
 * dtypes convert as {@link readSafetensors} does: float16/bfloat16/float64 → float32,
 * int64/int32/int16/int8/uint8 → int32 (an int64 outside int32 is an error), bool → bool.
 * Malformed input throws `CHECKPOINT_INVALID`, never a `RangeError`.
 *
 * @example
 * ```ts
 * const { tensors } = readTorchCheckpoint(await readFile("bert/pytorch_model.bin"));
 * tensors.get("bert.embeddings.word_embeddings.weight")?.shape; // [30522, 768]
 * ```
 */
export function readTorchCheckpoint(
  bytes: Uint8Array,
  options: ReadTorchCheckpointOptions = {},
): TorchCheckpointContents {
  const source = options.source ?? "pytorch_model.bin";
  const fail = (msg: string, details: Record<string, unknown> = {}): TunekitError =>
    new TunekitError("CHECKPOINT_INVALID", `${source}: ${msg}`, { details: { source, ...details } });
  if (!(bytes instanceof Uint8Array)) {
    throw new TunekitError("INVALID_ARGUMENT", `${source}: readTorchCheckpoint expects a Uint8Array`);
  }
  const refs = new Set<unknown>();
  const storageSet = new Set<unknown>();
  const isStorage = (v: unknown): v is TorchStorage => storageSet.has(v);
  const storageType = (v: unknown): StorageDType => {
    const name = (v as { name?: unknown } | null)?.name;
    const dtype = typeof name === "string" ? STORAGE_TYPES[name.replace(/^torch\./, "")] : undefined;
    if (dtype === undefined) throw fail(`storage type is ${describePickled(v)}, not a torch.*Storage`);
    return dtype;
  };
  const globals: PickleGlobal[] = [
    { name: "collections.OrderedDict", call: (args) => orderedDict(args, fail) },
    {
      name: "torch._utils._rebuild_tensor_v2",
      call: (args) => {
        const ref = tensorRef(args, isStorage, fail);
        refs.add(ref);
        return ref;
      },
    },
    { name: "torch._utils._rebuild_parameter", call: (args) => parameterData(args, fail) },
    { name: "torch._utils._rebuild_parameter_with_state", call: (args) => parameterData(args, fail) },
    ...Object.keys(STORAGE_TYPES).map((n) => ({ name: `torch.${n}` })),
  ];

  let root: unknown;
  let format: "zip" | "legacy";
  let littleEndian = true;
  if (looksLikeZip(bytes)) {
    format = "zip";
    const zip = readZip(bytes, { source });
    const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pickles.length !== 1) {
      throw fail(
        `expected exactly one <name>/data.pkl entry in the zip archive (torch.save's layout), found ${pickles.length}` +
          `; entries: ${[...zip.entries.keys()].slice(0, 8).join(", ")}. Is this a PyTorch checkpoint?`,
      );
    }
    const prefix = pickles[0]!.slice(0, -"data.pkl".length);
    if (zip.entries.has(`${prefix}byteorder`)) {
      const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
      if (order !== "little" && order !== "big") throw fail(`byteorder entry is ${JSON.stringify(order)}`);
      littleEndian = order === "little";
    }
    const storages = new Map<string, TorchStorage>();
    root = unpickle(zip.read(pickles[0]!), {
      source: `${source} (${pickles[0]})`,
      globals,
      persistentLoad: (id) => {
        const [kind, type, key, , numel] = persistentId(id, 5, fail);
        if (kind !== "storage" || typeof key !== "string" || !isCount(numel)) {
          throw fail(`persistent id is not ('storage', type, key, location, numel): ${describePickled(id)}`);
        }
        const dtype = storageType(type);
        const known = storages.get(key);
        if (known !== undefined) return known;
        const entry = `${prefix}data/${key}`;
        if (!zip.entries.has(entry)) throw fail(`storage ${JSON.stringify(key)} has no zip entry ${entry}`);
        const data = zip.read(entry);
        if (data.length !== numel * ELEMENT_BYTES[dtype]) {
          throw fail(
            `storage ${JSON.stringify(key)} (${dtype}, ${numel} elements) needs ${numel * ELEMENT_BYTES[dtype]} bytes, but ${entry} has ${data.length}`,
          );
        }
        const storage: TorchStorage = { key, dtype, numel, littleEndian, bytes: () => data };
        storages.set(key, storage);
        storageSet.add(storage);
        return storage;
      },
    }).value;
  } else {
    format = "legacy";
    root = readLegacy(bytes, source, globals, storageType, storageSet, fail);
  }

  if (!(root instanceof PickleDict)) {
    throw fail(
      `holds ${describePickled(root)}, not a state dict (a dict of tensors); save model.state_dict() with torch.save`,
    );
  }
  // A storage that backs one tensor can be viewed without a copy (zip format: one storage per key).
  const users = new Map<TorchStorage, number>();
  for (const value of root.entries.values()) {
    if (refs.has(value)) {
      const { storage } = value as TorchTensorRef;
      users.set(storage, (users.get(storage) ?? 0) + 1);
    }
  }
  // Rough bound on the work hostile views can ask for (stride-0 views of a tiny storage).
  let budget = 4 * bytes.length + (1 << 24);
  const tensors = new Map<string, HostTensor>();
  for (const [key, value] of root.entries) {
    if (typeof key !== "string") throw fail(`state dict key ${describePickled(key)} is not a string`);
    if (!refs.has(value)) {
      throw fail(
        `state dict entry ${JSON.stringify(key)} is ${describePickled(value)}, not a tensor; save model.state_dict(), not a training checkpoint dict`,
        { tensor: key },
      );
    }
    const ref = value as TorchTensorRef;
    const share = format === "zip" && users.get(ref.storage) === 1;
    const t = materializeTensor(ref, key, source, Math.max(0, budget), { share });
    budget -= t.data.length;
    tensors.set(key, t);
  }
  return { tensors, format };
}

type Fail = (msg: string, details?: Record<string, unknown>) => TunekitError;

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function persistentId(id: unknown, minItems: number, fail: Fail): readonly unknown[] {
  if (!(id instanceof PickleTuple) || id.items.length < minItems) {
    throw fail(`persistent id is ${describePickled(id)}; expected a ('storage', ...) tuple`);
  }
  return id.items;
}

function orderedDict(args: readonly unknown[], fail: Fail): PickleDict {
  const d = new PickleDict();
  if (args.length === 0) return d;
  const items = args[0];
  if (args.length !== 1 || !Array.isArray(items))
    throw fail("OrderedDict(...) takes at most a list of pairs");
  for (const pair of items) {
    if (!(pair instanceof PickleTuple) || pair.items.length !== 2)
      throw fail("OrderedDict item is not a pair");
    d.entries.set(pair.items[0], pair.items[1]);
  }
  return d;
}

function parameterData(args: readonly unknown[], fail: Fail): unknown {
  if (args.length < 1) throw fail("torch._utils._rebuild_parameter called without a tensor");
  return args[0];
}

function tensorRef(
  args: readonly unknown[],
  isStorage: (v: unknown) => v is TorchStorage,
  fail: Fail,
): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  const ints = (v: unknown): v is PickleTuple => v instanceof PickleTuple && v.items.every(isCount);
  if (args.length < 4 || !isStorage(storage) || !isCount(offset) || !ints(size) || !ints(stride)) {
    throw fail(
      `torch._utils._rebuild_tensor_v2 expects (storage, offset, size tuple, stride tuple, ...), got (${args.map(describePickled).join(", ")})`,
    );
  }
  if (size.items.length !== stride.items.length) {
    throw fail(`tensor size has ${size.items.length} dimensions but its stride has ${stride.items.length}`);
  }
  return { storage, offset, size: size.items as number[], stride: stride.items as number[] };
}

/**
 * The pre-1.6 format: pickles of the magic number, the protocol version and system info, then
 * the state dict (storages as persistent ids), then the list of storage keys, then each
 * storage's data as an 8-byte element count and the raw elements.
 */
function readLegacy(
  bytes: Uint8Array,
  source: string,
  globals: readonly PickleGlobal[],
  storageType: (v: unknown) => StorageDType,
  storageSet: Set<unknown>,
  fail: Fail,
): unknown {
  if (bytes.length > 262 && new TextDecoder("latin1").decode(bytes.subarray(257, 262)) === "ustar") {
    throw fail(
      "is a tar archive (the format of PyTorch before 0.4); load it with an old torch and re-save it with torch.save, or convert it to safetensors",
    );
  }
  if (bytes.length < 2 || bytes[0] !== 0x80) {
    throw fail(
      "is neither a zip archive (torch.save since PyTorch 1.6) nor a pickle (the legacy format); is it a PyTorch checkpoint? (a safetensors file belongs in model.safetensors)",
    );
  }
  const plain = { source: `${source} (legacy header)`, globals: [] };
  const magic = unpickle(bytes, plain);
  if (magic.value !== LEGACY_MAGIC) {
    throw fail(
      `is a pickle but not a torch.save file (its first value is ${describePickled(magic.value)}, not PyTorch's magic number)`,
    );
  }
  const version = unpickle(bytes, { ...plain, start: magic.end });
  if (version.value !== 1001)
    throw fail(`legacy protocol version is ${describePickled(version.value)}, expected 1001`);
  const sysInfo = unpickle(bytes, { ...plain, start: version.end });
  const little = sysInfo.value instanceof PickleDict ? sysInfo.value.entries.get("little_endian") : undefined;
  if (typeof little !== "boolean") throw fail("legacy system info does not say little_endian: true or false");
  const data = new Map<string, Uint8Array>(); // filled after the state dict's pickle
  const roots = new Map<string, TorchStorage>();
  const storageBytes = (key: string): Uint8Array => data.get(key) ?? new Uint8Array(0);
  const main = unpickle(bytes, {
    source,
    globals,
    start: sysInfo.end,
    persistentLoad: (id) => {
      const [kind, type, key, , numel, view] = persistentId(id, 6, fail);
      if (kind !== "storage" || typeof key !== "string" || !isCount(numel)) {
        throw fail(
          `persistent id is not ('storage', type, key, location, numel, view): ${describePickled(id)}`,
        );
      }
      const dtype = storageType(type);
      let root = roots.get(key);
      if (root === undefined) {
        root = { key, dtype, numel, littleEndian: little, bytes: () => storageBytes(key) };
        roots.set(key, root);
        storageSet.add(root);
      } else if (root.dtype !== dtype || root.numel !== numel) {
        throw fail(`storage ${JSON.stringify(key)} is described twice, differently`);
      }
      if (view === null) return root;
      if (
        !(view instanceof PickleTuple) ||
        view.items.length !== 3 ||
        !isCount(view.items[1]) ||
        !isCount(view.items[2])
      ) {
        throw fail(`storage view metadata is ${describePickled(view)}; expected (key, offset, size)`);
      }
      const [, offset, size] = view.items as [unknown, number, number];
      if (offset + size > numel)
        throw fail(`storage view [${offset}, ${offset + size}) is outside its ${numel}-element storage`);
      const el = ELEMENT_BYTES[dtype];
      const sub: TorchStorage = {
        key: `${key}[${offset}:${offset + size}]`,
        dtype,
        numel: size,
        littleEndian: little,
        bytes: () => storageBytes(key).subarray(offset * el, (offset + size) * el),
      };
      storageSet.add(sub);
      return sub;
    },
  });
  const keys = unpickle(bytes, { source: `${source} (storage keys)`, globals: [], start: main.end });
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    throw fail(`the storage key list is ${describePickled(keys.value)}, not a list of strings`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const s = roots.get(key);
    if (s === undefined || data.has(key))
      throw fail(`storage key ${JSON.stringify(key)} is unknown or listed twice`);
    if (pos + 8 > bytes.length)
      throw fail(`data of storage ${JSON.stringify(key)} is missing; file truncated`);
    const count = view.getBigUint64(pos, little);
    const nbytes = BigInt(ELEMENT_BYTES[s.dtype]) * count;
    if (count !== BigInt(s.numel)) {
      throw fail(
        `storage ${JSON.stringify(key)} declares ${s.numel} elements but its data section says ${count}; file damaged`,
      );
    }
    if (nbytes > BigInt(bytes.length - pos - 8)) {
      throw fail(
        `storage ${JSON.stringify(key)} needs ${nbytes} bytes of data but only ${bytes.length - pos - 8} remain; file truncated`,
      );
    }
    data.set(key, bytes.subarray(pos + 8, pos + 8 + Number(nbytes)));
    pos += 8 + Number(nbytes);
  }
  const unfilled = [...roots.keys()].find((k) => !data.has(k));
  if (unfilled !== undefined) throw fail(`storage ${JSON.stringify(unfilled)} has no data section`);
  return main.value;
}
