import { LayerNorm, Linear, Module, type Tensor } from "@tunekit/core";
import { applyActivation } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";

/**
 * Options of {@link TaskProjector}.
 *
 * @example
 * ```ts
 * const o: TaskProjectorOptions = { inputDim: 192, hiddenDim: 128, projectedDim: 64, layerNorm: true, seed: 0 };
 * ```
 */
export interface TaskProjectorOptions {
  readonly inputDim: number;
  readonly hiddenDim: number;
  readonly projectedDim: number;
  /** Normalise the projection with a trainable LayerNorm (eps 1e-6). */
  readonly layerNorm: boolean;
  readonly seed: number;
}

/**
 * The task projector of a hypernetwork: `Linear(in, hidden) → ReLU → Linear(hidden, proj)`,
 * then, for HyperFormer++, `LayerNorm(proj, eps 1e-6)` (trainable, starting at weight 1,
 * bias 0). Linears start at normal(0, 0.01²) with zero bias (the paper's init). Children
 * `dense_in`, `dense_out`, `LayerNorm`.
 *
 * @example
 * ```ts
 * const proj = new TaskProjector({ inputDim: 192, hiddenDim: 128, projectedDim: 64, layerNorm: true, seed: 0 });
 * const I = proj.forward(x); // [N, 192] -> [N, 64]
 * ```
 */
export class TaskProjector extends Module {
  readonly inputDim: number;
  readonly hiddenDim: number;
  readonly projectedDim: number;
  readonly hasLayerNorm: boolean;

  constructor(options: TaskProjectorOptions) {
    super();
    this.inputDim = options.inputDim;
    this.hiddenDim = options.hiddenDim;
    this.projectedDim = options.projectedDim;
    this.hasLayerNorm = options.layerNorm;
    const rng = mulberry32(options.seed);
    this.registerModule("dense_in", new Linear(options.inputDim, options.hiddenDim, { rng, std: 1e-2 }));
    this.registerModule("dense_out", new Linear(options.hiddenDim, options.projectedDim, { rng, std: 1e-2 }));
    if (options.layerNorm) this.registerModule("LayerNorm", new LayerNorm(options.projectedDim, 1e-6));
  }

  /** `[..., inputDim]` → `[..., projectedDim]`. */
  forward(x: Tensor): Tensor {
    const h = applyActivation(this.child<Linear>("dense_in").forward(x), "relu");
    const y = this.child<Linear>("dense_out").forward(h);
    return this.hasLayerNorm ? this.child<LayerNorm>("LayerNorm").forward(y) : y;
  }
}
