import { type ForwardContext, hostTensor, type Linear, Module, Parameter, type Tensor } from "@tunekit/core";
import { add, concat, gather, matmul, mul, reshape } from "@tunekit/core/ir";
import { Layer } from "@tunekit/core/models";
import { taskIdsOf } from "./task-routing.js";

/** PEFT's `ParameterDict`: one parameter per task, named by the task. */
class TaskParameterDict extends Module {
  add(name: string, p: Parameter): Parameter {
    return this.registerParameter(name, p);
  }
}

/**
 * A `Linear` with one (IA)³ scaling vector per task, as PEFT's IA3 layer with several
 * adapters (`ia3_l.<task>`): a feed-forward module scales its INPUT by the row's task's
 * vector (`l [1, in]`), any other its OUTPUT (`l [out, 1]`). Each batch row's vector is
 * gathered by `task_ids` and multiplied in one pass, so a row computes exactly what an
 * `Ia3Linear` with its task's vector does. Vectors start at ones (outputs unchanged); the
 * base `weight` / `bias` Parameter objects are shared and stay frozen.
 *
 * @example
 * ```ts
 * model.setSubmodule(path, new TaskIa3Linear(model.getSubmodule(path) as Linear, ["sst2", "rte"], false));
 * ```
 */
export class TaskIa3Linear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly tasks: readonly string[];
  readonly isFeedforward: boolean;

  constructor(base: Linear, tasks: readonly string[], isFeedforward: boolean) {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.tasks = Object.freeze([...tasks]);
    this.isFeedforward = isFeedforward;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    const dict = this.registerModule("ia3_l", new TaskParameterDict());
    const shape = isFeedforward ? [1, base.inFeatures] : [base.outFeatures, 1];
    const n = isFeedforward ? base.inFeatures : base.outFeatures;
    for (const task of tasks) {
      dict.add(task, new Parameter(task, hostTensor("float32", shape, new Float32Array(n).fill(1))));
    }
  }

  /** Task `task`'s scaling vector `ia3_l.<task>`. */
  scaling(task: string): Parameter {
    return this.child<TaskParameterDict>("ia3_l").param(task);
  }

  /** The adapter parameters of one task (its scaling vector). */
  taskParameters(task: string): Parameter[] {
    return [this.scaling(task)];
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const g = x.graph;
    const n = this.isFeedforward ? this.inFeatures : this.outFeatures;
    const table = concat(
      this.tasks.map((t) => reshape(g.param(this.scaling(t)), [1, n])),
      0,
    ); // [T, n]
    const rows = gather(table, taskIdsOf(ctx, x, this.tasks)); // [B, n]
    const perRow = reshape(rows, [x.shape[0]!, ...x.shape.slice(1, -1).map(() => 1), n]);
    const lead = x.shape.slice(0, -1);
    const scaled = this.isFeedforward ? mul(x, perRow) : x;
    const flat = x.rank > 2 ? reshape(scaled, [-1, this.inFeatures]) : scaled;
    let y = matmul(flat, g.param(this.param("weight")), { transposeB: true });
    const bias = this.namedOwnParameters().find(([name]) => name === "bias")?.[1];
    if (bias) y = add(y, g.param(bias));
    if (x.rank > 2) y = reshape(y, [...lead, this.outFeatures]);
    return this.isFeedforward ? y : mul(y, perRow);
  }
}
