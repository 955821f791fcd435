import { crc32, inflateRawSync } from "node:zlib";
import { type TunekitErrorCode, TunekitError } from "../errors.js";
import { READ_FILE_MAX_BYTES } from "./read-regular-file.js";

/**
 * One file of a zip archive, as listed by its central directory (sizes and offsets already
 * resolved through zip64 extra fields).
 *
 * @example
 * ```ts
 * const entry: ZipEntry = readZip(bytes).entries.get("archive/data.pkl")!;
 * entry.method; // 0 (stored), as torch.save writes it
 * ```
 */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate (the only two methods read). */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** Offset of the entry's local file header in the archive. */
  readonly localHeaderOffset: number;
}

/**
 * Options of {@link readZip}.
 *
 * @example
 * ```ts
 * const opts: ReadZipOptions = { source: "model/pytorch_model.bin", code: "CHECKPOINT_INVALID" };
 * ```
 */
export interface ReadZipOptions {
  /** Prefix of error messages, e.g. the file path (default `"zip"`). */
  readonly source?: string;
  /** Code of the errors thrown for a malformed archive (default `CHECKPOINT_INVALID`). */
  readonly code?: TunekitErrorCode;
}

/**
 * A parsed zip archive: its entries by name, and {@link ZipArchive.read} to get one entry's
 * bytes (stored entries are zero-copy views; deflated ones are inflated; both are CRC-checked).
 *
 * @example
 * ```ts
 * const zip = readZip(bytes, { source: "pytorch_model.bin" });
 * const pickle = zip.read("archive/data.pkl");
 * ```
 */
export interface ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** Bytes of the entry `name`; a missing entry, a bad header, a bad CRC or an unsupported method throws. */
  read(name: string): Uint8Array;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/**
 * Whether `bytes` start like a zip archive (a local file header or an empty archive's end
 * record), e.g. to tell a modern `torch.save` file from the legacy pickle-only format.
 *
 * @example
 * ```ts
 * looksLikeZip(await readFile("pytorch_model.bin")); // true for torch >= 1.6 files
 * ```
 */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  return sig === LOCAL_SIG || sig === EOCD_SIG;
}

/**
 * Parses a zip archive held in memory: the end-of-central-directory record (zip64 too), then
 * every central-directory entry. Everything is bounds-checked against `bytes`; a truncated,
 * overlapping, encrypted, multi-disk or otherwise malformed archive throws a
 * {@link TunekitError} (`options.code`) naming the entry and the problem, never a
 * `RangeError`. Entry data is read lazily by {@link ZipArchive.read}.
 *
 * @example
 * ```ts
 * const zip = readZip(await readFile("pytorch_model.bin"), { source: "pytorch_model.bin" });
 * [...zip.entries.keys()]; // ["archive/data.pkl", "archive/data/0", ..., "archive/version"]
 * ```
 */
