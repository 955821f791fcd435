import { freezeAll, type HostTensor, type Module, type Parameter, TunekitError } from "@tunekit/core";
import { cloneModuleTree, normalTensor } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { hypernetworkOf } from "./hyperformer-strategy.js";

/**
 * Options of {@link addHyperFormerTask}.
 *
 * @example
 * ```ts
 * const o: AddHyperFormerTaskOptions = { init: { copyFrom: "sst2" } };
 * ```
 */
export interface AddHyperFormerTaskOptions {
  /**
   * Initial task embedding: `"random"` (normal(0, 1), the default), a copy of an existing
   * task's (`{ copyFrom: "sst2" }`, a warm start from a related task), or a `[t]` tensor.
   */
  readonly init?: "random" | { readonly copyFrom: string } | HostTensor;
  /** Seed of the random init (default 0). */
  readonly seed?: number;
  /**
   * Train the new task's head too (default true): the parameters under `heads.<task>.` when
   * the model has them (a multi-task model), else `classifier.*`.
   */
  readonly trainHead?: boolean;
}

/**
 * The head parameters of `task` in `model`: `heads.<task>.*` when present, else
 * `classifier.*`.
 *
 * @example
 * ```ts
 * taskHeadParameters(model, "sst2").map(([path]) => path); // ["heads.sst2.weight", "heads.sst2.bias"]
 * ```
 */
export function taskHeadParameters(model: Module, task: string): [string, Parameter][] {
  const all = model.namedParameters();
  const own = all.filter(([p]) => p.startsWith(`heads.${task}.`));
  return own.length > 0 ? own : all.filter(([p]) => p.startsWith("classifier."));
}

/**
 * Adds a task to a trained HyperFormer model by its embedding alone: returns a new model (as
 * `strategy.apply` does) whose hypernetwork has one more task embedding (the next task id,
 * `tasks.length`), with everything else frozen — the generators, projector, layer and
 * position embeddings and the other tasks' embeddings keep their values — except the new
 * embedding and, with `trainHead`, the new task's head. The hypernetwork's parameters are
 * new `Parameter` objects sharing the values, so freezing them leaves the given model
 * trainable. Train it on the new task's data with `task_ids` set to the new id.
 *
 * @example
 * ```ts
 * const withQnli = addHyperFormerTask(trained, "qnli", { init: { copyFrom: "rte" } });
 * ```
 */
export function addHyperFormerTask<M extends Module>(
  model: M,
  task: string,
  options: AddHyperFormerTaskOptions = {},
): M {
  const trainHead = options.trainHead ?? true;
  const { path } = hypernetworkOf(model);
  const heads = new Set(trainHead ? taskHeadParameters(model, task).map(([p]) => p) : []);
  const adapted = cloneModuleTree(model, {
    freshParameters: (p) => p.startsWith(`${path}.`) || heads.has(p),
  });
  const { hypernetwork } = hypernetworkOf(adapted);
  const te = hypernetwork.taskEmbeddings;
  const init = options.init ?? "random";
  let value: HostTensor;
  if (init === "random") value = normalTensor([te.dim], mulberry32(options.seed ?? 0), 1);
  else if ("copyFrom" in init) {
    if (!te.tasks.includes(init.copyFrom)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `addHyperFormerTask: init.copyFrom names no task (${JSON.stringify(init.copyFrom)}); the hypernetwork has [${te.tasks.join(", ")}]`,
      );
    }
    value = te.embedding(init.copyFrom).value;
  } else value = init;
  const added = te.add(task, value);
  freezeAll(adapted);
  added.trainable = true;
  for (const [p, param] of adapted.namedParameters()) if (heads.has(p)) param.trainable = true;
  return adapted;
}
