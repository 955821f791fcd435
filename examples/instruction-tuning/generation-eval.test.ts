import { describe, expect, it } from "vitest";
import { type EvalItem, evaluateByGeneration, type TextGenerator } from "./generation-eval.js";
import { castRow, TASKS } from "./tasks.js";

// Items whose prompt ids are their index, so a fake generator can look the expected answer up.
const rows = [
  { task: TASKS.sst2!, row: { text: "a gorgeous film", label: "positive" } },
  { task: TASKS.sst2!, row: { text: "a dull film", label: "negative" } },
  { task: TASKS.cola!, row: { text: "him left", label: "unacceptable" } },
  { task: TASKS.cola!, row: { text: "she left", label: "acceptable" } },
];
const items: EvalItem[] = rows.map(({ task, row }, i) => {
  const { answer } = castRow(task, row, i % 3);
  return { task: task.name, promptIds: [i], answer, label: row.label, answers: task.answers };
});
const answering =
  (f: (item: EvalItem) => string): TextGenerator =>
  async (prompts) =>
    prompts.map((p) => f(items[p[0]!]!));

describe("evaluateByGeneration scores generations per task", () => {
  it("a generator forced to answer correctly scores 1", async () => {
    const { scores, generations } = await evaluateByGeneration(
      items,
      answering((it) => it.answer),
    );
    expect(scores).toEqual({
      sst2: { rows: 2, exactMatch: 1, labelAccuracy: 1, answered: 1 },
      cola: { rows: 2, exactMatch: 1, labelAccuracy: 1, answered: 1 },
    });
    expect(generations).toEqual(["positive", "negative", "no", "yes"]);
  });

  it("right labels in the wrong form count for label accuracy only", async () => {
    const { scores } = await evaluateByGeneration(
      items,
      answering((it) => ` ${it.answer.toUpperCase()}.`),
    );
    expect(scores.sst2).toEqual({ rows: 2, exactMatch: 0, labelAccuracy: 1, answered: 1 });
  });

  it("wrong labels and non-answers score 0, and answered tells them apart", async () => {
    const flip = (it: EvalItem) => Object.values(it.answers).find((a) => a !== it.answer)!;
    const { scores } = await evaluateByGeneration(
      items,
      answering((it) => (it.task === "sst2" ? flip(it) : "maybe")),
    );
    expect(scores.sst2).toEqual({ rows: 2, exactMatch: 0, labelAccuracy: 0, answered: 1 });
    expect(scores.cola).toEqual({ rows: 2, exactMatch: 0, labelAccuracy: 0, answered: 0 });
  });

  it("half right is 0.5", async () => {
    const { scores } = await evaluateByGeneration(
      items,
      answering((it) => (it.label === "positive" || it.label === "acceptable" ? it.answer : "")),
    );
    expect(scores.sst2?.labelAccuracy).toBe(0.5);
    expect(scores.cola?.exactMatch).toBe(0.5);
  });
});
