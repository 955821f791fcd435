import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { labelOf } from "./label-rule.js";
import { fewShotRows, loadTaskRows } from "./task-data.js";
import { castRow, MAX_WORDS, TASKS, taskByName } from "./tasks.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATA = { dataDir: `${ROOT}examples/data`, baseDir: ROOT };

describe("tasks cast as instructions", () => {
  const tasks = Object.values(TASKS);

  it("every task has three templates and distinct one-word lower-case answers", () => {
    expect(tasks.length).toBeGreaterThanOrEqual(8);
    for (const task of tasks) {
      expect(task.templates, task.name).toHaveLength(3);
      const words = Object.values(task.answers);
      expect(new Set(words).size, task.name).toBe(words.length);
      for (const w of words) expect(w, task.name).toMatch(/^[a-z]+$/);
    }
  });

  it("every template fills its texts, names every answer word, and every label round-trips through the label rule", () => {
    for (const task of tasks) {
      for (let t = 0; t < 3; t++) {
        for (const [label, answer] of Object.entries(task.answers)) {
          const row = { text: "the {text} first text", text2: "a second {text2} text", label };
          const cast = castRow(task, row, t);
          expect(cast.answer).toBe(answer);
          expect(cast.prompt, `${task.name} ${t}`).toContain("the {text} first text");
          if (task.pair) expect(cast.prompt).toContain("a second {text2} text");
          else expect(cast.prompt).not.toContain("second");
          expect(cast.prompt.replaceAll("{text}", "").replaceAll("{text2}", "")).not.toMatch(/\{text2?\}/);
          for (const w of Object.values(task.answers)) expect(cast.prompt.toLowerCase()).toContain(w);
          expect(labelOf(cast.answer, task.answers)).toBe(label);
          expect(labelOf(` ${cast.answer}.\nmore`, task.answers)).toBe(label);
        }
      }
    }
  });

  it("the three templates of a task are different prompts for the same row", () => {
    for (const task of tasks) {
      const row = { text: "x", text2: "y", label: Object.keys(task.answers)[0]! };
      expect(new Set([0, 1, 2].map((t) => castRow(task, row, t).prompt)).size).toBe(3);
    }
  });

  it("cuts long texts to MAX_WORDS words", () => {
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    const { prompt } = castRow(TASKS.sst2!, { text: long, label: "positive" }, 0);
    expect(prompt).toContain(`w${MAX_WORDS - 1} ...`);
    expect(prompt).not.toContain(`w${MAX_WORDS} `);
  });

  it("refuses unknown templates, labels, tasks and a pair row without its second text", () => {
    expect(() => castRow(TASKS.sst2!, { text: "x", label: "positive" }, 3)).toThrow(
      /template 3 does not exist/,
    );
    expect(() => castRow(TASKS.sst2!, { text: "x", label: "neutral" }, 0)).toThrow(
      /"neutral" has no answer word/,
    );
    expect(() => castRow(TASKS.rte!, { text: "x", label: "entailment" }, 0)).toThrow(/no second text/);
    expect(() => taskByName("imdb")).toThrow(/unknown task "imdb"; expected one of sst2/);
  });
});

describe("task rows from the local data sets", () => {
  it("every task loads, its labels all have answer words, dev and train are disjoint and seeded", async () => {
    for (const task of Object.values(TASKS)) {
      const a = await loadTaskRows(task, { ...DATA, trainRows: 12, devRows: 6, seed: 3 });
      expect(a.dev, task.name).toHaveLength(6);
      expect(a.train, task.name).toHaveLength(12);
      for (const r of [...a.dev, ...a.train]) {
        expect(task.answers[r.label], task.name).toBeDefined();
        expect(r.text2 !== undefined, task.name).toBe(task.pair);
      }
      if (task.devSplit === "carve") {
        const dev = new Set(a.dev.map((r) => r.text));
        expect(
          a.train.filter((r) => dev.has(r.text)),
          task.name,
        ).toEqual([]);
      }
      const b = await loadTaskRows(task, { ...DATA, trainRows: 12, devRows: 6, seed: 3 });
      expect(b).toEqual(a);
      const demos = fewShotRows(task, a.train);
      expect(new Set(demos.map((d) => d.label)).size).toBe(demos.length);
    }
  });
});
