import { TunekitError } from "../errors.js";
import { type DType, type HostTensor, hostTensor, sizeOf } from "../tensor/host-tensor.js";
import { bfloat16BitsToNumber, float16BitsToNumber } from "./float16.js";
import {
  describeValue,
  HOST_IS_LITTLE_ENDIAN,
  isJsonObject,
  isNonNegativeInt,
  quote,
} from "./json-checks.js";

/**
 * Element types that {@link readSafetensors} understands, as spelled in a safetensors header.
 *
 * @example
 * ```ts
 * const dt: SafetensorsDType = "BF16";
 * ```
 */
export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I8" | "U8" | "BOOL";

const DTYPE_INFO: Readonly<Record<SafetensorsDType, { readonly bytes: number; readonly to: DType }>> = {
  F64: { bytes: 8, to: "float32" },
  F32: { bytes: 4, to: "float32" },
  F16: { bytes: 2, to: "float32" },
  BF16: { bytes: 2, to: "float32" },
  I64: { bytes: 8, to: "int32" },
  I32: { bytes: 4, to: "int32" },
  I8: { bytes: 1, to: "int32" },
  U8: { bytes: 1, to: "int32" },
  BOOL: { bytes: 1, to: "bool" },
};

/**
 * Largest JSON header {@link readSafetensors} accepts (100 MB, the limit of the reference
 * implementation). Larger headers are rejected before anything is allocated.
 *
 * @example
 * ```ts
 * SAFETENSORS_MAX_HEADER_BYTES; // 100_000_000
 * ```
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * One tensor entry of a validated safetensors header. `dataOffsets` are relative to the start
 * of the data region (after the 8-byte prefix and the header).
 *
 * @example
 * ```ts
 * const e: SafetensorsEntry = { name: "w", dtype: "F32", shape: [2], dataOffsets: [0, 8] };
 * ```
 */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly dataOffsets: readonly [number, number];
}

/**
 * A validated safetensors header: entries in file order, metadata, and where the data region
 * starts in the file.
 *
 * @example
 * ```ts
 * const h: SafetensorsHeader = readSafetensorsHeader(bytes);
 * h.entries.map((e) => e.name);
 * ```
 */
export interface SafetensorsHeader {
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Record<string, string>;
  /** Byte offset of the data region in the file (8 + header length). */
  readonly dataStart: number;
}

/**
 * Options of {@link readSafetensors}.
 *
 * @example
 * ```ts
 * const opts: ReadSafetensorsOptions = { names: ["classifier.weight"], source: "model.safetensors" };
 * ```
 */
export interface ReadSafetensorsOptions {
  /** Only decode these tensors (the whole header is still validated). Missing names throw `CHECKPOINT_MISMATCH`. */
  readonly names?: readonly string[];
  /** Label used as the prefix of error messages (default `"safetensors"`), e.g. the file path. */
  readonly source?: string;
  /**
   * Always copy tensor data. By default aligned little-endian F32/I32/BOOL data is returned as a
   * zero-copy view of `bytes` (so writing to it writes to `bytes`); everything else is copied.
   */
  readonly copy?: boolean;
}

/**
 * Result of {@link readSafetensors}: tensors by name (file order) and the `__metadata__` strings.
 *
 * @example
 * ```ts
 * const { tensors, metadata }: SafetensorsContents = readSafetensors(bytes);
 * ```
 */
export interface SafetensorsContents {
  readonly tensors: Map<string, HostTensor>;
  readonly metadata: Record<string, string>;
}

/**
 * Parses and validates the header of a safetensors buffer without decoding any tensor: dtypes,
 * shapes, byte lengths, and that the tensors cover the data region exactly (no overlaps, no gaps,
 * no trailing bytes). Throws `TunekitError("SAFETENSORS_INVALID")` naming the tensor and problem.
 *
 * @example
 * ```ts
 * const { entries } = readSafetensorsHeader(bytes);
 * console.log(entries.map((e) => `${e.name} ${e.dtype} [${e.shape}]`));
 * ```
 */
