import { TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { type Rng, randomInt } from "./random.js";

/**
 * Options of {@link maskTokensForMlm}.
 *
 * @example
 * ```ts
 * const opts: MlmMaskingOptions = { maskId: 103, vocabSize: 30522, specialIds: [0, 100, 101, 102, 103], rng: mulberry32(0) };
 * ```
 */
export interface MlmMaskingOptions {
  /** Id of `[MASK]`. */
  readonly maskId: number;
  /** Vocabulary size (random replacements are drawn from ids not in `specialIds`). */
  readonly vocabSize: number;
  /** Ids never selected for prediction and never drawn as replacements (`[CLS]`, `[SEP]`, `[PAD]`, …). */
  readonly specialIds: readonly number[];
  readonly rng: Rng;
  /** Share of each row's ordinary tokens predicted (default 0.15, BERT's). */
  readonly probability?: number;
  /** Of the predicted tokens: share replaced by `[MASK]` (0.8) and by a random token (0.1); the rest stay. */
  readonly maskShare?: number;
  readonly randomShare?: number;
  /** Predictions per row: the size of the fixed position list (default `ceil(probability * seqLength)`). */
  readonly maxPredictionsPerRow?: number;
  /** Padded length (default: the longest row). */
  readonly seqLength?: number;
  /** Padding id (default 0). */
  readonly padId?: number;
}

/**
 * A masked-language-model batch: `input_ids` and `attention_mask` `[B, S]`, the flat
 * positions predicted `masked_positions` `[B * M]` and their original ids `labels`
 * `[B * M]` (-100 where a row had fewer than `M` predictions; those slots point at the row's
 * first token and are ignored by the loss).
 *
 * @example
 * ```ts
 * const batch: MlmBatch = maskTokensForMlm(rows, opts);
 * await runner.step({ ...batch }, { lr: 1e-3 });
 * ```
 */
export interface MlmBatch {
  readonly input_ids: HostTensor<"int32">;
  readonly attention_mask: HostTensor<"int32">;
  readonly masked_positions: HostTensor<"int32">;
  readonly labels: HostTensor<"int32">;
}

function checkShare(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) {
    throw new TunekitError("INVALID_ARGUMENT", `maskTokensForMlm: ${name} must be in [0, 1], got ${v}`);
  }
}

/**
 * BERT's masking for masked-language-model pre-training, on already tokenised rows (special
 * tokens included): in each row picks `round(probability * n)` of its `n` ordinary tokens
 * (at least 1, at most the position-list size), replaces 80% of them by `[MASK]`, 10% by a
 * random ordinary token and leaves 10%, and returns a padded batch whose labels are the
 * original ids at the picked positions. Deterministic for a given `rng` state.
 *
 * @example
 * ```ts
 * const rows = texts.map((t) => Int32Array.from(tok.encode(t, undefined, { maxLength: 64 }).ids));
 * const batch = maskTokensForMlm(rows, { maskId: tok.tokenToId("[MASK]")!, vocabSize: tok.vocabSize, specialIds: [0, 100, 101, 102, 103], rng });
 * ```
 */
export function maskTokensForMlm(rows: readonly ArrayLike<number>[], options: MlmMaskingOptions): MlmBatch {
  const probability = options.probability ?? 0.15;
  const maskShare = options.maskShare ?? 0.8;
  const randomShare = options.randomShare ?? 0.1;
  checkShare("probability", probability);
  checkShare("maskShare", maskShare);
  checkShare("randomShare", randomShare);
  if (maskShare + randomShare > 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `maskTokensForMlm: maskShare + randomShare must be at most 1, got ${maskShare} + ${randomShare}`,
    );
  }
  if (rows.length === 0) throw new TunekitError("INVALID_ARGUMENT", "maskTokensForMlm: no rows");
  const special = new Set(options.specialIds);
  const ordinary: number[] = [];
  for (let id = 0; id < options.vocabSize; id++) if (!special.has(id)) ordinary.push(id);
  if (ordinary.length === 0) {
    throw new TunekitError("INVALID_ARGUMENT", "maskTokensForMlm: every vocabulary id is special");
  }
  const longest = Math.max(...rows.map((r) => r.length));
  const s = options.seqLength ?? longest;
  if (longest > s) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `maskTokensForMlm: a row has ${longest} tokens but seqLength is ${s}; truncate rows first`,
    );
  }
  const m = options.maxPredictionsPerRow ?? Math.max(1, Math.ceil(probability * s));
  const b = rows.length;
  const ids = new Int32Array(b * s).fill(options.padId ?? 0);
  const mask = new Int32Array(b * s);
  const positions = new Int32Array(b * m);
  const labels = new Int32Array(b * m).fill(-100);
  const { rng } = options;
  for (let r = 0; r < b; r++) {
    const row = rows[r]!;
    const candidates: number[] = [];
    for (let t = 0; t < row.length; t++) {
      const id = row[t]!;
      if (!Number.isInteger(id) || id < 0 || id >= options.vocabSize) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `maskTokensForMlm: row ${r} position ${t} has id ${id}, outside [0, ${options.vocabSize})`,
        );
      }
      ids[r * s + t] = id;
      mask[r * s + t] = 1;
      if (!special.has(id)) candidates.push(t);
    }
    const k = Math.min(m, candidates.length, Math.max(1, Math.round(probability * candidates.length)));
    // Partial Fisher–Yates: the first k candidates become a uniform sample.
    for (let i = 0; i < k; i++) {
      const j = i + randomInt(rng, candidates.length - i);
      const tmp = candidates[i]!;
      candidates[i] = candidates[j]!;
      candidates[j] = tmp;
    }
    const picked = candidates.slice(0, k).sort((a, z) => a - z);
    for (let i = 0; i < m; i++) positions[r * m + i] = r * s; // padding slots: the row's first token
    picked.forEach((t, i) => {
      const flat = r * s + t;
      positions[r * m + i] = flat;
      labels[r * m + i] = ids[flat]!;
      const u = rng();
      if (u < maskShare) ids[flat] = options.maskId;
      else if (u < maskShare + randomShare) ids[flat] = ordinary[randomInt(rng, ordinary.length)]!;
    });
  }
  return {
    input_ids: hostTensor("int32", [b, s], ids),
    attention_mask: hostTensor("int32", [b, s], mask),
    masked_positions: hostTensor("int32", [b * m], positions),
    labels: hostTensor("int32", [b * m], labels),
  };
}
