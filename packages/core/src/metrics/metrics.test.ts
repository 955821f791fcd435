import { describe, expect, it } from "vitest";
import { accuracy, confusionMatrix, macroF1, perClassScores } from "./classification.js";
import { averageRanks, pearson, spearman } from "./correlation.js";
import { matthewsCorrelation } from "./matthews.js";

// Multiclass case used below: labels [0,0,1,1,2,2], predictions [0,1,1,1,2,0].
// Confusion (rows = true): [[1,1,0],[0,2,0],[1,0,1]]; 4 of 6 correct.
const labels = [0, 0, 1, 1, 2, 2];
const preds = [0, 1, 1, 1, 2, 0];

describe("classification metrics", () => {
  it("accuracy and confusion matrix", () => {
    expect(accuracy(preds, labels)).toBeCloseTo(4 / 6, 12);
    expect(confusionMatrix(preds, labels)).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(confusionMatrix([0], [0], 3)).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("per-class precision / recall / F1 and macro-F1", () => {
    // class 0: tp 1, predicted 2, support 2 -> P 1/2, R 1/2, F1 1/2
    // class 1: tp 2, predicted 3, support 2 -> P 2/3, R 1,   F1 2*(2/3)/(5/3) = 4/5
    // class 2: tp 1, predicted 1, support 2 -> P 1,   R 1/2, F1 2*(1/2)/(3/2) = 2/3
    const s = perClassScores(preds, labels);
    const want = [
      [0.5, 0.5, 0.5, 2],
      [2 / 3, 1, 0.8, 2],
      [1, 0.5, 2 / 3, 2],
    ];
    s.forEach((c, i) => {
      expect(c.precision).toBeCloseTo(want[i]![0]!, 12);
      expect(c.recall).toBeCloseTo(want[i]![1]!, 12);
      expect(c.f1).toBeCloseTo(want[i]![2]!, 12);
      expect(c.support).toBe(want[i]![3]);
    });
    // macro-F1 = (1/2 + 4/5 + 2/3) / 3 = 59/90 = 0.655555...
    expect(macroF1(preds, labels)).toBeCloseTo(59 / 90, 12);
    // A class never predicted nor present scores 0 and still counts in the macro mean.
    expect(macroF1([0, 1], [0, 1], 3)).toBeCloseTo(2 / 3, 12);
  });

  it("rejects mismatched or invalid input", () => {
    expect(() => accuracy([0, 1], [0])).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    expect(() => accuracy([], [])).toThrow(/no examples/);
    expect(() => accuracy([0.5], [0])).toThrow(/not a non-negative integer/);
    expect(() => confusionMatrix([3], [0], 2)).toThrow(/out of range/);
  });
});

describe("matthewsCorrelation", () => {
  it("binary form", () => {
    // preds [1,1,0,0] vs labels [1,0,0,0]: TP 1, FP 1, TN 2, FN 0
    // MCC = (1*2 - 1*0) / sqrt((1+1)(1+0)(2+1)(2+0)) = 2 / sqrt(12) = 0.5773502691896258
    expect(matthewsCorrelation([1, 1, 0, 0], [1, 0, 0, 0])).toBeCloseTo(2 / Math.sqrt(12), 12);
    expect(matthewsCorrelation([1, 0, 1, 0], [1, 0, 1, 0])).toBeCloseTo(1, 12);
    expect(matthewsCorrelation([0, 1, 0, 1], [1, 0, 1, 0])).toBeCloseTo(-1, 12);
    expect(matthewsCorrelation([1, 1, 1, 1], [1, 0, 1, 0])).toBe(0); // constant prediction: 0/0 -> 0
  });

  it("multiclass form (Gorodkin)", () => {
    // c = 4, s = 6, t = [2,2,2], p = [2,3,1]
    // sum p*t = 12, sum p^2 = 14, sum t^2 = 12
    // MCC = (4*6 - 12) / sqrt((36-14)(36-12)) = 12 / sqrt(528) = 0.5222329678670935
    expect(matthewsCorrelation(preds, labels)).toBeCloseTo(12 / Math.sqrt(528), 12);
  });
});

describe("correlations", () => {
  it("pearson", () => {
    // x [1,2,3], y [2,4,7]: dx [-1,0,1], dy [-7/3,-1/3,8/3]; sxy 5, sxx 2, syy 38/3
    // r = 5 / sqrt(2 * 38/3) = 0.9933992677987828
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(76 / 3), 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson(Float32Array.of(1e6 + 1, 1e6 + 2, 1e6 + 3), [1, 2, 3])).toBeCloseTo(1, 9);
    expect(() => pearson([1], [1])).toThrow(/at least 2/);
  });

  it("spearman with average ranks for ties", () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    // no ties: 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6 * 2 / 60 = 0.8
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    // ties: ranks x [1,2.5,2.5,4], y [1,3,2,4]; Pearson of ranks = 4.5 / sqrt(4.5 * 5) = 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    // monotone but non-linear: Spearman 1, Pearson < 1
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
  });
});
