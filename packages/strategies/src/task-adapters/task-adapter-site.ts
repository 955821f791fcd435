import { type ForwardContext, Module, type Parameter, type Tensor, TunekitError } from "@tunekit/core";
import { add } from "@tunekit/core/ir";
import { EVAL_CONTEXT, type Layer } from "@tunekit/core/models";
import { ModuleTable } from "../adapters/adapter-site.js";
import type { BottleneckAdapter } from "../adapters/bottleneck-adapter.js";
import { routedSum, taskIdsOf } from "./task-routing.js";

/**
 * A BERT output block (`attention.output` or `output`: `dense` → `dropout` →
 * `LayerNorm(· + residual)`) with one bottleneck adapter per task, routed per batch row by
 * `task_ids`: with `y = dropout(dense(h))` and the residual `r` it returns
 * `LayerNorm(y + Σ_t mask_t ⊙ a_t(y) + r)` (parallel adapters read `r` instead of `y`) —
 * for each row exactly what an `AdapterSite` with only its task's adapter active computes.
 * Keeps the replaced block's children (Hugging Face paths) and holds the adapters under
 * AdapterHub's multi-adapter paths, `adapters.<task>.adapter_down.0.weight`, ….
 *
 * @example
 * ```ts
 * const site = TaskAdapterSite.wrap(model, "bert.encoder.layer.0.output", ["sst2", "rte"]);
 * site.adapters.set("sst2", new BottleneckAdapter({ hiddenSize: 8, reductionFactor: 2, nonLinearity: "relu", scaling: 1, placement: "sequential" }));
 * ```
 */
export class TaskAdapterSite extends Module {
  readonly tasks: readonly string[];

  private constructor(replaced: Module, tasks: readonly string[]) {
    super();
    this.tasks = Object.freeze([...tasks]);
    for (const [name, child] of replaced.namedChildren()) this.registerModule(name, child);
    this.registerModule("adapters", new ModuleTable<BottleneckAdapter>());
  }

  /** Replaces the plain BERT output block at `path` of `model` (in place) by a site; returns it. */
  static wrap(model: Module, path: string, tasks: readonly string[]): TaskAdapterSite {
    const current = model.getSubmodule(path);
    const names = current.namedChildren().map(([n]) => n);
    if (!["dense", "LayerNorm", "dropout"].every((n) => names.includes(n)) || names.length !== 3) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `cannot add task adapters at "${path}": expected a plain BERT output block with dense, LayerNorm and dropout, found ${current.constructor.name} with children [${names.join(", ")}]; apply taskAdapters to a model without other adapters at that site`,
      );
    }
    const site = new TaskAdapterSite(current, tasks);
    model.setSubmodule(path, site);
    return site;
  }

  /** The adapters of this site by task. */
  get adapters(): ModuleTable<BottleneckAdapter> {
    return this.child<ModuleTable<BottleneckAdapter>>("adapters");
  }

  /** The adapter parameters of one task at this site. */
  taskParameters(task: string): Parameter[] {
    return this.adapters.get(task)?.parameters() ?? [];
  }

  forward(h: Tensor, residual: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const y = this.child<Layer>("dropout").forward(this.child<Layer>("dense").forward(h, ctx), ctx);
    const deltas = this.tasks.map((task) => {
      const a = this.adapters.get(task)!;
      return a.delta(a.placement === "parallel" ? residual : y);
    });
    const adapted = add(y, routedSum(taskIdsOf(ctx, y, this.tasks), deltas));
    return this.child<Layer>("LayerNorm").forward(add(adapted, residual), ctx);
  }
}