export function readSafetensorsHeader(bytes: Uint8Array, source = "safetensors"): SafetensorsHeader {
  const fail = (msg: string, tensor?: string): TunekitError =>
    new TunekitError(
      "SAFETENSORS_INVALID",
      `${source}: ${tensor === undefined ? "" : `tensor ${quote(tensor)}: `}${msg}`,
      tensor === undefined ? undefined : { details: { tensor } },
    );
  if (!(bytes instanceof Uint8Array)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${source}: expected a Uint8Array, got ${describeValue(bytes)}`,
    );
  }
  if (bytes.length < 8) {
    throw fail(
      `file is ${bytes.length} bytes, shorter than the 8-byte header-length prefix; not a safetensors file (truncated?)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLenBig = view.getBigUint64(0, true);
  if (headerLenBig > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    throw fail(
      `header length ${headerLenBig} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit; not a safetensors file or corrupted`,
    );
  }
  const headerLen = Number(headerLenBig);
  if (headerLen > bytes.length - 8) {
    throw fail(
      `header length ${headerLen} is larger than the ${bytes.length - 8} bytes that follow the prefix; file truncated or not safetensors`,
    );
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  let json: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
    json = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isJsonObject(json)) throw fail(`header must be a JSON object, got ${describeValue(json)}`);

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(raw, fail);
      continue;
    }
    if (!isJsonObject(raw))
      throw fail(`entry must be an object {dtype, shape, data_offsets}, got ${describeValue(raw)}`, name);
    const { dtype, shape, data_offsets: offsets } = raw;
    if (typeof dtype !== "string") throw fail(`dtype must be a string, got ${describeValue(dtype)}`, name);
    if (!Object.hasOwn(DTYPE_INFO, dtype)) {
      throw fail(
        `unsupported dtype ${quote(dtype)}; supported: ${Object.keys(DTYPE_INFO).join(", ")}. Convert the checkpoint (e.g. to F32) first`,
        name,
      );
    }
    const info = DTYPE_INFO[dtype as SafetensorsDType];
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
      throw fail(`shape must be an array of non-negative integers, got ${describeValue(shape)}`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
      throw fail(
        `data_offsets must be an array of 2 non-negative integers, got ${describeValue(offsets)}`,
        name,
      );
    }
    const [start, end] = offsets as [number, number];
    if (end < start) throw fail(`data_offsets [${start}, ${end}] end before they start`, name);
    if (end > dataLen) {
      throw fail(
        `data_offsets [${start}, ${end}] run past the end of the data region (${dataLen} bytes); file truncated?`,
        name,
      );
    }
    let numel = shape.includes(0) ? 0 : 1;
    let tooBig = false;
    for (const d of numel === 0 ? [] : (shape as number[])) {
      numel *= d;
      if (numel * info.bytes > Number.MAX_SAFE_INTEGER) {
        tooBig = true; // cannot match; stop before hostile shapes overflow
        break;
      }
    }
    if (tooBig || numel * info.bytes !== end - start) {
      const needs = tooBig ? `more than ${Number.MAX_SAFE_INTEGER}` : `${numel * info.bytes}`;
      throw fail(
        `shape [${shape.join(", ")}] of ${dtype} needs ${needs} bytes, but data_offsets [${start}, ${end}] span ${end - start} bytes`,
        name,
      );
    }
    entries.push({
      name,
      dtype: dtype as SafetensorsDType,
      shape: [...(shape as number[])],
      dataOffsets: [start, end],
    });
  }

  const sorted = [...entries].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of sorted) {
    const [start, end] = e.dataOffsets;
    if (start < cursor) {
      throw fail(
        `data_offsets [${start}, ${end}] overlap tensor ${quote(previous!.name)} [${previous!.dataOffsets.join(", ")}]`,
        e.name,
      );
    }
    if (start > cursor) {
      throw fail(
        `data_offsets [${start}, ${end}] leave a gap of ${start - cursor} unused bytes after ${previous === undefined ? "the start of the data region" : `tensor ${quote(previous.name)}`}; tensors must cover the data region contiguously`,
        e.name,
      );
    }
    cursor = end;
    previous = e;
  }
  if (cursor !== dataLen) {
    throw fail(
      `data region has ${dataLen - cursor} trailing bytes not covered by any tensor (tensors end at ${cursor}, data region is ${dataLen} bytes)`,
    );
  }
  return { entries, metadata, dataStart };
}

function parseMetadata(raw: unknown, fail: (msg: string) => TunekitError): Record<string, string> {
  if (!isJsonObject(raw))
    throw fail(`__metadata__ must be an object of string values, got ${describeValue(raw)}`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string")
      throw fail(`__metadata__[${quote(k)}] must be a string, got ${describeValue(v)}`);
  }
  return { ...(raw as Record<string, string>) };
}

