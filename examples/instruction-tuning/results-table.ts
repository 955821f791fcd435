import type { ExperimentResult } from "./experiment.js";

const fixed = (x: number): string => x.toFixed(2);
const count = (n: number): string => (n === 0 ? "0" : n.toLocaleString("en-US"));
const secs = (s: number): string => (s === 0 ? "0" : s.toFixed(1));

/**
 * The results as a markdown table: one line per method; per task, exact match / label accuracy
 * (the held-out task marked); then the method's cost (trainable parameters, training rows,
 * tokens and steps, training seconds, evaluation prompt tokens and seconds).
 *
 * @example
 * ```ts
 * console.log(resultsMarkdown(result));
 * ```
 */
export function resultsMarkdown(result: ExperimentResult): string {
  const taskHeads = result.tasks.map((t) => (t.heldOut ? `${t.name} (held out)` : t.name));
  const head = [
    "method",
    ...taskHeads,
    "trainable params",
    "train rows",
    "train tokens",
    "steps",
    "train s",
    "eval prompt tokens",
    "eval s",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const m of result.methods) {
    const cells = result.tasks.map((t) => {
      const s = m.scores[t.name];
      return s === undefined ? "–" : `${fixed(s.exactMatch)} / ${fixed(s.labelAccuracy)}`;
    });
    const c = m.cost;
    lines.push(
      `| ${[
        m.method,
        ...cells,
        count(c.trainableParameters),
        count(c.trainRows),
        count(c.trainTokens),
        count(c.steps),
        secs(c.trainSeconds),
        count(c.evalPromptTokens),
        secs(c.evalSeconds),
      ].join(" | ")} |`,
    );
  }
  const rows = result.tasks.map((t) => `${t.name} ${t.devRows}`).join(", ");
  return [
    ...lines,
    "",
    `Each task cell: exact match / label accuracy on dev rows (${rows}), greedy generation.`,
    `Wall time ${result.seconds.toFixed(1)} s.`,
  ].join("\n");
}
