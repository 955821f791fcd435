import { readFile, stat } from "node:fs/promises";
import { TunekitError } from "../errors.js";
import type { ReadLimits } from "./table-reader.js";

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
/** windows-1252 characters for bytes 0x80..0x9F (undefined bytes stay as C1 controls). */
const CP1252_HIGH = [
  "\u20ac",
  "\u0081",
  "\u201a",
  "\u0192",
  "\u201e",
  "\u2026",
  "\u2020",
  "\u2021",
  "\u02c6",
  "\u2030",
  "\u0160",
  "\u2039",
  "\u0152",
  "\u008d",
  "\u017d",
  "\u008f",
  "\u0090",
  "\u2018",
  "\u2019",
  "\u201c",
  "\u201d",
  "\u2022",
  "\u2013",
  "\u2014",
  "\u02dc",
  "\u2122",
  "\u0161",
  "\u203a",
  "\u0153",
  "\u009d",
  "\u017e",
  "\u0178",
];

/**
 * Text encodings of data files. `latin1` is ISO-8859-1 (each byte is the code point, as
 * Python's `latin-1`); `windows-1252` maps 0x80..0x9F to typographic characters.
 *
 * @example
 * ```ts
 * const enc: TextEncoding = "latin1"; // mr/ and subj/ are latin-1
 * ```
 */
export type TextEncoding = "utf-8" | "latin1" | "windows-1252";

/**
 * Reads and decodes a text file: size limit, BOM stripped, NUL bytes and invalid UTF-8
 * rejected with `DATA_INVALID` naming `file:line`.
 *
 * @example
 * ```ts
 * const text = await readTextFile("../shared/data/mr/all.txt", "latin1");
 * ```
 */
export async function readTextFile(
  path: string,
  encoding: TextEncoding,
  limits: ReadLimits = {},
): Promise<string> {
  const maxBytes = limits.maxFileBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Uint8Array;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error("not a regular file");
    if (s.size > maxBytes) {
      throw new TunekitError(
        "DATA_INVALID",
        `${path}: ${s.size} bytes exceeds the ${maxBytes}-byte limit; raise maxFileBytes or split the file`,
      );
    }
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof TunekitError) throw e;
    throw new TunekitError(
      "IO_ERROR",
      `cannot read data file ${path}: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
  return decodeText(bytes, encoding, path);
}

/**
 * Decodes bytes of a text data file (see {@link readTextFile}).
 *
 * @example
 * ```ts
 * decodeText(new TextEncoder().encode("\uFEFFa\tb\n"), "utf-8", "x.tsv"); // "a\tb\n"
 * ```
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new TunekitError(
      "DATA_INVALID",
      `${file}:${lineAt(bytes, nul)}: NUL byte at offset ${nul}; this looks like a binary file, not ${encoding} text`,
    );
  }
  let text: string;
  switch (encoding) {
    case "utf-8": {
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        const at = firstInvalidUtf8(bytes);
        throw new TunekitError(
          "DATA_INVALID",
          `${file}:${lineAt(bytes, at)}: invalid UTF-8 at byte offset ${at}; ` +
            "if the file is latin-1 set encoding: 'latin1' (or 'windows-1252')",
        );
      }
      break;
    }
    case "latin1":
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
      break;
    case "windows-1252":
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        .toString("latin1")
        .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
      break;
    default:
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `unknown encoding ${JSON.stringify(encoding)}; expected 'utf-8', 'latin1' or 'windows-1252'`,
      );
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let j = 0; j < offset; j++) if (bytes[j] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (bytes.length if valid). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let need: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= b.length) return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k]!;
      if ((x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}
