/**
 * A minimal protocol-buffers encoder: just what ONNX `ModelProto` needs (varints, 64-bit
 * integers, 32-bit floats, length-delimited bytes, strings and nested messages). Messages
 * are kept as lists of byte chunks so that large tensor payloads are copied exactly once,
 * when {@link ProtoMessage.toBytes} concatenates the final model.
 */

/** Wire types of the protobuf encoding. */
const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** Appends the varint encoding of a non-negative safe integer (or a bigint for negatives). */
function varintBytes(value: number | bigint): Uint8Array {
  let v = typeof value === "bigint" ? value : BigInt(value);
  if (v < 0n) v = BigInt.asUintN(64, v); // two's complement, 10 bytes
  if (v < 0x80n) return Uint8Array.of(Number(v));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Fast path for small non-negative numbers (tags, lengths). */
function smallVarint(value: number): Uint8Array {
  if (value < 0 || !Number.isSafeInteger(value)) return varintBytes(value);
  if (value < 0x80) return Uint8Array.of(value);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * One protobuf message under construction: fields are appended in call order, each as a
 * tag followed by its payload.
 *
 * @example
 * ```ts
 * const m = new ProtoMessage().int64(1, 8).string(2, "tunekit");
 * const bytes = m.toBytes();
 * ```
 */
export class ProtoMessage {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** Encoded length in bytes. */
  get byteLength(): number {
    return this.size;
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private tag(field: number, wire: number): void {
    this.push(smallVarint(field * 8 + wire));
  }

  /** A varint field holding an int32/int64/enum/bool (negative values take 10 bytes). */
  int64(field: number, value: number | bigint): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf field ${field}: ${value} is not a safe integer`);
    }
    this.tag(field, WIRE_VARINT);
    this.push(varintBytes(value));
    return this;
  }

  /** A 32-bit float field (`fixed32` wire type, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  /** A length-delimited bytes field; `data` is referenced, not copied, until `toBytes`. */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(smallVarint(data.length));
    if (data.length > 0) this.push(data);
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** A nested message field. */
  message(field: number, msg: ProtoMessage): this {
    this.tag(field, WIRE_LEN);
    this.push(smallVarint(msg.size));
    for (const c of msg.chunks) this.chunks.push(c);
    this.size += msg.size;
    return this;
  }

  /** A packed repeated varint field (`repeated int64` / `repeated int32`). */
  packedInt64(field: number, values: readonly (number | bigint)[]): this {
    const parts = values.map((v) => varintBytes(v));
    const len = parts.reduce((n, p) => n + p.length, 0);
    this.tag(field, WIRE_LEN);
    this.push(smallVarint(len));
    for (const p of parts) this.push(p);
    return this;
  }

  /** A packed repeated float field. */
  packedFloat(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, b);
  }

  /** The whole message as one buffer (the only copy of large payloads). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}
