/**
 * The label a generation names, by one rule: lower-case the text, keep what comes before the
 * first line break, and take its first word (a run of letters, digits, `_` or `'`, after any
 * leading spaces or punctuation). The label is the one whose answer word equals that word;
 * anything else (another word, a longer word such as "positively", an empty generation) names
 * no label and counts as wrong. Returns the label name, or undefined.
 *
 * @example
 * ```ts
 * labelOf(" Positive.", { negative: "negative", positive: "positive" }); // "positive"
 * labelOf("unacceptable", { unacceptable: "no", acceptable: "yes" }); // undefined
 * ```
 */
export function labelOf(generated: string, answers: Readonly<Record<string, string>>): string | undefined {
  const line = generated.toLowerCase().split(/\r?\n/, 1)[0] ?? "";
  const word = /[\p{L}\p{N}_']+/u.exec(line)?.[0];
  if (word === undefined) return undefined;
  for (const [label, answer] of Object.entries(answers)) if (answer.toLowerCase() === word) return label;
  return undefined;
}

/**
 * Exact match: the generation, with surrounding white space removed, is the answer word itself
 * (same case, nothing else).
 *
 * @example
 * ```ts
 * isExactMatch(" positive\n", "positive"); // true
 * isExactMatch("positive.", "positive"); // false
 * ```
 */
export function isExactMatch(generated: string, answer: string): boolean {
  return generated.trim() === answer;
}
