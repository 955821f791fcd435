import type { Module } from "@tunekit/core";
import { taskHeadParameters } from "./add-task.js";
import { hypernetworkOf, isHeadPath } from "./hyperformer-strategy.js";
import { HYPERFORMER_POSITIONS, type HyperFormerVariant } from "./hypernetwork.js";

/**
 * What a HyperFormer model costs per task, against one bottleneck adapter per task and
 * against one full model copy per task (parameter counts).
 *
 * @example
 * ```ts
 * const r: HyperFormerParameterReport = hyperformerParameterReport(adapted);
 * r.perAddedTask; // task embedding + head
 * ```
 */
export interface HyperFormerParameterReport {
  readonly variant: HyperFormerVariant;
  readonly tasks: readonly string[];
  /** The frozen base (everything but the hypernetwork and the heads). */
  readonly base: number;
  /** Hypernetwork parameters every task shares (all but the task embeddings). */
  readonly sharedHypernetwork: number;
  /** One task embedding (`t`). */
  readonly taskEmbedding: number;
  /** One task's head (`heads.<task>.*`, else the `classifier`). */
  readonly head: number;
  /** What one more task costs: its embedding and its head. */
  readonly perAddedTask: number;
  /** One task's plain bottleneck adapters of the same size (what export writes) and head. */
  readonly perTaskAdapters: number;
  /** One full fine-tuned copy per task: base and head. */
  readonly perTaskFullCopy: number;
  /** Totals for the model's tasks under each approach (frozen base counted once). */
  readonly totals: { readonly hyperformer: number; readonly adapters: number; readonly fullCopies: number };
}

const count = (params: Iterable<{ value: { data: ArrayLike<number> } }>): number => {
  let n = 0;
  for (const p of params) n += p.value.data.length;
  return n;
};

/**
 * Parameter counts of a HyperFormer model per task (for `tunekit info`): the task
 * embedding (plus head) a new task costs, against per-task adapters of the same bottleneck
 * and against full copies.
 *
 * @example
 * ```ts
 * console.log(formatHyperFormerReport(hyperformerParameterReport(adapted)));
 * ```
 */
export function hyperformerParameterReport(model: Module): HyperFormerParameterReport {
  const { hypernetwork: hn, path } = hypernetworkOf(model);
  const tasks = hn.tasks;
  const all = model.namedParameters();
  const base = count(all.filter(([p]) => !p.startsWith(`${path}.`) && !isHeadPath(p)).map(([, q]) => q));
  const taskEmbedding = hn.taskEmbeddings.dim;
  const hnTotal = count(hn.parameters());
  const head = count(taskHeadParameters(model, tasks[0]!).map(([, q]) => q));
  const { hiddenSize: d, bottleneck: r, numLayers } = hn.config;
  const adapter = numLayers * HYPERFORMER_POSITIONS.length * (2 * r * d + r + d + 2 * d);
  const n = tasks.length;
  const sharedHypernetwork = hnTotal - n * taskEmbedding;
  return {
    variant: hn.config.variant,
    tasks,
    base,
    sharedHypernetwork,
    taskEmbedding,
    head,
    perAddedTask: taskEmbedding + head,
    perTaskAdapters: adapter + head,
    perTaskFullCopy: base + head,
    totals: {
      hyperformer: base + sharedHypernetwork + n * (taskEmbedding + head),
      adapters: base + n * (adapter + head),
      fullCopies: n * (base + head),
    },
  };
}

/**
 * A plain-text table of a {@link HyperFormerParameterReport}.
 *
 * @example
 * ```ts
 * console.log(formatHyperFormerReport(hyperformerParameterReport(adapted)));
 * ```
 */
export function formatHyperFormerReport(r: HyperFormerParameterReport): string {
  const f = (v: number): string => v.toLocaleString("en-US");
  const rows: [string, string, string][] = [
    ["", "per task", `total (${r.tasks.length} tasks)`],
    [`${r.variant} (shared ${f(r.sharedHypernetwork)})`, f(r.perAddedTask), f(r.totals.hyperformer)],
    ["per-task adapters", f(r.perTaskAdapters), f(r.totals.adapters)],
    ["full copies", f(r.perTaskFullCopy), f(r.totals.fullCopies)],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "),
  );
  return [
    `${r.variant}: tasks [${r.tasks.join(", ")}]; a new task costs its embedding (${f(r.taskEmbedding)}) + head (${f(r.head)})`,
    ...lines,
  ].join("\n");
}
