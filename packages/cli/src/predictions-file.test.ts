import type { PredictResult } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { formatTable, metricsTable } from "./format-table.js";
import { formatFromPath, formatPredictions, predictionRecords } from "./predictions-file.js";

const dataset = {
  kind: "texts" as const,
  texts: ['a "quoted", text', "plain"],
  textPairs: ["x", "y"],
  gold: Int32Array.of(1, 0),
};
const result = {
  task: "classification",
  numLabels: 2,
  predictions: [1, 1],
  probabilities: [Float32Array.of(0.25, 0.75), Float32Array.of(0.4, 0.6)],
} as unknown as PredictResult;

describe("prediction files", () => {
  it("records hold texts, gold label, predicted label names and probabilities", () => {
    const recs = predictionRecords(dataset, result, ["neg", "pos"]);
    expect(recs[0]).toEqual({
      row: 0,
      text: 'a "quoted", text',
      text_pair: "x",
      label: "pos",
      prediction: "pos",
      probabilities: { neg: 0.25, pos: 0.75 },
    });
    expect(recs[1]?.label).toBe("neg");
  });

  it("writes RFC 4180 CSV with prob_ columns, and JSON Lines", () => {
    const recs = predictionRecords(dataset, result, ["neg", "pos"]);
    expect(formatPredictions(recs, "csv")).toBe(
      'row,text,text_pair,label,prediction,prob_neg,prob_pos\n0,"a ""quoted"", text",x,pos,pos,0.25,0.75\n1,plain,y,neg,pos,0.4,0.6\n',
    );
    const lines = formatPredictions(recs, "jsonl").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(recs);
  });

  it("regression writes the score as the prediction, no probabilities", () => {
    const reg = predictionRecords(
      { kind: "texts", texts: ["a"], textPairs: undefined, gold: Float32Array.of(2.5) },
      { task: "regression", predictions: [3.25], probabilities: undefined } as unknown as PredictResult,
      [],
    );
    expect(reg).toEqual([{ row: 0, text: "a", label: 2.5, prediction: 3.25 }]);
  });

  it("token classification: one tag per word from its first piece, null for words cut off", () => {
    const rows = {
      kind: "words" as const,
      split: { words: [["New", "York", "rocks"]], tags: [["B-LOC", "I-LOC", "O"]] },
      wordStarts: [Int32Array.of(1, 3, -1)], // "New" at 1, "York" = pieces 3..; "rocks" dropped
    };
    const result = {
      task: "token-classification",
      tokenPredictions: [Int32Array.of(0, 1, 0, 2, 0)],
    } as unknown as PredictResult;
    const recs = predictionRecords(rows, result, ["O", "B-LOC", "I-LOC"]);
    expect(recs).toEqual([
      {
        row: 0,
        tokens: ["New", "York", "rocks"],
        label: ["B-LOC", "I-LOC", "O"],
        prediction: ["B-LOC", "I-LOC", null],
      },
    ]);
    expect(formatPredictions(recs, "csv")).toBe(
      "row,tokens,label,prediction\n0,New York rocks,B-LOC I-LOC O,B-LOC I-LOC _\n",
    );
  });

  it("tells the format from the extension", () => {
    expect(formatFromPath("p.CSV")).toBe("csv");
    expect(formatFromPath("p.ndjson")).toBe("jsonl");
    expect(formatFromPath("p.txt")).toBeUndefined();
  });

  it("aligns tables, numbers to the right", () => {
    expect(
      formatTable([
        ["metric", "v"],
        ["accuracy", "0.5"],
        ["loss", "12.25"],
      ]),
    ).toBe("metric    v\n--------  -----\naccuracy    0.5\nloss      12.25");
    expect(metricsTable({ loss: 0.5, metrics: { accuracy: 0.75 } }, "dev")).toBe(
      "metric    dev\n--------  ------\nloss      0.5000\naccuracy  0.7500",
    );
  });
});
