import type { OnnxInference } from "@tunekit/backend-onnx";
import type { HostTensor, TrainerData } from "@tunekit/core";
import { collateRows } from "@tunekit/core/data";
import { pearson } from "@tunekit/core/trainer";
import type { ExportTask } from "./export-files.js";

/**
 * The exported models scored on labelled rows: accuracy of the float model and, when there is
 * one, of the int8 copy, how often their predictions agree, and their largest output
 * difference. Regression is scored by the Pearson correlation with the gold scores instead.
 *
 * @example
 * ```ts
 * const s: ExportScore = { rows: 872, units: 872, accuracy: 0.81, int8: { accuracy: 0.8, agreement: 0.98, maxAbsDifference: 0.05 } };
 * ```
 */
export interface ExportScore {
  readonly rows: number;
  /** Scored units: rows, or labelled tokens for token classification. */
  readonly units: number;
  readonly accuracy?: number;
  /** Regression: Pearson correlation of the predictions with the gold scores. */
  readonly pearson?: number;
  readonly int8?: {
    readonly accuracy?: number;
    readonly pearson?: number;
    /** Share of units where the int8 model predicts the float model's class. */
    readonly agreement?: number;
    readonly maxAbsDifference: number;
  };
}

const argmax = (v: Float32Array, at: number, n: number): number => {
  let best = 0;
  for (let c = 1; c < n; c++) if (v[at + c]! > v[at + best]!) best = c;
  return best;
};

/**
 * Runs the exported model (and its int8 copy) over `data` in batches of `batchSize` rows
 * padded to their longest row, and scores them (see {@link ExportScore}): sequence labels, or
 * token labels (`tokenLabels`, -100 ignored).
 *
 * @example
 * ```ts
 * const score = await scoreExport(data, "sequence-classification", { fp32, int8 });
 * ```
 */
export async function scoreExport(
  data: TrainerData,
  task: ExportTask,
  models: { readonly fp32: OnnxInference; readonly int8?: OnnxInference | undefined },
  batchSize = 32,
): Promise<ExportScore> {
  const n = data.ids.length;
  let units = 0;
  let correct = 0;
  let correct8 = 0;
  let agree = 0;
  let worst = 0;
  const gold: number[] = [];
  const fp: number[] = [];
  const q8: number[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const indices = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const batch = collateRows(data, indices, "longest");
    const feeds: Record<string, HostTensor> = {
      input_ids: batch.inputIds,
      attention_mask: batch.attentionMask,
      token_type_ids: batch.tokenTypeIds,
    };
    const a = Object.values(await models.fp32.run(feeds))[0]!;
    const b = models.int8 === undefined ? undefined : Object.values(await models.int8.run(feeds))[0]!;
    const av = a.data as Float32Array;
    const bv = b?.data as Float32Array | undefined;
    if (bv !== undefined)
      for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i]! - bv[i]!));
    if (task === "regression" || task === "feature-extraction") {
      units += indices.length;
      if (task === "regression" && data.labels !== undefined) {
        indices.forEach((row, r) => {
          gold.push(data.labels![row]!);
          fp.push(av[r]!);
          if (bv !== undefined) q8.push(bv[r]!);
        });
      }
      continue;
    }
    const classes = a.shape[a.shape.length - 1]!;
    const seq = batch.inputIds.shape[1]!;
    indices.forEach((row, r) => {
      const targets: [number, number][] = []; // [offset into logits, gold label]
      if (task === "token-classification") {
        const labels = data.tokenLabels?.[row];
        labels?.forEach((gold, t) => {
          if (gold !== -100 && t < seq) targets.push([(r * seq + t) * classes, gold]);
        });
      } else {
        const gold = data.labels?.[row];
        if (gold !== undefined) targets.push([r * classes, gold]);
      }
      for (const [at, gold] of targets) {
        const p = argmax(av, at, classes);
        units++;
        if (p === gold) correct++;
        if (bv !== undefined) {
          const q = argmax(bv, at, classes);
          if (q === gold) correct8++;
          if (q === p) agree++;
        }
      }
    });
  }
  const classify = task === "sequence-classification" || task === "token-classification";
  const ratio = (k: number) => (units === 0 ? 0 : k / units);
  const scored = gold.length > 1;
  const score: ExportScore = {
    rows: n,
    units,
    ...(classify ? { accuracy: ratio(correct) } : {}),
    ...(scored ? { pearson: pearson(fp, gold) } : {}),
  };
  if (models.int8 === undefined) return score;
  return {
    ...score,
    int8: {
      ...(classify ? { accuracy: ratio(correct8), agreement: ratio(agree) } : {}),
      ...(scored ? { pearson: pearson(q8, gold) } : {}),
      maxAbsDifference: worst,
    },
  };
}
