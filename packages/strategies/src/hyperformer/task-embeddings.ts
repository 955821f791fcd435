import { type HostTensor, Module, Parameter, type Tensor, TunekitError } from "@tunekit/core";
import { concat, type Graph, reshape } from "@tunekit/core/ir";
import { normalTensor } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";

/**
 * Checks a task name: it becomes a parameter-path segment (`task_embeddings.<name>`), so it
 * must be letters, digits, `_` or `-`.
 *
 * @example
 * ```ts
 * checkTaskName("sst2"); // ok
 * checkTaskName("glue.sst2"); // throws INVALID_ARGUMENT
 * ```
 */
export function checkTaskName(name: string): void {
  if (typeof name !== "string" || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `task name ${JSON.stringify(name)} is not valid; use letters, digits, "_" or "-" (it becomes a parameter path segment, task_embeddings.<name>)`,
    );
  }
}

/**
 * Checks an ordered task list: non-empty, valid names, no duplicates.
 *
 * @example
 * ```ts
 * checkTaskList(["sst2", "mrpc"], "hyperformerPlusPlus");
 * ```
 */
export function checkTaskList(tasks: readonly string[], who: string): void {
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${who}: tasks must be a non-empty list of task names (the mixture's order, which task_ids index), got ${JSON.stringify(tasks)}`,
    );
  }
  for (const t of tasks) checkTaskName(t);
  const dup = tasks.find((t, i) => tasks.indexOf(t) !== i);
  if (dup !== undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${who}: task "${dup}" appears twice in tasks; names must be unique`,
    );
  }
}

/**
 * The trainable task embeddings `z_τ` of a hypernetwork: one `Parameter [dim]` per task,
 * named by the task (`task_embeddings.<task>`), in the mixture's order. One parameter per
 * task (not one table) so that a task added later can train alone while the others stay
 * frozen. Init normal(0, 1), as `torch.randn`.
 *
 * @example
 * ```ts
 * const z = new TaskEmbeddings(["sst2", "mrpc"], 64, 0);
 * const table = z.table(graph); // [2, 64]
 * ```
 */
export class TaskEmbeddings extends Module {
  readonly dim: number;

  constructor(tasks: readonly string[], dim: number, seed = 0) {
    super();
    this.dim = dim;
    const rng = mulberry32(seed);
    for (const t of tasks) this.add(t, normalTensor([dim], rng, 1));
  }

  /** Adds the task `name` with the initial value `value` (`[dim]`); returns its parameter. */
  add(name: string, value: HostTensor): Parameter {
    checkTaskName(name);
    if (this.tasks.includes(name)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `the hypernetwork already has a task "${name}"; tasks: [${this.tasks.join(", ")}]`,
      );
    }
    if (value.shape.length !== 1 || value.shape[0] !== this.dim) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `task embedding "${name}" must have shape [${this.dim}], got [${value.shape.join(", ")}]`,
      );
    }
    return this.registerParameter(name, new Parameter(name, value));
  }

  /** Task names in order (row `i` of {@link TaskEmbeddings.table} is task `i`). */
  get tasks(): string[] {
    return this.namedOwnParameters().map(([n]) => n);
  }

  /** The embedding of one task. */
  embedding(name: string): Parameter {
    return this.param(name);
  }

  /** All task embeddings stacked in task order: `[T, dim]`. */
  table(graph: Graph): Tensor {
    const rows = this.namedOwnParameters().map(([, p]) => reshape(graph.param(p), [1, this.dim]));
    return concat(rows, 0);
  }
}
