import { mulberry32 } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import { crossEntropy } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import { add, cast, div, equal, maximum, mul, reshape, sub, sum } from "../../ir/ops.js";
import { EVAL_CONTEXT, type ForwardContext, Module } from "../../modules/module.js";
import { BertModel } from "../bert/bert-model.js";
import { type ResolvedTaskHead, resolveTaskHead, TaskHead, type TaskHeadSpec } from "./task-head.js";

/**
 * Batch input names of a {@link MultiTaskModel}: Hugging Face's BERT inputs, `task_ids`
 * (int32 `[B]`, each row's index into the model's tasks) and one label input per task.
 *
 * @example
 * ```ts
 * MULTI_TASK_INPUTS.labels(2); // "labels_2"
 * ```
 */
export const MULTI_TASK_INPUTS = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  tokenTypeIds: "token_type_ids",
  taskIds: "task_ids",
  /** Labels of task `i` (rows of other tasks hold -100, or 0 for regression). */
  labels: (i: number): string => `labels_${i}`,
} as const;

/**
 * Output names of a {@link MultiTaskModel}: `logits_<i>` for every task, `loss_<i>` (the
 * task's own mean loss over its rows) when its labels are fed, and the joint `loss`.
 *
 * @example
 * ```ts
 * MULTI_TASK_OUTPUTS.logits(0); // "logits_0"
 * ```
 */
export const MULTI_TASK_OUTPUTS = {
  logits: (i: number): string => `logits_${i}`,
  loss: (i: number): string => `loss_${i}`,
} as const;

/** Options of {@link MultiTaskModel}. @example `new MultiTaskModel(config, tasks, { seed: 1 })` */
export interface MultiTaskModelOptions {
  /** Seed of the random initialisation (default 0). */
  readonly seed?: number;
}

/** Children of `heads`, one per task (like `torch.nn.ModuleDict`). */
class TaskHeads extends Module {
  constructor(heads: readonly TaskHead[]) {
    super();
    for (const h of heads) this.registerModule(h.spec.name, h);
  }
}

/**
 * One shared BERT encoder (`bert.*`, Hugging Face names, so a pre-trained checkpoint loads
 * as for a single task) with one head per task (`heads.<task>.classifier.*`): MT-DNN-style
 * multi-task learning. A batch may mix tasks: `task_ids` routes each row to its task's head,
 * and the joint loss is `Σ_t w_t · (n_t / B) · L_t`, where `L_t` is task t's usual mean loss
 * over its `n_t` rows (over its labeled tokens for token classification). A batch of one task
 * therefore trains exactly like that task's single-task model scaled by `w_t`. Every head
 * runs on every row (heads are small next to the encoder), so a mixed batch costs one
 * encoder pass.
 *
 * @example
 * ```ts
 * const model = new MultiTaskModel(config, [
 *   { name: "sst2", kind: "classification", numLabels: 2 },
 *   { name: "stsb", kind: "regression" },
 * ]);
 * const trainer = new Trainer({ model, backend, batchSize: 16, epochs: 3, lr: 5e-5 });
 * ```
 */
export class MultiTaskModel extends Module {
  readonly config: BertConfig;
  readonly tasks: readonly ResolvedTaskHead[];

