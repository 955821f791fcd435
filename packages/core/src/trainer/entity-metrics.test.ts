import { describe, expect, it } from "vitest";
import { entityScores, entitySpans } from "./entity-metrics.js";

describe("entity metrics (seqeval semantics)", () => {
  it("seqeval README example: f1 0.5 (MISC boundary wrong, PER right)", () => {
    const gold = [
      ["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"],
      ["B-PER", "I-PER", "O"],
    ];
    const pred = [
      ["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"],
      ["B-PER", "I-PER", "O"],
    ];
    expect(entityScores(pred, gold)).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it("spans: B starts, type changes split, a stray I starts an entity (IOB1), IOBES and unprefixed labels", () => {
    expect(entitySpans(["B-PER", "I-PER", "O", "B-LOC"])).toEqual([
      { type: "PER", start: 0, end: 1 },
      { type: "LOC", start: 3, end: 3 },
    ]);
    expect(entitySpans(["I-ORG", "I-ORG", "I-PER", "B-PER", "I-PER"])).toEqual([
      { type: "ORG", start: 0, end: 1 },
      { type: "PER", start: 2, end: 2 },
      { type: "PER", start: 3, end: 4 },
    ]);
    expect(entitySpans(["S-LOC", "B-PER", "E-PER", "O"])).toEqual([
      { type: "LOC", start: 0, end: 0 },
      { type: "PER", start: 1, end: 2 },
    ]);
    expect(entitySpans(["O", "PER", "PER", "LOC", "O"])).toEqual([
      { type: "PER", start: 1, end: 2 },
      { type: "LOC", start: 3, end: 3 },
    ]);
    expect(entitySpans([])).toEqual([]);
  });

  it("precision and recall differ when counts differ; nothing to count gives 0", () => {
    // gold: PER(0-1), LOC(3); predicted: PER(0-1) only → P = 1, R = 0.5, F1 = 2/3
    const s = entityScores([["B-PER", "I-PER", "O", "O"]], [["B-PER", "I-PER", "O", "B-LOC"]]);
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(0.5);
    expect(s.f1).toBeCloseTo(2 / 3, 15);
    expect(entityScores([["O"]], [["O"]])).toEqual({ precision: 0, recall: 0, f1: 0 });
  });
});
