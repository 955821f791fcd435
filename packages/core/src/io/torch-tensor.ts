import { TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import {
  bfloat16ArrayToFloat32,
  bfloat16BitsToNumber,
  float16ArrayToFloat32,
  float16BitsToNumber,
} from "./float16.js";
import { HOST_IS_LITTLE_ENDIAN } from "./json-checks.js";

/**
 * Element type of a PyTorch storage (`torch.FloatStorage` is `"F32"`, `torch.HalfStorage`
 * `"F16"`, ...), spelled as in safetensors.
 *
 * @example
 * ```ts
 * const dt: StorageDType = "BF16"; // torch.BFloat16Storage
 * ```
 */
export type StorageDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/**
 * One storage of a PyTorch checkpoint: a flat array of `numel` elements that tensors view.
 * `bytes()` gives its raw bytes (legacy files fill them in after the pickle is read).
 *
 * @example
 * ```ts
 * const s: TorchStorage = { key: "0", dtype: "F32", numel: 2, littleEndian: true, bytes: () => new Uint8Array(8) };
 * ```
 */
export interface TorchStorage {
  readonly key: string;
  readonly dtype: StorageDType;
  readonly numel: number;
  readonly littleEndian: boolean;
  bytes(): Uint8Array;
}

/**
 * A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view of a storage from element
 * `offset`, with `size` and `stride` in elements.
 *
 * @example
 * ```ts
 * const transposed: TorchTensorRef = { storage, offset: 0, size: [3, 2], stride: [1, 3] };
 * ```
 */
export interface TorchTensorRef {
  readonly storage: TorchStorage;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

/** Bytes per element of each {@link StorageDType}. @example `STORAGE_ELEMENT_BYTES.BF16 // 2` */
export const STORAGE_ELEMENT_BYTES: Readonly<Record<StorageDType, number>> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

const MAX_RANK = 64;

/**
 * Copies the elements a tensor view selects out of its storage into a new row-major
 * {@link HostTensor}: float types become float32 (float16 and bfloat16 exactly, float64
 * rounded), integer types int32 (an int64 outside int32 is an error), bool stays bool, as
 * {@link readSafetensors} converts. The view must lie inside the storage; a view asking for
 * more than `maxElements` elements (e.g. a stride-0 view of a tiny storage) is refused. With
 * `share: true` (the storage backs no other tensor) a contiguous, aligned float32 view is
 * returned without a copy, as a view of the storage bytes (as {@link readSafetensors} does).
 * Errors are `CHECKPOINT_INVALID` naming the tensor.
 *
 * @example
 * ```ts
 * const t = materializeTensor({ storage, offset: 0, size: [3, 2], stride: [1, 3] }, "w", "model.bin", 1e6);
 * t.shape; // [3, 2], the transpose of the [2, 3] storage
 * ```
 */
export function materializeTensor(
  ref: TorchTensorRef,
  name: string,
  source: string,
  maxElements: number,
  options: { readonly share?: boolean } = {},
): HostTensor {
  const fail = (msg: string): TunekitError =>
    new TunekitError("CHECKPOINT_INVALID", `${source}: tensor ${JSON.stringify(name)}: ${msg}`, {
      details: { source, tensor: name },
    });
  const { storage, offset, size, stride } = ref;
  if (size.length > MAX_RANK) throw fail(`has ${size.length} dimensions; at most ${MAX_RANK} are read`);
  let numel = 1;
  let last = offset; // largest storage index the view touches
  for (let i = 0; i < size.length; i++) {
    numel *= size[i]!;
    last += (size[i]! - 1) * stride[i]!;
  }
  const shape = `size [${size.join(", ")}], stride [${stride.join(", ")}], offset ${offset}`;
  if (numel > maxElements) {
    throw fail(
      `${shape} asks for ${numel} elements, more than this file can hold (${maxElements}); file damaged`,
    );
  }
  if (numel > 0 && !(last < storage.numel)) {
    throw fail(
      `${shape} reaches element ${last} of a ${storage.numel}-element ${storage.dtype} storage; file damaged`,
    );
  }
  const bytes = storage.bytes();
  const el = STORAGE_ELEMENT_BYTES[storage.dtype];
  if (bytes.length !== storage.numel * el) {
    throw fail(`its storage has ${bytes.length} bytes, expected ${storage.numel} × ${el}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = storage.littleEndian;
  // Storage index of the k-th element (row-major): offset + k when the view is contiguous.
  let contiguous = true;
  for (let d = size.length - 1, expected = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d]!;
  }
  const index = contiguous ? undefined : stridedIndices(size, stride, offset, numel);
  const at = (k: number): number => (index === undefined ? offset + k : index[k]!);
  if (contiguous && le === HOST_IS_LITTLE_ENDIAN) {
    const fast = contiguousFloat(storage.dtype, bytes, offset, numel, options.share === true);
    if (fast !== undefined) return hostTensor("float32", [...size], fast);
  }
  const dims = [...size];
  switch (storage.dtype) {
    case "F32":
    case "F64":
    case "F16":
    case "BF16": {
      const out = new Float32Array(numel);
      const get = floatReader(storage.dtype, view, le);
      for (let k = 0; k < numel; k++) out[k] = get(at(k));
      return hostTensor("float32", dims, out);
    }
    case "I64": {
      const out = new Int32Array(numel);
      for (let k = 0; k < numel; k++) {
        const v = view.getBigInt64(at(k) * 8, le);
        if (v < -2147483648n || v > 2147483647n) {
          throw fail(
            `int64 value ${v} at flat index ${k} does not fit int32; tunekit stores integers as int32`,
          );
        }
        out[k] = Number(v);
      }
      return hostTensor("int32", dims, out);
    }
    case "I32":
    case "I16":
    case "I8":
    case "U8": {
      const out = new Int32Array(numel);
      const get = intReader(storage.dtype, view, le);
      for (let k = 0; k < numel; k++) out[k] = get(at(k));
      return hostTensor("int32", dims, out);
    }
    case "BOOL": {
      const out = new Uint8Array(numel);
      for (let k = 0; k < numel; k++) out[k] = bytes[at(k)] === 0 ? 0 : 1;
      return hostTensor("bool", dims, out);
    }
  }
}

/** Float tensors of contiguous host-endian storage, decoded in bulk; `undefined` for other dtypes. */
function contiguousFloat(
  dtype: StorageDType,
  bytes: Uint8Array,
  offset: number,
  numel: number,
  share: boolean,
): Float32Array | undefined {
  const el = STORAGE_ELEMENT_BYTES[dtype];
  const start = bytes.byteOffset + offset * el;
  const aligned = start % el === 0;
  const raw = (): ArrayBuffer => bytes.buffer.slice(start, start + numel * el) as ArrayBuffer;
  switch (dtype) {
    case "F32":
      if (share && aligned) return new Float32Array(bytes.buffer, start, numel);
      return new Float32Array(raw());
    case "F16":
    case "BF16": {
      const bits = aligned ? new Uint16Array(bytes.buffer, start, numel) : new Uint16Array(raw());
      const out = new Float32Array(numel);
      (dtype === "F16" ? float16ArrayToFloat32 : bfloat16ArrayToFloat32)(bits, out);
      return out;
    }
    default:
      return undefined;
  }
}

/** Storage indices of a strided view's elements, in row-major order. */
function stridedIndices(
  size: readonly number[],
  stride: readonly number[],
  offset: number,
  numel: number,
): Float64Array {
  const index = new Float64Array(numel);
  const counter = new Array<number>(size.length).fill(0);
  let at = offset;
  for (let k = 0; k < numel; k++) {
    index[k] = at;
    for (let d = size.length - 1; d >= 0; d--) {
      if (++counter[d]! < size[d]!) {
        at += stride[d]!;
        break;
      }
      at -= (size[d]! - 1) * stride[d]!;
      counter[d] = 0;
    }
  }
  return index;
}

function floatReader(
  dtype: "F32" | "F64" | "F16" | "BF16",
  view: DataView,
  le: boolean,
): (i: number) => number {
  switch (dtype) {
    case "F32":
      return (i) => view.getFloat32(i * 4, le);
    case "F64":
      return (i) => view.getFloat64(i * 8, le);
    case "F16":
      return (i) => float16BitsToNumber(view.getUint16(i * 2, le));
    case "BF16":
      return (i) => bfloat16BitsToNumber(view.getUint16(i * 2, le));
  }
}

function intReader(dtype: "I32" | "I16" | "I8" | "U8", view: DataView, le: boolean): (i: number) => number {
  switch (dtype) {
    case "I32":
      return (i) => view.getInt32(i * 4, le);
    case "I16":
      return (i) => view.getInt16(i * 2, le);
    case "I8":
      return (i) => view.getInt8(i);
    case "U8":
      return (i) => view.getUint8(i);
  }
}
