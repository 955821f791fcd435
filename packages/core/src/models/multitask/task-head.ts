import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import type { Rng } from "../../data/random.js";
import type { Tensor } from "../../ir/graph.js";
import { Dropout } from "../../modules/dropout.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";

/**
 * The kind of head a task of a mixture has: sequence classification (cross-entropy on the
 * pooled `[CLS]`), sequence regression (MSE, one output) or token classification
 * (cross-entropy per token, -100 ignored).
 *
 * @example
 * ```ts
 * const kind: TaskHeadKind = "regression";
 * ```
 */
export type TaskHeadKind = "classification" | "regression" | "token-classification";

/**
 * One task of a {@link MultiTaskModel}: its name (letters, digits, `_`, `-`), head kind,
 * label count or names, and loss weight.
 *
 * @example
 * ```ts
 * const sst2: TaskHeadSpec = { name: "sst2", kind: "classification", labels: ["negative", "positive"] };
 * ```
 */
export interface TaskHeadSpec {
  readonly name: string;
  readonly kind: TaskHeadKind;
  /** Number of outputs (default: `labels.length`; 1 for regression). */
  readonly numLabels?: number;
  /** Label names by id. */
  readonly labels?: readonly string[];
  /** Weight of this task's loss in the joint loss (default 1). */
  readonly lossWeight?: number;
}

/**
 * A {@link TaskHeadSpec} with its defaults filled in.
 *
 * @example
 * ```ts
 * const head: ResolvedTaskHead = resolveTaskHead({ name: "stsb", kind: "regression" });
 * head.numLabels; // 1
 * ```
 */
export interface ResolvedTaskHead {
  readonly name: string;
  readonly kind: TaskHeadKind;
  readonly numLabels: number;
  readonly labels: readonly string[];
  readonly lossWeight: number;
}

const TASK_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KINDS: readonly TaskHeadKind[] = ["classification", "regression", "token-classification"];

/**
 * Checks a task spec and fills in its defaults; throws `INVALID_ARGUMENT` naming the task
 * and the field that is wrong.
 *
 * @example
 * ```ts
 * resolveTaskHead({ name: "rte", kind: "classification", numLabels: 2 }).labels; // ["LABEL_0", "LABEL_1"]
 * ```
 */
export function resolveTaskHead(spec: TaskHeadSpec): ResolvedTaskHead {
  const bad = (msg: string): never => {
    throw new TunekitError("INVALID_ARGUMENT", `multi-task: task ${JSON.stringify(spec?.name)}: ${msg}`);
  };
  if (typeof spec?.name !== "string" || !TASK_NAME.test(spec.name)) {
    bad("the name must be 1-64 letters, digits, '_' or '-' (it names the head's parameters)");
  }
  if (!KINDS.includes(spec.kind)) bad(`kind ${JSON.stringify(spec.kind)} is not one of ${KINDS.join(", ")}`);
  const n = spec.numLabels ?? (spec.kind === "regression" ? 1 : spec.labels?.length);
  if (n === undefined) bad("give numLabels or labels");
  if (!Number.isInteger(n) || n! < 1 || n! > 1_000_000) bad(`numLabels must be a positive integer, got ${n}`);
  if (spec.kind === "regression" && n !== 1) bad(`a regression head has 1 output, got numLabels ${n}`);
  if (spec.kind !== "regression" && n! < 2) bad(`a ${spec.kind} head needs at least 2 labels, got ${n}`);
  if (spec.labels !== undefined && spec.labels.length !== n) {
    bad(`labels has ${spec.labels.length} names but numLabels is ${n}`);
  }
  const w = spec.lossWeight ?? 1;
  if (!(Number.isFinite(w) && w >= 0)) bad(`lossWeight must be a finite number >= 0, got ${w}`);
  return {
    name: spec.name,
    kind: spec.kind,
    numLabels: n!,
    labels: spec.labels ?? Array.from({ length: n! }, (_, i) => `LABEL_${i}`),
    lossWeight: w,
  };
}

/**
 * A task's head: `dropout` then `classifier` (Linear hidden → labels), as Hugging Face's
 * BERT heads name them, so a single-task head's weights carry over by name.
 *
 * @example
 * ```ts
 * const head = new TaskHead(config, resolveTaskHead({ name: "sst2", kind: "classification", numLabels: 2 }), rng);
 * const logits = head.forward(pooled, ctx); // [B, 2]
 * ```
 */
export class TaskHead extends Module {
  readonly spec: ResolvedTaskHead;

  constructor(config: BertConfig, spec: ResolvedTaskHead, rng: Rng) {
    super();
    this.spec = spec;
    this.registerModule("dropout", new Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.registerModule(
      "classifier",
      new Linear(config.hiddenSize, spec.numLabels, { rng, std: config.initializerRange }),
    );
  }

  /** Logits of `h` (`[B, hidden]` pooled, or `[B, S, hidden]` for token heads). */
  forward(h: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    return this.child<Layer>("classifier").forward(this.child<Layer>("dropout").forward(h, ctx), ctx);
  }
}
