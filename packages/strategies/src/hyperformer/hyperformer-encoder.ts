import { type ForwardContext, Module, type Tensor } from "@tunekit/core";
import { type BertLayer, EVAL_CONTEXT, type ModuleList } from "@tunekit/core/models";
import { type GeneratedAdapter, gatherAdapter } from "./adapter-generators.js";
import type { HyperFormerHypernetwork } from "./hypernetwork.js";
import { clearRowAdapters, resolveTaskIds, setRowAdapters } from "./row-adapters.js";

/**
 * Replaces `bert.encoder` under a HyperFormer strategy, keeping its `layer` list (so base
 * parameters keep their Hugging Face paths) and adding `hypernetwork`
 * ({@link HyperFormerHypernetwork}). Each forward reads the batch's `task_ids`
 * (`ctx.batch.task_ids`, int32 `[B]`; optional with one task), generates every task's
 * adapters once, gathers each row's by its task id, and runs the layers, whose
 * {@link HyperFormerSite}s apply them. Rows of one batch may belong to different tasks.
 *
 * @example
 * ```ts
 * const enc = adapted.getSubmodule("bert.encoder") as HyperFormerEncoder;
 * enc.hypernetwork.tasks; // ["sst2", "mrpc"]
 * ```
 */
export class HyperFormerEncoder extends Module {
  constructor(replaced: Module, hypernetwork: HyperFormerHypernetwork) {
    super();
    for (const [name, child] of replaced.namedChildren()) this.registerModule(name, child);
    this.registerModule("hypernetwork", hypernetwork);
  }

  /** The hypernetwork. */
  get hypernetwork(): HyperFormerHypernetwork {
    return this.child<HyperFormerHypernetwork>("hypernetwork");
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const hn = this.hypernetwork;
    const ids = resolveTaskIds(ctx, x.shape[0]!, hn.tasks, x.graph);
    const perTask = hn.generate(x.graph);
    const cache = new Map<number, GeneratedAdapter>();
    setRowAdapters(ctx, {
      adapter: (layer, position) => {
        const key = layer * 2 + position;
        let w = cache.get(key);
        if (!w) {
          w = gatherAdapter(perTask(layer, position), ids);
          cache.set(key, w);
        }
        return w;
      },
      nonLinearity: hn.config.nonLinearity,
      layerNormEps: hn.config.adapterLayerNormEps,
    });
    try {
      let h = x;
      for (const layer of this.child<ModuleList<BertLayer>>("layer")) h = layer.forward(h, maskBias, ctx);
      return h;
    } finally {
      clearRowAdapters(ctx);
    }
  }
}
