import type { Module } from "@tunekit/core";
import { MultiTaskModel } from "@tunekit/core/models";
import { isHeadPath } from "../hyperformer/hyperformer-strategy.js";
import { taskAdapterParameters, taskAdaptersOf } from "./task-adapters.js";
import { TunekitError } from "@tunekit/core";

/**
 * What a task-adapters model costs per task (parameter counts): one adapter and one head
 * per added task, against one full fine-tuned copy per task.
 *
 * @example
 * ```ts
 * const r: TaskAdaptersParameterReport = taskAdaptersParameterReport(adapted);
 * r.perAddedTask; // adapter + head
 * ```
 */
export interface TaskAdaptersParameterReport {
  /** `lora`, `ia3` or `bottleneck`. */
  readonly method: string;
  readonly tasks: readonly string[];
  /** The frozen base (everything but the adapters and the heads). */
  readonly base: number;
  /** One task's adapter (the same size for every task). */
  readonly adapter: number;
  /** Each task's head (`heads.<task>.*`; a one-head model's `classifier` is shared). */
  readonly heads: Readonly<Record<string, number>>;
  /** What one more task costs: its adapter and a head (the largest head as the estimate). */
  readonly perAddedTask: number;
  /** One full fine-tuned copy per task: base and head. */
  readonly perTaskFullCopy: number;
  /** Totals for the model's tasks (frozen base counted once for task adapters). */
  readonly totals: { readonly taskAdapters: number; readonly fullCopies: number };
}

const count = (params: Iterable<{ value: { data: ArrayLike<number> } }>): number => {
  let n = 0;
  for (const p of params) n += p.value.data.length;
  return n;
};

/**
 * Parameter counts of a model made by `taskAdapters` (for `tunekit info`): per task one
 * adapter plus its head, against full copies; in the style of `hyperformerParameterReport`.
 *
 * @example
 * ```ts
 * console.log(formatTaskAdaptersReport(taskAdaptersParameterReport(adapted)));
 * ```
 */
export function taskAdaptersParameterReport(model: Module): TaskAdaptersParameterReport {
  const o = taskAdaptersOf(model);
  if (!o) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${model.constructor.name} was not made by taskAdapters(...).apply(model); pass the model that apply returned`,
    );
  }
  const all = model.namedParameters();
  const perTask = o.tasks.map((t) => count(taskAdapterParameters(model, t).map(([, p]) => p)));
  const adapterTotal = perTask.reduce((a, b) => a + b, 0);
  const headParams = all.filter(([p]) => isHeadPath(p));
  const base = count(all.filter(([p]) => !isHeadPath(p)).map(([, p]) => p)) - adapterTotal;
  const heads: Record<string, number> = {};
  for (const t of o.tasks) {
    const own =
      model instanceof MultiTaskModel ? headParams.filter(([p]) => p.startsWith(`heads.${t}.`)) : headParams;
    heads[t] = count(own.map(([, p]) => p));
  }
  const adapter = perTask[0]!;
  const headSizes = Object.values(heads);
  const headTotal = model instanceof MultiTaskModel ? headSizes.reduce((a, b) => a + b, 0) : headSizes[0]!;
  const maxHead = Math.max(...headSizes);
  return {
    method: o.adapter.method,
    tasks: o.tasks,
    base,
    adapter,
    heads,
    perAddedTask: adapter + maxHead,
    perTaskFullCopy: base + maxHead,
    totals: {
      taskAdapters: base + adapterTotal + headTotal,
      fullCopies: o.tasks.reduce((s, t) => s + base + heads[t]!, 0),
    },
  };
}

/**
 * A plain-text table of a {@link TaskAdaptersParameterReport}.
 *
 * @example
 * ```ts
 * console.log(formatTaskAdaptersReport(taskAdaptersParameterReport(adapted)));
 * ```
 */
export function formatTaskAdaptersReport(r: TaskAdaptersParameterReport): string {
  const f = (v: number): string => v.toLocaleString("en-US");
  const rows: [string, string, string][] = [
    ["", "per task", `total (${r.tasks.length} tasks)`],
    [`task adapters (${r.method})`, f(r.perAddedTask), f(r.totals.taskAdapters)],
    ["full copies", f(r.perTaskFullCopy), f(r.totals.fullCopies)],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "),
  );
  return [
    `task adapters (${r.method}): tasks [${r.tasks.join(", ")}]; frozen base ${f(r.base)}; a new task costs its adapter (${f(r.adapter)}) + head`,
    ...lines,
  ].join("\n");
}
