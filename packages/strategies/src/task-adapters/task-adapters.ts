import {
  freezeAll,
  type Linear,
  type Module,
  type Parameter,
  type Strategy,
  type StrategyOptions,
  TunekitError,
} from "@tunekit/core";
import { cloneModuleTree, MultiTaskModel } from "@tunekit/core/models";
import { mixSeeds, mulberry32 } from "@tunekit/core/data";
import { bertLayerPaths } from "../adapters/adapter-site.js";
import { BottleneckAdapter } from "../adapters/bottleneck-adapter.js";
import { ADAPTER_ARCHITECTURES, bertModelOf } from "../adapters/bottleneck-strategies.js";
import { isHeadPath } from "../hyperformer/hyperformer-strategy.js";
import { isFeedforward } from "../ia3/ia3.js";
import { findTargetLinears } from "../peft/target-modules.js";
import { TaskAdapterSite } from "./task-adapter-site.js";
import {
  type ResolvedTaskAdaptersOptions,
  resolveTaskAdaptersOptions,
  type TaskAdaptersOptions,
} from "./task-adapters-options.js";
import { TaskIa3Linear } from "./task-ia3-linear.js";
import { TaskLoraLinear } from "./task-lora-linear.js";

/** What {@link taskAdapters} recorded about a model it made. */
interface TaskAdaptersRecord {
  readonly options: ResolvedTaskAdaptersOptions;
  /** The model `apply` was given: its frozen Parameters are the adapted model's base. */
  readonly base: Module;
}

const records = new WeakMap<Module, TaskAdaptersRecord>();

/**
 * The seed of task `t`'s adapter: task `t` starts exactly like `lora({ seed: taskSeed(seed, t) })`,
 * `ia3()` or `bottleneckAdapter(arch, { seed: taskSeed(seed, t) })` would.
 *
 * @example
 * ```ts
 * taskSeed(0, 1); // the seed of the second task's adapter
 * ```
 */
export function taskSeed(seed: number, taskIndex: number): number {
  return mixSeeds(seed, taskIndex);
}

/**
 * A frozen base with one adapter per task, trained jointly over a task mixture (issue 10,
 * item 3): every task gets its own adapter of one type — LoRA / rsLoRA, IA3, or a Houlsby,
 * Pfeiffer or parallel bottleneck adapter — and each batch row runs through its own task's
 * adapter, routed by the batch's `task_ids` (int32 `[B]`, indices into `tasks`), so a mixed
 * batch costs one pass. Each task's adapter is exactly that method's single-task adapter (same
 * classes, init and parameter names, under PEFT / AdapterHub multi-adapter paths such as
 * `…query.lora_A.<task>.weight`, `…output.adapters.<task>.adapter_up.weight`,
 * `…key.ia3_l.<task>`), and a task with no rows in a batch gets exactly zero gradient. The
 * base is frozen; the heads (`heads.*` of a `MultiTaskModel`, else `classifier`) train
 * unless `trainHead: false`. Export one task as a plain adapter folder with
 * {@link saveTaskAdapter}.
 *
 * Cost: LoRA and bottleneck layers run every task's adapter on the whole batch and keep each
 * row's own (exact, and cheap for a few tasks: the adapters are small next to the base);
 * IA3 gathers each row's vector.
 *
 * @example
 * ```ts
 * const model = new MultiTaskModel(config, [
 *   { name: "sst2", kind: "classification", numLabels: 2 },
 *   { name: "rte", kind: "classification", numLabels: 2 },
 * ]);
 * const adapted = taskAdapters({ tasks: ["sst2", "rte"], adapter: { method: "lora", r: 8, alpha: 16 } }).apply(model);
 * await new Trainer({ model: adapted, backend, batchSize: 16, epochs: 3, lr: 1e-3 }).fit(mixture);
 * ```
 */