  constructor(config: BertConfig, tasks: readonly TaskHeadSpec[], options: MultiTaskModelOptions = {}) {
    super();
    if (!Array.isArray(tasks) || tasks.length === 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `MultiTaskModel: expected a non-empty array of tasks ({ name, kind, numLabels }), got ${JSON.stringify(tasks)}`,
      );
    }
    const resolved = tasks.map(resolveTaskHead);
    const seen = new Set<string>();
    for (const t of resolved) {
      if (seen.has(t.name)) {
        throw new TunekitError("INVALID_ARGUMENT", `MultiTaskModel: task "${t.name}" is listed twice`);
      }
      seen.add(t.name);
    }
    this.config = config;
    this.tasks = resolved;
    const rng = mulberry32(options.seed ?? 0);
    const pooled = resolved.some((t) => t.kind !== "token-classification");
    this.registerModule("bert", new BertModel(config, { addPoolingLayer: pooled, rng }));
    this.registerModule("heads", new TaskHeads(resolved.map((t) => new TaskHead(config, t, rng))));
  }

  /** The shared encoder. */
  get bert(): BertModel {
    return this.child<BertModel>("bert");
  }

  /** The head of task `name`. */
  head(name: string): TaskHead {
    return this.child<TaskHeads>("heads").child<TaskHead>(name);
  }

  /** The index of task `name` (its `task_ids` value); throws naming the known tasks. */
  taskIndex(name: string): number {
    const i = this.tasks.findIndex((t) => t.name === name);
    if (i < 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `MultiTaskModel has no task "${name}"; its tasks: ${this.tasks.map((t) => t.name).join(", ")}`,
      );
    }
    return i;
  }

  /** Batch fields every forward needs (labels are optional). */
  get batchFields(): readonly string[] {
    return [MULTI_TASK_INPUTS.inputIds, MULTI_TASK_INPUTS.taskIds];
  }

  /** Joint loss (when any task's labels are fed), per-task logits and losses. */
  forwardBatch(
    inputs: Readonly<Record<string, Tensor>>,
    ctx: ForwardContext = EVAL_CONTEXT,
  ): { loss?: Tensor; outputs: Record<string, Tensor> } {
    const inputIds = inputs[MULTI_TASK_INPUTS.inputIds];
    const taskIds = inputs[MULTI_TASK_INPUTS.taskIds];
    if (inputIds === undefined || taskIds === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `MultiTaskModel: the batch needs input_ids and task_ids, got ${Object.keys(inputs).join(", ") || "nothing"}`,
      );
    }
    const b = inputIds.shape[0]!;
    if (taskIds.dtype !== "int32" || taskIds.rank !== 1 || taskIds.shape[0] !== b) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `MultiTaskModel: task_ids must be int32 [${b}], got ${taskIds.dtype}[${taskIds.shape.join(", ")}]`,
      );
    }
    const { lastHiddenState, poolerOutput } = this.bert.forward(
      {
        inputIds,
        attentionMask: inputs[MULTI_TASK_INPUTS.attentionMask],
        tokenTypeIds: inputs[MULTI_TASK_INPUTS.tokenTypeIds],
      },
      ctx,
    );
    const outputs: Record<string, Tensor> = {};
    let loss: Tensor | undefined;
    this.tasks.forEach((task, i) => {
      const token = task.kind === "token-classification";
      const logits = this.head(task.name).forward(token ? lastHiddenState : poolerOutput!, ctx);
      outputs[MULTI_TASK_OUTPUTS.logits(i)] = logits;
      const labels = inputs[MULTI_TASK_INPUTS.labels(i)];
      if (labels === undefined) return;
      const rowMask = cast(equal(taskIds, i), "float32"); // [B]
      const rows = sum(rowMask);
      const taskLoss = this.taskLoss(task, logits, labels, rowMask, rows);
      outputs[MULTI_TASK_OUTPUTS.loss(i)] = taskLoss;
      if (task.lossWeight === 0) return;
      const term = mul(taskLoss, mul(rows, task.lossWeight / b));
      loss = loss === undefined ? term : add(loss, term);
    });
    return loss === undefined ? { outputs } : { loss, outputs };
  }

  private taskLoss(
    task: ResolvedTaskHead,
    logits: Tensor,
    labels: Tensor,
    rowMask: Tensor,
    rows: Tensor,
  ): Tensor {
    const b = logits.shape[0]!;
    const expect = (ok: boolean, want: string): void => {
      if (!ok) {
        throw new TunekitError(
          "SHAPE_MISMATCH",
          `MultiTaskModel: labels of task "${task.name}" (${task.kind}) must be ${want}, got ${labels.dtype}[${labels.shape.join(", ")}]`,
        );
      }
    };
    if (task.kind === "classification") {
      expect(
        labels.dtype === "int32" && labels.rank === 1 && labels.shape[0] === b,
        `int32 [${b}] (-100 for other tasks' rows)`,
      );
      return crossEntropy(logits, labels);
    }
    if (task.kind === "token-classification") {
      const [, s, c] = logits.shape as [number, number, number];
      expect(
        labels.dtype === "int32" && labels.rank === 2 && labels.shape[0] === b && labels.shape[1] === s,
        `int32 [${b}, ${s}] (-100 = ignore)`,
      );
      return crossEntropy(reshape(logits, [b * s, c]), reshape(labels, [b * s]));
    }
    expect(labels.rank === 1 && labels.shape[0] === b, `float32 [${b}]`);
    const d = mul(sub(reshape(logits, [b]), cast(labels, "float32")), rowMask);
    return div(sum(mul(d, d)), maximum(rows, 1));
  }
}
