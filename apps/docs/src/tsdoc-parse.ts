/**
 * A small TSDoc parser for the docs site: summary, `@param`, `@returns`, `@remarks`,
 * `@example` and the other block tags. Block tags may start anywhere outside code (the repo
 * writes one-liners such as `Negation. @example \`neg(x)\``); text inside fenced code blocks
 * and inline code spans is never split, so `import ... from "@tunekit/core"` stays in its example.
 */

/** One `@example` block: the code to show and the text around it. */
export interface DocExample {
  /** Example code without fences. */
  readonly code: string;
  /** Fence language (`ts` when unfenced). */
  readonly lang: string;
  /** Prose that accompanies the code (before or after it), or `""`. */
  readonly caption: string;
}

/** One `@param name description` entry. */
export interface DocParam {
  readonly name: string;
  readonly text: string;
}

/** Any block tag that has no dedicated field (`@see`, `@throws`, `@defaultValue`, ...). */
export interface DocTag {
  /** Tag name without `@`. */
  readonly tag: string;
  readonly text: string;
}

/** A parsed doc comment. All text fields are Markdown as written (inline `{@link}` kept). */
export interface DocComment {
  readonly summary: string;
  readonly remarks: string;
  readonly params: readonly DocParam[];
  readonly returns: string;
  readonly examples: readonly DocExample[];
  readonly deprecated: string | undefined;
  readonly tags: readonly DocTag[];
}

/**
 * Removes the comment markers of a `/** ... *\/` block: the opening and closing markers and
 * the leading `*` of every line. Indentation after the `* ` is kept so code stays indented.
 *
 * @example
 * ```ts
 * stripCommentMarkers("/**\n * Adds.\n *\/"); // "Adds."
 * ```
 */
export function stripCommentMarkers(raw: string): string {
  let body = raw.trim();
  if (body.startsWith("/**")) body = body.slice(3);
  else if (body.startsWith("/*")) body = body.slice(2);
  if (body.endsWith("*/")) body = body.slice(0, -2);
  const lines = body.split(/\r?\n/).map((line) => line.replace(/^\s*\*(?!\/) ?/, ""));
  while (lines.length > 0 && lines[0]!.trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  return lines.join("\n");
}

interface Segment {
  readonly tag: string | undefined;
  text: string;
}

const FENCE = /[ \t]*```/y;
const BLANK_LINE = /[ \t]*(\n|$)/y;
const TAG = /@([a-zA-Z][a-zA-Z0-9]*)/y;

/** Splits comment text into the summary and block-tag segments, outside code only. */
function splitBlockTags(text: string): Segment[] {
  const segments: Segment[] = [{ tag: undefined, text: "" }];
  let inFence = false;
  let inSpan = false;
  let inInlineTag = false;
  let i = 0;
  let atLineStart = true;
  while (i < text.length) {
    const current = segments[segments.length - 1]!;
    if (atLineStart) {
      FENCE.lastIndex = i;
      if (FENCE.test(text)) {
        inFence = !inFence;
        const end = text.indexOf("\n", i);
        const stop = end === -1 ? text.length : end + 1;
        current.text += text.slice(i, stop);
        i = stop;
        continue;
      }
    }
    const ch = text[i]!;
    BLANK_LINE.lastIndex = i;
    if (atLineStart && BLANK_LINE.test(text)) inSpan = false; // code spans end at a blank line
    atLineStart = ch === "\n";
    if (inFence) {
      current.text += ch;
      i++;
      continue;
    }
    if (ch === "`" && !inInlineTag) inSpan = !inSpan;
    else if (!inSpan && ch === "{" && text[i + 1] === "@") inInlineTag = true;
    else if (inInlineTag && ch === "}") inInlineTag = false;
    if (!inSpan && !inInlineTag && ch === "@") {
      const prev = i === 0 ? " " : text[i - 1]!;
      TAG.lastIndex = i;
      const match = TAG.exec(text);
      if (match !== null && /\s/.test(prev)) {
        segments.push({ tag: match[1]!, text: "" });
        i += match[0].length;
        continue;
      }
    }
    current.text += ch;
    i++;
  }
  return segments;
}

/** Removes common leading indentation and outer blank lines. */
function dedent(text: string): string {
  const lines = text.split("\n");
  while (lines.length > 0 && lines[0]!.trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(common)).join("\n");
}

/**
 * Reads an `@example` body: a fenced block, an inline code span, or bare code.
 *
 * @example
 * ```ts
 * parseExample("`neg(x)`").code; // "neg(x)"
 * ```
 */
export function parseExample(body: string): DocExample {
  const fence = /```([\w-]*)[^\n]*\n([\s\S]*?)\n[ \t]*```/.exec(body);
  if (fence !== null) {
    const caption = (body.slice(0, fence.index) + " " + body.slice(fence.index + fence[0].length))
      .replace(/\s+/g, " ")
      .trim();
    return { code: dedent(fence[2]!), lang: fence[1] === "" ? "ts" : fence[1]!, caption };
  }
  const trimmed = body.trim();
  const span = /^(`+)([\s\S]*?)\1/.exec(trimmed);
  if (span !== null) {
    return { code: span[2]!.trim(), lang: "ts", caption: trimmed.slice(span[0].length).trim() };
  }
  return { code: dedent(body), lang: "ts", caption: "" };
}

/** Joins the lines of prose: trims and collapses the blank lines at both ends. */
function prose(text: string): string {
  return dedent(text).trim();
}

/**
 * Parses the text of one doc comment (with or without its `/** *\/` markers).
 *
 * @example
 * ```ts
 * const doc = parseDocComment("/** Adds. @param a left @returns the sum @example `add(1, 2)` *\/");
 * doc.summary; // "Adds."
 * doc.examples[0]?.code; // "add(1, 2)"
 * ```
 */
export function parseDocComment(raw: string): DocComment {
  const text = raw.trimStart().startsWith("/*") ? stripCommentMarkers(raw) : raw;
  const segments = splitBlockTags(text);
  const params: DocParam[] = [];
  const examples: DocExample[] = [];
  const tags: DocTag[] = [];
  let remarks = "";
  let returns = "";
  let deprecated: string | undefined;
  for (const segment of segments.slice(1)) {
    const body = segment.text;
    switch (segment.tag) {
      case "param": {
        const m = /^\s*(?:\{[^}]*\}\s*)?([\w$.[\]]+)\s*(?:-\s*)?([\s\S]*)$/.exec(body);
        if (m !== null) params.push({ name: m[1]!, text: prose(m[2]!) });
        break;
      }
      case "returns":
      case "return":
        returns = prose(body);
        break;
      case "remarks":
        remarks = prose(body);
        break;
      case "example":
        examples.push(parseExample(body));
        break;
      case "deprecated":
        deprecated = prose(body);
        break;
      default:
        tags.push({ tag: segment.tag!, text: prose(body) });
    }
  }
  return {
    summary: prose(segments[0]!.text),
    remarks,
    params,
    returns,
    examples,
    deprecated,
    tags,
  };
}