export function taskAdapters(options: TaskAdaptersOptions): Strategy {
  const o = resolveTaskAdaptersOptions(options);
  return {
    method: `task-adapters-${o.adapter.method}`,
    options: o as unknown as StrategyOptions,
    apply<M extends Module>(model: M): M {
      if (model instanceof MultiTaskModel) {
        const names = model.tasks.map((t) => t.name);
        if (names.join("\u0000") !== o.tasks.join("\u0000")) {
          throw new TunekitError(
            "CONFIG_INVALID",
            `taskAdapters: tasks [${o.tasks.join(", ")}] must be the MultiTaskModel's tasks in its order ([${names.join(", ")}]): task_ids index both`,
          );
        }
      }
      bertModelOf(model);
      const fresh = (path: string): boolean => o.trainHead && isHeadPath(path);
      const adapted = cloneModuleTree(model, { freshParameters: fresh });
      inject(adapted, o);
      freezeAll(adapted);
      for (const task of o.tasks) {
        for (const [, p] of taskAdapterParameters(adapted, task)) p.trainable = true;
      }
      for (const [path, p] of adapted.namedParameters()) if (fresh(path)) p.trainable = true;
      records.set(adapted, { options: o, base: model });
      return adapted;
    },
  };
}

function inject(adapted: Module, o: ResolvedTaskAdaptersOptions): void {
  const { tasks, adapter } = o;
  if (adapter.method === "bottleneck") {
    const spec = ADAPTER_ARCHITECTURES[adapter.architecture];
    const hidden = bertModelOf(adapted).config.hiddenSize;
    bertLayerPaths(adapted).forEach((layerPath, i) => {
      spec.sites.forEach((kind, k) => {
        const site = TaskAdapterSite.wrap(adapted, `${layerPath}.${kind}`, tasks);
        tasks.forEach((task, t) => {
          site.adapters.set(
            task,
            new BottleneckAdapter({
              hiddenSize: hidden,
              reductionFactor: adapter.reductionFactor,
              nonLinearity: adapter.nonLinearity,
              scaling: adapter.scaling,
              placement: spec.placement,
              initStd: adapter.initStd,
              seed: mixSeeds(taskSeed(adapter.seed, t), i, k),
              lnAfter: adapter.lnAfter,
            }),
          );
        });
      });
    });
    return;
  }
  const targets = findTargetLinears(adapted, {
    targetModules: adapter.targetModules,
    layersToTransform: adapter.layersToTransform ?? undefined,
    method: `taskAdapters (${adapter.method})`,
  }).filter((path) => !isHeadPath(`${path}.`) && !isHeadPath(path));
  const rngs = tasks.map((_, t) => mulberry32(adapter.method === "lora" ? taskSeed(adapter.seed, t) : 0));
  for (const path of targets) {
    const base = adapted.getSubmodule(path) as Linear;
    const layer =
      adapter.method === "lora"
        ? new TaskLoraLinear(base, tasks, {
            r: adapter.r,
            alpha: adapter.alpha,
            dropout: adapter.dropout,
            useRslora: adapter.useRslora,
            rngs,
          })
        : new TaskIa3Linear(base, tasks, isFeedforward(path, adapter.feedforwardModules));
    adapted.setSubmodule(path, layer);
  }
}

/**
 * The resolved options of a model made by {@link taskAdapters} (undefined for any other).
 *
 * @example
 * ```ts
 * taskAdaptersOf(adapted)?.adapter.method; // "lora"
 * ```
 */
export function taskAdaptersOf(model: Module): ResolvedTaskAdaptersOptions | undefined {
  return records.get(model)?.options;
}

/**
 * The model {@link taskAdapters} was applied to (its frozen Parameters are the adapted
 * model's base); throws `INVALID_ARGUMENT` when `model` was not made by `taskAdapters`.
 *
 * @example
 * ```ts
 * const base = taskAdaptersBase(adapted);
 * ```
 */
export function taskAdaptersBase(model: Module): Module {
  const record = records.get(model);
  if (!record) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${model.constructor.name} was not made by taskAdapters(...).apply(model); pass the model that apply returned`,
    );
  }
  return record.base;
}

/**
 * The adapter parameters of one task with their paths (not its head), in model order.
 *
 * @example
 * ```ts
 * taskAdapterParameters(adapted, "rte").map(([path]) => path); // [..."query.lora_A.rte.weight", ...]
 * ```
 */
export function taskAdapterParameters(model: Module, task: string): [string, Parameter][] {
  const own = new Set<Parameter>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof TaskLoraLinear || m instanceof TaskIa3Linear || m instanceof TaskAdapterSite) {
      if (!m.tasks.includes(task)) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `no task "${task}" in this task-adapters model; its tasks: [${m.tasks.join(", ")}]`,
        );
      }
      for (const p of m.taskParameters(task)) own.add(p);
    }
  }
  return model.namedParameters().filter(([, p]) => own.has(p));
}