/**
 * Reads a safetensors buffer into {@link HostTensor}s. F32 stays float32; F16, BF16 and F64 are
 * converted to float32; I64, I32, I8 and U8 become int32 (an I64 value outside the int32 range
 * throws, naming the tensor); BOOL becomes bool. Invalid or hostile input throws
 * `TunekitError("SAFETENSORS_INVALID")` and never allocates more than the input implies.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readSafetensors(bytes, { names: ["classifier.weight"] });
 * tensors.get("classifier.weight")?.shape; // [3, 32]
 * ```
 */
export function readSafetensors(bytes: Uint8Array, opts: ReadSafetensorsOptions = {}): SafetensorsContents {
  const source = opts.source ?? "safetensors";
  const header = readSafetensorsHeader(bytes, source);
  let wanted: Set<string> | undefined;
  if (opts.names !== undefined) {
    wanted = new Set(opts.names);
    const present = new Set(header.entries.map((e) => e.name));
    const missing = [...wanted].filter((n) => !present.has(n));
    if (missing.length > 0) {
      throw new TunekitError(
        "CHECKPOINT_MISMATCH",
        `${source}: requested tensor(s) ${missing.slice(0, 5).map(quote).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""} not found; the file has ${present.size} tensors, e.g. ${[...present].slice(0, 5).map(quote).join(", ")}`,
        { details: { missing } },
      );
    }
  }
  const tensors = new Map<string, HostTensor>();
  for (const e of header.entries) {
    if (wanted !== undefined && !wanted.has(e.name)) continue;
    tensors.set(e.name, decodeEntry(bytes, header.dataStart, e, opts.copy === true, source));
  }
  return { tensors, metadata: header.metadata };
}

function decodeEntry(
  bytes: Uint8Array,
  dataStart: number,
  e: SafetensorsEntry,
  copy: boolean,
  source: string,
): HostTensor {
  const abs = dataStart + e.dataOffsets[0];
  const n = sizeOf(e.shape);
  const offset = bytes.byteOffset + abs;
  const view = new DataView(bytes.buffer, offset, e.dataOffsets[1] - e.dataOffsets[0]);
  switch (e.dtype) {
    case "F32": {
      if (HOST_IS_LITTLE_ENDIAN && offset % 4 === 0) {
        const v = new Float32Array(bytes.buffer, offset, n);
        return hostTensor("float32", e.shape, copy ? v.slice() : v);
      }
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return hostTensor("float32", e.shape, out);
    }
    case "I32": {
      if (HOST_IS_LITTLE_ENDIAN && offset % 4 === 0) {
        const v = new Int32Array(bytes.buffer, offset, n);
        return hostTensor("int32", e.shape, copy ? v.slice() : v);
      }
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return hostTensor("int32", e.shape, out);
    }
    case "F64": {
      const out = new Float32Array(n);
      if (HOST_IS_LITTLE_ENDIAN && offset % 8 === 0) out.set(new Float64Array(bytes.buffer, offset, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return hostTensor("float32", e.shape, out);
    }
    case "F16":
    case "BF16": {
      const decode = e.dtype === "F16" ? float16BitsToNumber : bfloat16BitsToNumber;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = decode(view.getUint16(i * 2, true));
      return hostTensor("float32", e.shape, out);
    }
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = view.getInt32(i * 8, true);
        const hi = view.getInt32(i * 8 + 4, true);
        if (hi !== (lo < 0 ? -1 : 0)) {
          throw new TunekitError(
            "SAFETENSORS_INVALID",
            `${source}: tensor ${quote(e.name)}: I64 value ${view.getBigInt64(i * 8, true)} at flat index ${i} does not fit int32 [-2147483648, 2147483647]; tunekit stores integers as int32`,
            { details: { tensor: e.name, index: i } },
          );
        }
        out[i] = lo;
      }
      return hostTensor("int32", e.shape, out);
    }
    case "I8":
      return hostTensor("int32", e.shape, Int32Array.from(new Int8Array(bytes.buffer, offset, n)));
    case "U8":
      return hostTensor("int32", e.shape, Int32Array.from(bytes.subarray(abs, abs + n)));
    case "BOOL": {
      const v = bytes.subarray(abs, abs + n);
      if (!copy && v.every((b) => b <= 1)) return hostTensor("bool", e.shape, v);
      return hostTensor(
        "bool",
        e.shape,
        v.map((b) => (b === 0 ? 0 : 1)),
      );
    }
  }
}
