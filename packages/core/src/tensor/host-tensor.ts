import { TunekitError } from "../errors.js";

/**
 * Element types of the graph IR. `float32` for activations and weights, `int32` for ids
 * and indices, `bool` for masks and comparison results.
 *
 * @example
 * ```ts
 * const dt: DType = "float32";
 * ```
 */
export type DType = "float32" | "int32" | "bool";

/** Typed array used to store each {@link DType} on the host. @example `const ids: TypedArrayFor<"int32"> = new Int32Array(8)` */
export type TypedArrayFor<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "int32"
    ? Int32Array
    : Uint8Array;

/**
 * A dense, row-major tensor in host memory: the currency between tunekit and backends.
 *
 * @example
 * ```ts
 * const t = hostTensor("float32", [2, 2], new Float32Array([1, 2, 3, 4]));
 * ```
 */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayFor<D>;
}

/**
 * Number of elements of a shape (1 for a scalar `[]`).
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Allocates a zero-filled typed array for `dtype`.
 *
 * @example
 * ```ts
 * allocFor("int32", 4); // Int32Array(4)
 * ```
 */
export function allocFor<D extends DType>(dtype: D, n: number): TypedArrayFor<D> {
  switch (dtype) {
    case "float32":
      return new Float32Array(n) as TypedArrayFor<D>;
    case "int32":
      return new Int32Array(n) as TypedArrayFor<D>;
    case "bool":
      return new Uint8Array(n) as TypedArrayFor<D>;
    default:
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `unknown dtype ${String(dtype)}; expected float32, int32 or bool`,
      );
  }
}

/**
 * Builds a {@link HostTensor}, checking that `data` has the shape's element count and the
 * dtype's array type. Without `data`, the tensor is zero-filled.
 *
 * @example
 * ```ts
 * const ids = hostTensor("int32", [1, 3], new Int32Array([101, 7592, 102]));
 * ```
 */
export function hostTensor<D extends DType>(
  dtype: D,
  shape: readonly number[],
  data?: TypedArrayFor<D> | readonly number[],
): HostTensor<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `invalid shape [${shape.join(", ")}]: dimensions must be non-negative integers`,
      );
    }
  }
  const n = sizeOf(shape);
  let arr: TypedArrayFor<D>;
  if (data === undefined) arr = allocFor(dtype, n);
  else if (Array.isArray(data)) {
    arr = allocFor(dtype, data.length);
    (arr as Float32Array).set(data as number[]);
  } else {
    arr = data as TypedArrayFor<D>;
    const ok =
      (dtype === "float32" && arr instanceof Float32Array) ||
      (dtype === "int32" && arr instanceof Int32Array) ||
      (dtype === "bool" && arr instanceof Uint8Array);
    if (!ok) {
      throw new TunekitError(
        "DTYPE_MISMATCH",
        `hostTensor: data is a ${arr.constructor.name} but dtype is ${dtype}`,
      );
    }
  }
  if (arr.length !== n) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `hostTensor: shape [${shape.join(", ")}] needs ${n} elements, data has ${arr.length}`,
    );
  }
  return { dtype, shape: [...shape], data: arr };
}
