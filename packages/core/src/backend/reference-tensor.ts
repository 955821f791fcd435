import { TunekitError } from "../errors.js";
import type { DType, HostTensor } from "../tensor/host-tensor.js";
import { hostTensor, sizeOf } from "../tensor/host-tensor.js";

/**
 * A tensor of the reference backend: every dtype is carried as a `Float64Array` (int32 and
 * bool hold integral values; bool is 0 or 1), so float32 math runs in float64.
 *
 * @example
 * ```ts
 * const t: Float64Tensor = { dtype: "float32", shape: [2], data: new Float64Array([1, 2]) };
 * ```
 */
export interface Float64Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/**
 * Row-major strides of a shape (in elements).
 *
 * @example
 * ```ts
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * For each element of `outShape` (row-major), the offset of the element of a tensor of
 * `inShape` that NumPy broadcasting reads; `inShape` must broadcast to `outShape`.
 *
 * @example
 * ```ts
 * broadcastOffsets([3], [2, 3]); // Int32Array [0, 1, 2, 0, 1, 2]
 * ```
 */
export function broadcastOffsets(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Stride in the input for each output axis (0 for stretched or missing axes).
  const st = new Array<number>(rank).fill(0);
  for (let i = 0; i < rank; i++) {
    const j = i - (rank - inShape.length);
    if (j >= 0 && inShape[j] !== 1) st[i] = inStrides[j]!;
  }
  const out = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let e = 0; e < n; e++) {
    out[e] = off;
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]!++;
      off += st[ax]!;
      if (idx[ax]! < outShape[ax]!) break;
      off -= st[ax]! * idx[ax]!;
      idx[ax] = 0;
    }
  }
  return out;
}

/**
 * Converts a {@link HostTensor} (or passes through a {@link Float64Tensor}) to float64.
 *
 * @example
 * ```ts
 * toFloat64Tensor(hostTensor("int32", [2], [1, 2])).data; // Float64Array [1, 2]
 * ```
 */
export function toFloat64Tensor(t: HostTensor | Float64Tensor): Float64Tensor {
  if (t.data instanceof Float64Array) return t as Float64Tensor;
  return { dtype: t.dtype, shape: [...t.shape], data: Float64Array.from(t.data as ArrayLike<number>) };
}

/**
 * Converts a {@link Float64Tensor} to a {@link HostTensor} of its dtype (float32 rounds,
 * int32 wraps like a C cast, bool is `x != 0`).
 *
 * @example
 * ```ts
 * toHostTensor({ dtype: "float32", shape: [1], data: new Float64Array([0.1]) }).data; // Float32Array
 * ```
 */
export function toHostTensor(t: Float64Tensor): HostTensor {
  const n = t.data.length;
  switch (t.dtype) {
    case "float32":
      return hostTensor("float32", t.shape, Float32Array.from(t.data));
    case "int32": {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = t.data[i]! | 0;
      return hostTensor("int32", t.shape, a);
    }
    case "bool": {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = t.data[i] !== 0 ? 1 : 0;
      return hostTensor("bool", t.shape, a);
    }
    default:
      throw new TunekitError("INVALID_ARGUMENT", `unknown dtype ${String(t.dtype)}`);
  }
}

/** A new Float64Tensor of `shape` and `dtype` (zero-filled unless `data` is given). */
export function f64(dtype: DType, shape: readonly number[], data?: Float64Array): Float64Tensor {
  return { dtype, shape: [...shape], data: data ?? new Float64Array(sizeOf(shape)) };
}
