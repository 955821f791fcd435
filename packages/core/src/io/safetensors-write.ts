import { TunekitError } from "../errors.js";
import { type DType, type HostTensor, sizeOf } from "../tensor/host-tensor.js";
import { numberToFloat16Bits } from "./float16.js";
import { describeValue, HOST_IS_LITTLE_ENDIAN, isNonNegativeInt, quote } from "./json-checks.js";
import type { SafetensorsDType } from "./safetensors.js";

const WRITE_DTYPE: Readonly<Record<DType, SafetensorsDType>> = { float32: "F32", int32: "I32", bool: "BOOL" };

/**
 * Options of {@link writeSafetensors}.
 *
 * @example
 * ```ts
 * const opts: WriteSafetensorsOptions = { floatDType: "F16" }; // half-size files, like torch_dtype float16
 * ```
 */
export interface WriteSafetensorsOptions {
  /** How float32 tensors are stored: `F32` (default, exact) or `F16` (rounded to nearest, half the bytes;
   * a value beyond ±65504 is an error rather than an infinity). */
  readonly floatDType?: "F32" | "F16";
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes: float32 as F32 (or
 * F16 with `floatDType: "F16"`), int32 as I32, bool as BOOL (normalized to 0/1). Tensors are
 * laid out widest types first, then by name, and the header is padded with spaces to a
 * multiple of 8 so data stays aligned.
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors({ w: hostTensor("float32", [2], [1, 2]) }, { format: "pt" });
 * readSafetensors(bytes).tensors.get("w")?.data; // Float32Array [1, 2]
 * ```
 */
export function writeSafetensors(
  tensors: Readonly<Record<string, HostTensor>> | ReadonlyMap<string, HostTensor>,
  metadata?: Readonly<Record<string, string>>,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const items: [string, HostTensor][] =
    tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, HostTensor>);
  const floatDType = options.floatDType ?? "F32";
  if (floatDType !== "F32" && floatDType !== "F16") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `writeSafetensors: floatDType must be "F32" or "F16", got ${describeValue(floatDType)}`,
    );
  }
  for (const [name, t] of items) checkWritable(name, t);
  const stored = (t: HostTensor): SafetensorsDType =>
    t.dtype === "float32" && floatDType === "F16" ? "F16" : WRITE_DTYPE[t.dtype];
  const width = (t: HostTensor): number => ({ F32: 4, I32: 4, F16: 2 })[stored(t) as "F32"] ?? 1;
  const byteLength = (t: HostTensor): number => t.data.length * width(t);
  items.sort(([an, at], [bn, bt]) => width(bt) - width(at) || (an < bn ? -1 : an > bn ? 1 : 0));

  const parts: string[] = [];
  if (metadata !== undefined) {
    const metaParts: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `writeSafetensors: metadata[${quote(k)}] must be a string, got ${describeValue(v)}; convert values with String() or JSON.stringify()`,
        );
      }
      metaParts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    if (metaParts.length > 0) parts.push(`"__metadata__":{${metaParts.join(",")}}`);
  }
  let dataLen = 0;
  for (const [name, t] of items) {
    const bytesLen = byteLength(t);
    const entry = {
      dtype: stored(t),
      shape: t.shape,
      data_offsets: [dataLen, dataLen + bytesLen],
    };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    dataLen += bytesLen;
  }
  const headerBytes = new TextEncoder().encode(`{${parts.join(",")}}`);
  const paddedLen = Math.ceil(headerBytes.length / 8) * 8;
  const out = new Uint8Array(8 + paddedLen + dataLen);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(paddedLen), true);
  out.set(headerBytes, 8);
  out.fill(0x20, 8 + headerBytes.length, 8 + paddedLen);
  let pos = 8 + paddedLen;
  for (const [name, t] of items) {
    const d = t.data;
    if (t.dtype === "bool") for (let i = 0; i < d.length; i++) out[pos + i] = d[i] === 0 ? 0 : 1;
    else if (stored(t) === "F16") writeHalves(view, pos, name, d);
    else if (HOST_IS_LITTLE_ENDIAN) out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    else if (t.dtype === "float32")
      for (let i = 0; i < d.length; i++) view.setFloat32(pos + i * 4, d[i]!, true);
    else for (let i = 0; i < d.length; i++) view.setInt32(pos + i * 4, d[i]!, true);
    pos += byteLength(t);
  }
  return out;
}

function writeHalves(view: DataView, pos: number, name: string, d: HostTensor["data"]): void {
  for (let i = 0; i < d.length; i++) {
    const bits = numberToFloat16Bits(d[i]!);
    if ((bits & 0x7fff) === 0x7c00 && Number.isFinite(d[i]!)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `writeSafetensors: tensor ${quote(name)} element ${i} is ${d[i]}, beyond float16's ±65504; store it as F32`,
        { details: { tensor: name } },
      );
    }
    view.setUint16(pos + i * 2, bits, true);
  }
}

function checkWritable(name: string, t: HostTensor): void {
  const bad = (msg: string): TunekitError =>
    new TunekitError("INVALID_ARGUMENT", `writeSafetensors: tensor ${quote(name)}: ${msg}`, {
      details: { tensor: name },
    });
  if (name === "__metadata__")
    throw bad("the name __metadata__ is reserved by the format; rename the tensor");
  if (typeof t !== "object" || t === null) throw bad(`expected a HostTensor, got ${describeValue(t)}`);
  const ctor = { float32: Float32Array, int32: Int32Array, bool: Uint8Array }[t.dtype];
  if (ctor === undefined)
    throw bad(`unsupported dtype ${quote(String(t.dtype))}; expected float32, int32 or bool`);
  if (!(t.data instanceof ctor)) {
    throw bad(`dtype ${t.dtype} needs a ${ctor.name} but data is ${describeValue(t.data)}`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegativeInt)) {
    throw bad(`shape must be an array of non-negative integers, got ${describeValue(t.shape)}`);
  }
  if (sizeOf(t.shape) !== t.data.length) {
    throw bad(
      `shape [${t.shape.join(", ")}] needs ${sizeOf(t.shape)} elements but data has ${t.data.length}`,
    );
  }
}