export function readZip(bytes: Uint8Array, options: ReadZipOptions = {}): ZipArchive {
  const source = options.source ?? "zip";
  const code = options.code ?? "CHECKPOINT_INVALID";
  const fail = (msg: string, entry?: string): TunekitError =>
    new TunekitError(
      code,
      `${source}: ${entry === undefined ? "" : `zip entry ${JSON.stringify(entry)}: `}${msg}`,
      { details: entry === undefined ? { source } : { source, entry } },
    );
  if (!(bytes instanceof Uint8Array)) {
    throw new TunekitError("INVALID_ARGUMENT", `${source}: readZip expects a Uint8Array`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);
  const u64 = (at: number, what: string): number => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`zip64 ${what} ${v} is impossibly large`);
    return Number(v);
  };

  // End of central directory: the last EOCD signature within the final 22 + 65535 bytes.
  let eocd = -1;
  for (let at = bytes.length - EOCD_SIZE; at >= Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT); at--) {
    if (u32(at) === EOCD_SIG) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) {
    throw fail(
      `no end-of-central-directory record in the last ${Math.min(bytes.length, EOCD_SIZE + MAX_COMMENT)} bytes; ` +
        "not a zip archive, or truncated (re-download or re-save the file)",
    );
  }
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) {
    throw fail("archive spans several disks; only single-file zip archives are read");
  }
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== ZIP64_LOCATOR_SIG) {
      throw fail("the end record asks for zip64 but the zip64 locator is missing; archive damaged");
    }
    const rec = u64(loc + 8, "end record offset");
    if (rec + 56 > loc) throw fail(`zip64 end record offset ${rec} is outside the archive`);
    if (u32(rec) !== ZIP64_EOCD_SIG) throw fail(`no zip64 end record at offset ${rec}; archive damaged`);
    count = u64(rec + 32, "entry count");
    cdSize = u64(rec + 40, "central directory size");
    cdOffset = u64(rec + 48, "central directory offset");
  }
  if (cdOffset + cdSize > bytes.length || cdOffset + cdSize > eocd) {
    throw fail(
      `central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end record at ${eocd}; archive truncated or damaged`,
    );
  }
  if (count * 46 > cdSize) {
    throw fail(`${count} entries cannot fit in a ${cdSize}-byte central directory; archive damaged`);
  }

  const entries = new Map<string, ZipEntry>();
  const nameDecoder = new TextDecoder("utf-8", { fatal: false });
  let at = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || u32(at) !== CENTRAL_SIG) {
      throw fail(`central directory entry ${i} of ${count} at offset ${at} is missing or damaged`);
    }
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressedSize = u32(at + 20);
    let uncompressedSize = u32(at + 24);
    const nameLen = u16(at + 28);
    const extraLen = u16(at + 30);
    const commentLen = u16(at + 32);
    const disk = u16(at + 34);
    let localHeaderOffset = u32(at + 42);
    const next = at + 46 + nameLen + extraLen + commentLen;
    if (next > end) throw fail(`central directory entry ${i} runs past the central directory`);
    const name = nameDecoder.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    if (
      uncompressedSize === 0xffffffff ||
      compressedSize === 0xffffffff ||
      localHeaderOffset === 0xffffffff
    ) {
      // zip64 extended information: 8-byte fields, present only for the 32-bit fields set to 0xffffffff
      let x = at + 46 + nameLen;
      const xEnd = x + extraLen;
      let found = false;
      while (x + 4 <= xEnd) {
        const id = u16(x);
        const size = u16(x + 2);
        if (x + 4 + size > xEnd) break;
        if (id === 0x0001) {
          let f = x + 4;
          const take = (what: string): number => {
            if (f + 8 > x + 4 + size) throw fail(`zip64 extra field is too short for the ${what}`, name);
            const v = u64(f, what);
            f += 8;
            return v;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take("uncompressed size");
          if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take("local header offset");
          found = true;
          break;
        }
        x += 4 + size;
      }
      if (!found) throw fail("sizes are marked zip64 but there is no zip64 extra field", name);
    }
    if (flags & 0x1) throw fail("is encrypted; encrypted archives are not read", name);
    if (disk !== 0) throw fail(`starts on disk ${disk}; only single-file archives are read`, name);
    if (entries.has(name)) throw fail("appears twice in the central directory; archive damaged", name);
    if (localHeaderOffset + 30 + compressedSize > cdOffset) {
      throw fail(
        `data (local header at ${localHeaderOffset}, ${compressedSize} bytes) runs into the central directory at ${cdOffset}; archive truncated or damaged`,
        name,
      );
    }
    entries.set(name, { name, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset });
    at = next;
  }

  const read = (name: string): Uint8Array => {
    const e = entries.get(name);
    if (e === undefined) {
      const some = [...entries.keys()].slice(0, 5).map((n) => JSON.stringify(n));
      throw fail(
        `has no entry ${JSON.stringify(name)}; it holds ${entries.size} entries${some.length ? `, e.g. ${some.join(", ")}` : ""}`,
      );
    }
    const h = e.localHeaderOffset;
    if (u32(h) !== LOCAL_SIG) throw fail(`no local file header at offset ${h}; archive damaged`, name);
    const start = h + 30 + u16(h + 26) + u16(h + 28);
    const stop = start + e.compressedSize;
    if (stop > cdOffset) {
      throw fail(`data [${start}, ${stop}) runs into the central directory at ${cdOffset}`, name);
    }
    const raw = bytes.subarray(start, stop);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) {
        throw fail(
          `is stored (not compressed) but its sizes differ (${e.compressedSize} vs ${e.uncompressedSize})`,
          name,
        );
      }
      data = raw;
    } else if (e.method === 8) {
      if (e.uncompressedSize > READ_FILE_MAX_BYTES) {
        throw fail(
          `inflates to ${e.uncompressedSize} bytes, more than the ${READ_FILE_MAX_BYTES}-byte limit`,
          name,
        );
      }
      try {
        const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
        data = new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch (cause) {
        throw new TunekitError(
          code,
          `${source}: zip entry ${JSON.stringify(name)}: deflate data is corrupt or larger than the declared ${e.uncompressedSize} bytes (${cause instanceof Error ? cause.message : String(cause)})`,
          { cause, details: { source, entry: name } },
        );
      }
      if (data.length !== e.uncompressedSize) {
        throw fail(`inflates to ${data.length} bytes, but the directory says ${e.uncompressedSize}`, name);
      }
    } else {
      throw fail(
        `uses compression method ${e.method}; only stored (0) and deflate (8) are read. Re-save the file with torch.save`,
        name,
      );
    }
    const actual = crc32(data);
    if (actual !== e.crc32) {
      throw fail(
        `CRC-32 ${hex(actual)} does not match the directory's ${hex(e.crc32)}; the file is corrupted (re-download it)`,
        name,
      );
    }
    return data;
  };
  return { entries, read };
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
}
