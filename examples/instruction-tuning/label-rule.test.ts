import { describe, expect, it } from "vitest";
import { isExactMatch, labelOf } from "./label-rule.js";
import { TASKS } from "./tasks.js";

const SENTIMENT = TASKS.sst2!.answers;
const COLA = TASKS.cola!.answers; // unacceptable -> "no", acceptable -> "yes"
const SUBJ = TASKS.subj!.answers;

describe("labelOf: the first word of the first line names the label", () => {
  it.each([
    ["positive", "positive"],
    [" Positive.", "positive"],
    ["NEGATIVE!", "negative"],
    ['"negative"', "negative"],
    ["positive<|im_end|>", "positive"],
    ["negative, clearly", "negative"],
    ["\tpositive\nnegative", "positive"],
  ])("%j -> %s", (text, label) => {
    expect(labelOf(text, SENTIMENT)).toBe(label);
  });

  it.each([
    [""],
    ["   "],
    ["positively"],
    ["neg"],
    ["the answer is positive"],
    ["\npositive"],
    ["not positive"],
    ["pos itive"],
  ])("%j names no label", (text) => {
    expect(labelOf(text, SENTIMENT)).toBeUndefined();
  });

  it("tells words apart that contain each other", () => {
    expect(labelOf("objective", SUBJ)).toBe("objective");
    expect(labelOf("subjective", SUBJ)).toBe("subjective");
    expect(labelOf("Yes, it is.", COLA)).toBe("acceptable");
    expect(labelOf("no", COLA)).toBe("unacceptable");
    expect(labelOf("nope", COLA)).toBeUndefined();
    expect(labelOf("unacceptable", COLA)).toBeUndefined(); // a label name, not this task's answer word
  });
});

describe("isExactMatch: the answer word and nothing else, surrounding white space aside", () => {
  it("accepts surrounding white space only", () => {
    expect(isExactMatch("positive", "positive")).toBe(true);
    expect(isExactMatch("  positive\n", "positive")).toBe(true);
    expect(isExactMatch("Positive", "positive")).toBe(false);
    expect(isExactMatch("positive.", "positive")).toBe(false);
    expect(isExactMatch("positive review", "positive")).toBe(false);
    expect(isExactMatch("", "positive")).toBe(false);
  });

  it("an exact match always names the right label", () => {
    for (const task of Object.values(TASKS)) {
      for (const [label, answer] of Object.entries(task.answers)) {
        expect(isExactMatch(` ${answer}`, answer)).toBe(true);
        expect(labelOf(` ${answer}`, task.answers)).toBe(label);
      }
    }
  });
});
