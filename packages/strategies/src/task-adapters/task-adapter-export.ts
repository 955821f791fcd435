import {
  BertForSequenceClassification,
  BertForTokenClassification,
  type HostTensor,
  hostTensor,
  type Module,
  TunekitError,
} from "@tunekit/core";
import { cloneModuleTree, MultiTaskModel } from "@tunekit/core/models";
import { saveAdapterFolder } from "../adapters/adapter-folder.js";
import { adapterSites } from "../adapters/adapter-site.js";
import { bottleneckAdapter } from "../adapters/bottleneck-strategies.js";
import { Ia3Linear } from "../ia3/ia3-linear.js";
import { ia3 } from "../ia3/ia3.js";
import { LoraLinear } from "../lora/lora-linear.js";
import { lora } from "../lora/lora.js";
import type { TaskAdapterSite } from "./task-adapter-site.js";
import { taskAdaptersBase, taskAdaptersOf } from "./task-adapters.js";
import type { TaskIa3Linear } from "./task-ia3-linear.js";
import type { TaskLoraLinear } from "./task-lora-linear.js";

const copy = (t: HostTensor): HostTensor =>
  hostTensor(t.dtype, [...t.shape], (t.data as Float32Array).slice()) as HostTensor;

/**
 * The single-task model `taskAdapters` was applied to, for `task`: the model itself for a
 * BERT head model; for a `MultiTaskModel`, a `BertForSequenceClassification` (or
 * `BertForTokenClassification`) sharing its encoder's frozen Parameters, with a copy of the
 * task's head as `classifier`.
 */
function singleTaskBase(base: Module, task: string): Module {
  if (!(base instanceof MultiTaskModel)) return base;
  const spec = base.tasks[base.taskIndex(task)]!;
  const single =
    spec.kind === "token-classification"
      ? new BertForTokenClassification(base.config, { numLabels: spec.numLabels })
      : new BertForSequenceClassification(base.config, { numLabels: spec.numLabels });
  single.setSubmodule("bert", cloneModuleTree(base.bert));
  single.setSubmodule(
    "classifier",
    cloneModuleTree(base.head(task).child("classifier"), { freshParameters: true }),
  );
  return single;
}

/** The trained head tensors of `task` in the task-adapters model, keyed by local name (`weight`, `bias`). */
function headValues(model: Module, task: string): Map<string, HostTensor> {
  const prefix = model instanceof MultiTaskModel ? `heads.${task}.classifier.` : "classifier.";
  return new Map(
    model
      .namedParameters()
      .filter(([path]) => path.startsWith(prefix))
      .map(([path, p]) => [path.slice(prefix.length), p.value]),
  );
}

/**
 * One task of a model made by `taskAdapters`, as a plain single-task adapted model: the
 * method's own strategy (`lora()`, `ia3()` or `bottleneckAdapter()`, head trained as
 * `classifier`) applied to the base, with that task's trained adapter and head copied in.
 * It needs no `task_ids` and computes, for any input, what the task-adapters model
 * computes on rows of `task`; `saveAdapterFolder` writes it. For a `MultiTaskModel` the
 * base is a `BertForSequenceClassification` / `BertForTokenClassification` sharing the
 * frozen encoder (built once, with a throw-away random encoder, so export costs about one
 * model initialisation).
 *
 * @example
 * ```ts
 * const rte = taskAdapterModel(adapted, "rte");
 * const { logits } = rte.forward({ inputIds }, EVAL_CONTEXT);
 * ```
 */
export function taskAdapterModel(model: Module, task: string): Module {
  const base = taskAdaptersBase(model);
  const o = taskAdaptersOf(model)!;
  if (!o.tasks.includes(task)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `no task ${JSON.stringify(task)} in this task-adapters model; its tasks: [${o.tasks.join(", ")}]`,
    );
  }
  const single = singleTaskBase(base, task);
  const a = o.adapter;
  let adapted: Module;
  if (a.method === "lora") {
    adapted = lora({
      r: a.r,
      alpha: a.alpha,
      dropout: a.dropout,
      targetModules: a.targetModules,
      ...(a.layersToTransform === null ? {} : { layersToTransform: a.layersToTransform }),
      useRslora: a.useRslora,
      modulesToSave: ["classifier"],
      seed: a.seed,
    }).apply(single);
    for (const [path, m] of adapted.namedModules()) {
      if (!(m instanceof LoraLinear)) continue;
      const ours = model.getSubmodule(path) as TaskLoraLinear;
      m.loraA.value = copy(ours.loraA(task).value);
      m.loraB.value = copy(ours.loraB(task).value);
    }
  } else if (a.method === "ia3") {
    adapted = ia3({
      targetModules: a.targetModules,
      feedforwardModules: a.feedforwardModules,
      ...(a.layersToTransform === null ? {} : { layersToTransform: a.layersToTransform }),
      modulesToSave: ["classifier"],
    }).apply(single);
    for (const [path, m] of adapted.namedModules()) {
      if (!(m instanceof Ia3Linear)) continue;
      m.scaling.value = copy((model.getSubmodule(path) as TaskIa3Linear).scaling(task).value);
    }
  } else {
    adapted = bottleneckAdapter(a.architecture, {
      name: task,
      reductionFactor: a.reductionFactor,
      nonLinearity: a.nonLinearity,
      scaling: a.scaling,
      initStd: a.initStd,
      seed: a.seed,
      trainHead: true,
      lnAfter: a.lnAfter,
    }).apply(single);
    for (const [path, site] of adapterSites(adapted)) {
      const ours = (model.getSubmodule(path) as TaskAdapterSite).adapters.get(task)!;
      for (const [local, p] of site.adapters.get(task)!.namedParameters()) {
        p.value = copy(ours.getParameter(local).value);
      }
    }
  }
  const head = headValues(model, task);
  for (const [path, p] of adapted.namedParameters()) {
    if (!path.startsWith("classifier.")) continue;
    const v = head.get(path.slice("classifier.".length));
    if (v) p.value = copy(v);
  }
  return adapted;
}

/**
 * Writes one task's adapter (and head, as `classifier`) of a model made by `taskAdapters`
 * as a plain adapter folder the existing loaders read (`loadAdapterFolder`,
 * `loadAdapter`, `loadBottleneckAdapter`): a PEFT folder for LoRA and IA3 (Python PEFT
 * loads it too), a `tunekit-bottleneck/1` folder named after the task for bottleneck
 * adapters. Load it into the single-task base model (the pre-trained BERT with the task's
 * label count) to serve that task without `task_ids`.
 *
 * @example
 * ```ts
 * await saveTaskAdapter(adapted, "rte", "out/rte-adapter");
 * const rte = await loadAdapterFolder(new BertForSequenceClassification(config, { numLabels: 2 }), "out/rte-adapter");
 * ```
 */
export async function saveTaskAdapter(
  model: Module,
  task: string,
  dir: string,
  options: { readonly baseModelNameOrPath?: string } = {},
): Promise<{ configPath: string; weightsPath: string; keys: readonly string[] }> {
  return saveAdapterFolder(taskAdapterModel(model, task), dir, {
    name: task,
    ...(options.baseModelNameOrPath === undefined
      ? {}
      : { baseModelNameOrPath: options.baseModelNameOrPath }),
  });
}
