import { TunekitError } from "../../errors.js";
import { type ReadLimits, parseJsonLines } from "../table-reader.js";
import { readTextFile } from "../text-decoding.js";
import {
  type CausalLmExample,
  type CausalLmExampleLimits,
  type CausalLmFormat,
  detectCausalLmFormat,
  parseCausalLmExample,
} from "./causal-lm-examples.js";

/**
 * Options of {@link parseCausalLmJsonl} / {@link loadCausalLmJsonl}.
 *
 * @example
 * ```ts
 * const opts: CausalLmJsonlOptions = { format: "chat", onBadRow: "skip", maxExamples: 50_000 };
 * ```
 */
export interface CausalLmJsonlOptions extends CausalLmExampleLimits, ReadLimits {
  /** The rows' format; default: detected from the first row and required of every row. */
  readonly format?: CausalLmFormat;
  /** `fail` (default) throws on the first bad row; `skip` drops bad rows and reports them. */
  readonly onBadRow?: "fail" | "skip";
  /** Most examples in one file. Default 10,000,000. */
  readonly maxExamples?: number;
}

/**
 * Examples of one JSONL file, their format, and the rows that were skipped (line + reason).
 *
 * @example
 * ```ts
 * const { examples, format, skipped } = parseCausalLmJsonl(text, "train.jsonl");
 * ```
 */
export interface CausalLmJsonl {
  readonly format: CausalLmFormat;
  readonly examples: readonly CausalLmExample[];
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
}

const DEFAULT_MAX_EXAMPLES = 10_000_000;

/**
 * Parses JSONL causal-LM data (see {@link CausalLmFormat}). Every problem is a `DATA_INVALID`
 * naming the file and line: invalid JSON, a record of another format, a field of the wrong
 * type, an over-long line or example, no rows at all.
 *
 * @example
 * ```ts
 * const { examples } = parseCausalLmJsonl('{"prompt":"2+2=","completion":"4"}\n', "train.jsonl");
 * ```
 */
export function parseCausalLmJsonl(
  text: string,
  file: string,
  options: CausalLmJsonlOptions = {},
): CausalLmJsonl {
  const { records } = parseJsonLines(text, file, options);
  const maxExamples = options.maxExamples ?? DEFAULT_MAX_EXAMPLES;
  const skip = options.onBadRow === "skip";
  let format = options.format;
  const examples: CausalLmExample[] = [];
  const skipped: { line: number; reason: string }[] = [];
  for (const r of records) {
    const where = `${file}:${r.line}`;
    try {
      if (r.problem !== undefined) throw new TunekitError("DATA_INVALID", `${where}: ${r.problem}`);
      if (format === undefined) {
        format = detectCausalLmFormat(r.value);
        if (format === undefined) {
          throw new TunekitError(
            "DATA_INVALID",
            `${where}: cannot tell the format from the keys of the first row; expected "messages" (chat), ` +
              '"instruction" + "output" (alpaca), "prompt" + "completion" or "text", or set format',
          );
        }
      }
      examples.push(parseCausalLmExample(r.value, format, where, options));
    } catch (e) {
      if (!skip || !(e instanceof TunekitError)) throw e;
      skipped.push({ line: r.line, reason: e.message });
    }
    if (examples.length > maxExamples) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}: more than maxExamples ${maxExamples} examples; split the file or raise maxExamples`,
      );
    }
  }
  if (examples.length === 0 || format === undefined) {
    throw new TunekitError(
      "DATA_INVALID",
      `${file}: no usable examples (${records.length} non-blank rows, ${skipped.length} skipped as bad); ` +
        "expected JSON objects, one per line",
      { details: { file } },
    );
  }
  return { format, examples, skipped };
}

/**
 * Reads a UTF-8 JSONL file (size-limited, BOM stripped, invalid UTF-8 rejected) and parses it
 * with {@link parseCausalLmJsonl}.
 *
 * @example
 * ```ts
 * const train = await loadCausalLmJsonl("data/chat-train.jsonl", { format: "chat" });
 * ```
 */
export async function loadCausalLmJsonl(
  path: string,
  options: CausalLmJsonlOptions = {},
): Promise<CausalLmJsonl> {
  return parseCausalLmJsonl(await readTextFile(path, "utf-8", options), path, options);
}
