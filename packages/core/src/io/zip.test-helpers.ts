import { crc32, deflateRawSync } from "node:zlib";

/**
 * One file for {@link makeTestZip}: its name, bytes and how to store them.
 *
 * @example
 * ```ts
 * const e: TestZipEntry = { name: "archive/data.pkl", data: pickleBytes, method: 8 };
 * ```
 */
export interface TestZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 = stored (default), 8 = deflate. */
  readonly method?: 0 | 8;
}

/**
 * Writes a small zip archive in memory, for tests of {@link readZip} and the PyTorch checkpoint
 * reader: stored or deflated entries, optionally with zip64 extra fields and a zip64 end
 * record (`zip64: true`) and an archive comment.
 *
 * @example
 * ```ts
 * const zip = makeTestZip([{ name: "a/data.pkl", data: pickle }], { zip64: true });
 * readZip(zip).read("a/data.pkl"); // pickle
 * ```
 */
export function makeTestZip(
  entries: readonly TestZipEntry[],
  options: { readonly zip64?: boolean; readonly comment?: string } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const z64 = options.zip64 === true;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const method = e.method ?? 0;
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const crc = crc32(e.data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, method, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, body.length, true);
    local.setUint32(22, e.data.length, true);
    local.setUint16(26, name.length, true);
    parts.push(new Uint8Array(local.buffer), name, body);
    const extra = new DataView(new ArrayBuffer(z64 ? 28 : 0));
    if (z64) {
      extra.setUint16(0, 0x0001, true);
      extra.setUint16(2, 24, true);
      extra.setBigUint64(4, BigInt(e.data.length), true);
      extra.setBigUint64(12, BigInt(body.length), true);
      extra.setBigUint64(20, BigInt(offset), true);
    }
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 45, true);
    c.setUint16(6, 45, true);
    c.setUint16(10, method, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, z64 ? 0xffffffff : body.length, true);
    c.setUint32(24, z64 ? 0xffffffff : e.data.length, true);
    c.setUint16(28, name.length, true);
    c.setUint16(30, extra.byteLength, true);
    c.setUint32(42, z64 ? 0xffffffff : offset, true);
    central.push(new Uint8Array(c.buffer), name, new Uint8Array(extra.buffer));
    offset += 30 + name.length + body.length;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((n, p) => n + p.length, 0);
  const tail: Uint8Array[] = [];
  if (z64) {
    const rec = new DataView(new ArrayBuffer(56));
    rec.setUint32(0, 0x06064b50, true);
    rec.setBigUint64(4, 44n, true);
    rec.setBigUint64(24, BigInt(entries.length), true);
    rec.setBigUint64(32, BigInt(entries.length), true);
    rec.setBigUint64(40, BigInt(cdSize), true);
    rec.setBigUint64(48, BigInt(cdOffset), true);
    const loc = new DataView(new ArrayBuffer(20));
    loc.setUint32(0, 0x07064b50, true);
    loc.setBigUint64(8, BigInt(cdOffset + cdSize), true);
    loc.setUint32(16, 1, true);
    tail.push(new Uint8Array(rec.buffer), new Uint8Array(loc.buffer));
  }
  const comment = enc.encode(options.comment ?? "");
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, z64 ? 0xffff : entries.length, true);
  end.setUint16(10, z64 ? 0xffff : entries.length, true);
  end.setUint32(12, z64 ? 0xffffffff : cdSize, true);
  end.setUint32(16, z64 ? 0xffffffff : cdOffset, true);
  end.setUint16(20, comment.length, true);
  const all = [...parts, ...central, ...tail, new Uint8Array(end.buffer), comment];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
