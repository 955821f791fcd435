import { TunekitError } from "../errors.js";

/**
 * How a sequence (or pair) longer than `maxLength` is shortened.
 * - `longest_first`: repeatedly drop the last token of the longer segment (of the second on ties),
 *   as Hugging Face's `longest_first`.
 * - `only_first` / `only_second`: shorten only that segment; fails if that is not enough.
 * - `none`: never truncate; fails if a sequence is too long.
 *
 * @example
 * ```ts
 * const t: TruncationStrategy = "longest_first";
 * ```
 */
export type TruncationStrategy = "longest_first" | "only_first" | "only_second" | "none";

/** Kept lengths of the two segments after {@link truncateLengths}. @example `const { first, second, truncated } = truncateLengths(300, 300, 509, "longest_first")` */
export interface TruncatedLengths {
  /** Tokens kept from the first segment. */
  readonly first: number;
  /** Tokens kept from the second segment (0 when there is none). */
  readonly second: number;
  /** Whether anything was removed. */
  readonly truncated: boolean;
}

/**
 * Computes how many tokens of each segment to keep so that `first + second <= budget`
 * (the budget is `maxLength` minus the special tokens). Pure arithmetic: the caller slices.
 *
 * @example
 * ```ts
 * truncateLengths(10, 4, 8, "longest_first"); // { first: 4, second: 4, truncated: true }
 * ```
 */
export function truncateLengths(
  firstLength: number,
  secondLength: number | undefined,
  budget: number,
  strategy: TruncationStrategy,
): TruncatedLengths {
  const a = firstLength;
  const b = secondLength ?? 0;
  if (!(budget >= 0)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `truncation: maxLength leaves a budget of ${budget} tokens after the special tokens; ` +
        "raise maxLength so that it is at least the number of special tokens",
    );
  }
  const excess = a + b - budget;
  if (excess <= 0) return { first: a, second: b, truncated: false };
  const tooLong = (what: string): TunekitError =>
    new TunekitError(
      "INVALID_ARGUMENT",
      `truncation '${strategy}': sequence of ${a}${secondLength === undefined ? "" : ` + ${b}`} tokens ` +
        `exceeds the budget of ${budget} (maxLength minus special tokens) and ${what}; ` +
        "use truncation 'longest_first' or raise maxLength",
    );
  switch (strategy) {
    case "none":
      throw tooLong("truncation is off");
    case "only_first":
      if (excess > a) throw tooLong("the first segment alone cannot absorb it");
      return { first: a - excess, second: b, truncated: true };
    case "only_second":
      if (secondLength === undefined) {
        throw tooLong("there is no second segment");
      }
      if (excess > b) throw tooLong("the second segment alone cannot absorb it");
      return { first: a, second: b - excess, truncated: true };
    case "longest_first": {
      // Closed form of: while (a + b > budget) { if (a > b) a--; else b--; }
      const diff = Math.abs(a - b);
      if (excess <= diff) {
        return a > b
          ? { first: a - excess, second: b, truncated: true }
          : { first: a, second: b - excess, truncated: true };
      }
      const rest = excess - diff;
      const equal = Math.min(a, b);
      // From equal lengths the loop removes from the second first (ties go to the second).
      return { first: equal - Math.floor(rest / 2), second: equal - Math.ceil(rest / 2), truncated: true };
    }
    default:
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `unknown truncation ${String(strategy)}; expected longest_first, only_first, only_second or none`,
      );
  }
}
