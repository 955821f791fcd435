import { TunekitError } from "../errors.js";

/** Longest regex accepted from a tokenizer file. */
export const TOKENIZER_REGEX_MAX_LENGTH = 4096;

interface Frame {
  /** An unbounded quantifier (`*`, `+`, `{n,}`, `{n,m}` with m > 1) somewhere inside. */
  repeats: boolean;
  /** An alternation `|` somewhere inside. */
  alternates: boolean;
}

/**
 * Why `pattern` can backtrack catastrophically (exponential time on a short input, as
 * `(a+)+$` on 40 `a`s followed by a `b`), or `undefined` when it has none of the shapes that
 * do: a repeated group that itself holds a repetition or an alternation (star height 2,
 * `(a+)+`, `(a|a)*`, `(?:\s*x?)+`), or a backreference. The check is structural and
 * conservative: a refused pattern can be rewritten without nested repetition (`(a+)+` is
 * `a+`). Hugging Face's own pre-tokenizer patterns (GPT-2, Llama 3, ...) pass.
 *
 * @example
 * ```ts
 * regexBacktrackingRisk("(a+)+$"); // "a repeated group (a+) that itself repeats ..."
 * regexBacktrackingRisk("'s|'t| ?\\p{L}+|\\s+(?!\\S)|\\s+"); // undefined
 * ```
 */
export function regexBacktrackingRisk(pattern: string): string | undefined {
  if (pattern.length > TOKENIZER_REGEX_MAX_LENGTH) {
    return `it is ${pattern.length} characters long (at most ${TOKENIZER_REGEX_MAX_LENGTH})`;
  }
  const stack: { frame: Frame; start: number }[] = [];
  let frame: Frame = { repeats: false, alternates: false };
  let i = 0;
  /** Length of the quantifier at `i` and whether it repeats without bound (0 when none). */
  const quantifier = (at: number): { length: number; repeats: boolean } => {
    const c = pattern[at];
    if (c === "*" || c === "+") return { length: pattern[at + 1] === "?" ? 2 : 1, repeats: true };
    if (c === "?") return { length: pattern[at + 1] === "?" ? 2 : 1, repeats: false };
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(pattern.slice(at));
      if (m !== null) {
        const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
        return { length: m[0].length, repeats: max > 1 };
      }
    }
    return { length: 0, repeats: false };
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next) || (next === "k" && pattern[i + 2] === "<")) {
        return `it uses a backreference (${pattern.slice(i, i + 3)}), which can take exponential time`;
      }
      const close = /[pPu]/.test(next) && pattern[i + 2] === "{" ? pattern.indexOf("}", i) : -1;
      i = close > 0 ? close + 1 : i + 2;
    } else if (c === "[") {
      i++;
      if (pattern[i] === "^") i++;
      if (pattern[i] === "]") i++;
      while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "(") {
      stack.push({ frame, start: i });
      frame = { repeats: false, alternates: false };
      i++;
      continue; // a `(?:`, `(?=`, `(?<name>` prefix is read as ordinary characters of the group
    } else if (c === ")") {
      const open = stack.pop();
      const inner = frame;
      i++;
      const q = quantifier(i);
      if (open !== undefined && q.repeats && (inner.repeats || inner.alternates)) {
        const group = pattern.slice(open.start, i + q.length);
        return `a repeated group ${group} holds ${inner.repeats ? "a repetition" : "an alternation"} of its own (nested repetition backtracks exponentially on inputs that almost match)`;
      }
      frame = open?.frame ?? frame;
      frame.repeats ||= inner.repeats || q.repeats;
      frame.alternates ||= inner.alternates;
      i += q.length;
      continue;
    } else if (c === "|") {
      frame.alternates = true;
      i++;
      continue;
    } else {
      i++;
    }
    const q = quantifier(i);
    if (q.repeats) frame.repeats = true;
    i += q.length;
  }
  return undefined;
}

/**
 * Refuses a `tokenizer.json` whose regexes (every `"Regex"` pattern: normalizers, pre-tokenizers,
 * at any depth) could hang tokenisation (see {@link regexBacktrackingRisk}), with
 * `TOKENIZER_INVALID` naming the JSON path and the pattern. The tokenizer library runs these
 * patterns with JavaScript's backtracking engine in unicode mode, which has no time limit and
 * no linear-time fallback: the check has to happen before the first text is encoded.
 *
 * @example
 * ```ts
 * checkTokenizerRegexes(JSON.parse(text), "tokenizer.json");
 * ```
 */
export function checkTokenizerRegexes(json: unknown, source: string): void {
  const visit = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      for (const [k, x] of v.entries()) visit(x, `${path}[${k}]`);
      return;
    }
    if (typeof v !== "object" || v === null) return;
    for (const [key, value] of Object.entries(v)) {
      if (path === "" && (key === "model" || key === "added_tokens")) continue; // vocabularies
      const at = path === "" ? key : `${path}.${key}`;
      if (key === "Regex" && typeof value === "string") {
        const risk = regexBacktrackingRisk(value);
        if (risk !== undefined) {
          throw new TunekitError(
            "TOKENIZER_INVALID",
            `${source}: ${at} is the regex ${JSON.stringify(value.slice(0, 200))}; ${risk}. Expected a pattern without ` +
              "nested repetition (rewrite e.g. (a+)+ as a+): tokenising with it could hang on one line of text",
            { details: { path: at, pattern: value.slice(0, 200) } },
          );
        }
      } else {
        visit(value, at);
      }
    }
  };
  visit(json, "");
}
