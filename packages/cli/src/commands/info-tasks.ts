import { type Module, sizeOf } from "@tunekit/core";
import { formatTable } from "../format-table.js";

/**
 * What one method costs per task of a multi-task model: the trainable parameters every task
 * shares, what one more task adds (its own parameters: head, task embedding, own adapter),
 * and the parameters stored for all tasks, against one fully fine-tuned copy per task.
 *
 * @example
 * ```ts
 * const row: TaskCostRow = taskCosts("hyperformer++", adapted, ["sst2", "rte"], baseTotal);
 * ```
 */
export interface TaskCostRow {
  readonly method: string;
  readonly tasks: number;
  /** Trainable parameters no single task owns (a hypernetwork, shared adapters, the encoder). */
  readonly sharedTrainable: number;
  /** Mean parameters one task owns (those under a path segment named after it). */
  readonly perTask: number;
  /** Parameters stored for every task together: the base once, plus shared and per-task ones. */
  readonly stored: number;
  /** One full fine-tuned copy of the base per task, plus its head. */
  readonly fullCopies: number;
}

/**
 * Counts {@link TaskCostRow} for a model adapted by `method` (a parameter belongs to task `t`
 * when a segment of its path is `t`, e.g. `heads.t.classifier.weight`,
 * `hypernetwork.task_embeddings.t`). Full fine-tuning stores a copy of everything per task.
 *
 * @example
 * ```ts
 * const row = taskCosts("lora", strategy.apply(model), model.tasks.map((t) => t.name), base);
 * ```
 */
export function taskCosts(
  method: string,
  adapted: Module,
  base: Module,
  tasks: readonly string[],
): TaskCostRow {
  const ownedBy = (name: string): boolean => name.split(".").some((s) => tasks.includes(s));
  let shared = 0;
  let own = 0;
  let stored = 0;
  for (const [name, p] of adapted.namedParameters()) {
    const n = sizeOf(p.value.shape);
    stored += n;
    if (ownedBy(name)) own += n;
    else if (p.trainable) shared += n;
  }
  let encoder = 0;
  let heads = 0;
  for (const [name, p] of base.namedParameters()) {
    if (ownedBy(name)) heads += sizeOf(p.value.shape);
    else encoder += sizeOf(p.value.shape);
  }
  return {
    method,
    tasks: tasks.length,
    sharedTrainable: shared,
    perTask: tasks.length > 0 ? own / tasks.length : 0,
    stored,
    fullCopies: tasks.length * encoder + heads,
  };
}

/**
 * The per-task table of `tunekit info` for a multi-task config.
 *
 * @example
 * ```ts
 * console.log(taskCostTable(rows));
 * ```
 */
export function taskCostTable(rows: readonly TaskCostRow[]): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
  const tasks = rows[0]?.tasks ?? 0;
  return [
    `per task (${tasks} tasks; one more task adds "per task"):`,
    formatTable([
      ["method", "shared trainable", "per task", `stored for ${tasks} tasks`, `${tasks} full copies`],
      ...rows.map((r) => [
        r.method,
        fmt(r.sharedTrainable),
        fmt(r.perTask),
        fmt(r.stored),
        fmt(r.fullCopies),
      ]),
    ]),
  ].join("\n");
}
