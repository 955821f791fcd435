import { TunekitError } from "@tunekit/core";
import type {
  AdapterArchitecture,
  BottleneckOptions,
  ResolvedBottleneckOptions,
} from "../adapters/bottleneck-strategies.js";
import { bottleneckAdapter } from "../adapters/bottleneck-strategies.js";
import { bottleneckSize } from "../adapters/bottleneck-adapter.js";
import { checkTaskList } from "../hyperformer/task-embeddings.js";
import { type Ia3Options, ia3, type ResolvedIa3Options } from "../ia3/ia3.js";
import { type LoraOptions, type ResolvedLoraOptions, resolveLoraOptions } from "../lora/lora.js";

/**
 * The adapter every task gets, by method, with that method's own options: LoRA / rsLoRA
 * (`lora()`'s options; DoRA is not supported), IA3 (`ia3()`'s) or a bottleneck adapter of
 * an AdapterHub architecture (`houlsby`, the default, `pfeiffer` or `parallel`, with the
 * bottleneck strategies' options). Heads are handled by `taskAdapters` itself, so
 * `modulesToSave`, `name` and `trainHead` are not options here.
 *
 * @example
 * ```ts
 * const spec: TaskAdapterSpec = { method: "bottleneck", architecture: "pfeiffer", reductionFactor: 16 };
 * ```
 */
export type TaskAdapterSpec =
  | ({ readonly method: "lora" } & Omit<LoraOptions, "modulesToSave" | "useDora">)
  | ({ readonly method: "ia3" } & Omit<Ia3Options, "modulesToSave">)
  | ({
      readonly method: "bottleneck";
      /** Default `houlsby`. */
      readonly architecture?: AdapterArchitecture;
    } & Omit<BottleneckOptions, "name" | "trainHead">);

/**
 * Options of {@link taskAdapters}.
 *
 * @example
 * ```ts
 * const o: TaskAdaptersOptions = { tasks: ["sst2", "rte"], adapter: { method: "lora", r: 8, alpha: 16 } };
 * ```
 */
export interface TaskAdaptersOptions {
  /** The mixture's tasks in order: `task_ids` index this list (a MultiTaskModel's own order). */
  readonly tasks: readonly string[];
  /** The adapter type and its options, the same for every task. */
  readonly adapter: TaskAdapterSpec;
  /** Train the heads (`heads.*` of a multi-task model, else `classifier`) too (default true). */
  readonly trainHead?: boolean;
}

/**
 * {@link TaskAdaptersOptions} with every default filled in (JSON): the adapter's options
 * are exactly what `lora()`, `ia3()` or `bottleneckAdapter()` resolve them to.
 *
 * @example
 * ```ts
 * resolveTaskAdaptersOptions({ tasks: ["a"], adapter: { method: "lora" } }).adapter; // { method: "lora", r: 8, ... }
 * ```
 */
export interface ResolvedTaskAdaptersOptions {
  readonly tasks: readonly string[];
  readonly trainHead: boolean;
  readonly adapter:
    | ({ readonly method: "lora" } & ResolvedLoraOptions)
    | ({ readonly method: "ia3" } & ResolvedIa3Options)
    | ({ readonly method: "bottleneck" } & ResolvedBottleneckOptions);
}

const METHODS = ["lora", "ia3", "bottleneck"] as const;

/**
 * Checks {@link TaskAdaptersOptions} and fills defaults; throws `CONFIG_INVALID` /
 * `INVALID_ARGUMENT` naming the option, what it got and what it expects.
 *
 * @example
 * ```ts
 * resolveTaskAdaptersOptions({ tasks: ["sst2", "rte"], adapter: { method: "ia3" } }).trainHead; // true
 * ```
 */
export function resolveTaskAdaptersOptions(options: TaskAdaptersOptions): ResolvedTaskAdaptersOptions {
  checkTaskList(options?.tasks, "taskAdapters");
  const spec = options.adapter;
  if (typeof spec !== "object" || spec === null || !METHODS.includes(spec.method)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `taskAdapters: adapter.method must be one of ${METHODS.join(", ")}, got ${JSON.stringify(spec?.method ?? spec)}; e.g. { method: "lora", r: 8 }`,
    );
  }
  const trainHead = options.trainHead ?? true;
  const tasks = Object.freeze([...options.tasks]);
  if (spec.method === "lora") {
    const { method, ...rest } = spec;
    if ((rest as LoraOptions).useDora === true) {
      throw new TunekitError(
        "NOT_IMPLEMENTED",
        "taskAdapters: adapter.useDora is true, but per-task DoRA is not supported (its weight norms would differ per row); use LoRA or rsLoRA (useRslora: true)",
      );
    }
    const lora = resolveLoraOptions({ ...rest, modulesToSave: [] });
    return Object.freeze({ tasks, trainHead, adapter: { method, ...lora } });
  }
  if (spec.method === "ia3") {
    const { method, ...rest } = spec;
    const resolved = ia3({ ...rest, modulesToSave: [] }).options;
    return Object.freeze({ tasks, trainHead, adapter: { method, ...resolved } });
  }
  const { method, architecture = "houlsby", ...rest } = spec;
  const resolved = bottleneckAdapter(architecture, { ...rest, name: "adapter", trainHead })
    .options as unknown as ResolvedBottleneckOptions;
  bottleneckSize(1, resolved.reductionFactor); // validate before any weight is allocated
  return Object.freeze({ tasks, trainHead, adapter: { method, ...resolved } });
}
