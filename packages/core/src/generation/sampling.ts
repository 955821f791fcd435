import type { Rng } from "../data/random.js";
import { TunekitError } from "../errors.js";

/**
 * How the next token is chosen from a row of logits. `temperature` 0 (the default) is greedy
 * (the highest logit, the lowest id on ties); otherwise the logits are divided by the
 * temperature, restricted to the `topK` highest (0 or absent: all) and then to the smallest
 * set of most likely tokens whose probability reaches `topP` (1 or absent: all), renormalised
 * and sampled.
 *
 * @example
 * ```ts
 * const sampling: SamplingOptions = { temperature: 0.8, topK: 40, topP: 0.95 };
 * ```
 */
export interface SamplingOptions {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
}

/**
 * Checks sampling options and throws `INVALID_ARGUMENT` naming the bad value and the range.
 *
 * @example
 * ```ts
 * checkSamplingOptions({ temperature: 0.7, topP: 0.9 });
 * ```
 */
export function checkSamplingOptions(options: SamplingOptions): void {
  const { temperature, topK, topP } = options;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `sampling: temperature must be a finite number ≥ 0 (0 = greedy), got ${String(temperature)}`,
    );
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 0)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `sampling: topK must be an integer ≥ 0 (0 = no limit), got ${String(topK)}`,
    );
  }
  if (topP !== undefined && !(Number.isFinite(topP) && topP > 0 && topP <= 1)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `sampling: topP must be in (0, 1] (1 = no limit), got ${String(topP)}`,
    );
  }
}

/**
 * Index of the largest value (the first one on ties; NaN never wins): greedy decoding.
 *
 * @example
 * ```ts
 * argmax([0.1, 2.5, 2.5]); // 1
 * ```
 */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * The distribution that {@link sampleToken} draws from, in float64: softmax of
 * `logits / temperature`, zero outside the top-k and outside the top-p nucleus, renormalised.
 * Ties at the top-k boundary keep the lower ids; the nucleus is the smallest prefix of tokens
 * sorted by probability (descending, then by id) whose mass reaches `topP`. Needs a
 * temperature > 0.
 *
 * @example
 * ```ts
 * samplingDistribution([2, 1, 0], { temperature: 1, topK: 2 }); // [0.731, 0.269, 0]
 * ```
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions): Float64Array {
  checkSamplingOptions(options);
  const temperature = options.temperature ?? 0;
  if (temperature === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "samplingDistribution: temperature 0 is greedy decoding, not a distribution; use argmax or a temperature > 0",
    );
  }
  const n = logits.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const d = logits[b]! - logits[a]!;
    return d !== 0 && !Number.isNaN(d) ? d : a - b;
  });
  const topK = options.topK && options.topK > 0 ? Math.min(options.topK, n) : n;
  const kept = order.slice(0, topK).filter((i) => !Number.isNaN(logits[i]!));
  if (kept.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "samplingDistribution: every logit is NaN; the model output is broken",
    );
  }
  const top = logits[kept[0]!]! / temperature;
  const probs = new Float64Array(n);
  let total = 0;
  for (const i of kept) {
    const p = Math.exp(logits[i]! / temperature - top);
    probs[i] = p;
    total += p;
  }
  const topP = options.topP ?? 1;
  let mass = 0;
  let cut = kept.length;
  for (let r = 0; r < kept.length; r++) {
    mass += probs[kept[r]!]! / total;
    if (mass >= topP) {
      cut = r + 1;
      break;
    }
  }
  let kept2 = 0;
  for (let r = cut; r < kept.length; r++) probs[kept[r]!] = 0;
  for (let r = 0; r < cut; r++) kept2 += probs[kept[r]!]!;
  for (let i = 0; i < n; i++) probs[i] = probs[i]! / kept2;
  return probs;
}

/**
 * Chooses the next token from one row of logits: greedy ({@link argmax}) at temperature 0,
 * else one draw from {@link samplingDistribution} with `rng` (e.g. `mulberry32(seed)`).
 *
 * @example
 * ```ts
 * const rng = mulberry32(42);
 * const id = sampleToken(logitsRow, { temperature: 0.8, topK: 40 }, rng);
 * ```
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  if ((options.temperature ?? 0) === 0) {
    checkSamplingOptions(options);
    return argmax(logits);
  }
  const probs = samplingDistribution(logits, options);
  const u = rng();
  let acc = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p === 0) continue;
    last = i;
    acc += p;
    if (u < acc) return i;
  }
  return last; // u within rounding of 1
}
