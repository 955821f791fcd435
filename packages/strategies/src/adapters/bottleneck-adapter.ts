import { LayerNorm, Linear, Module, type Tensor, TunekitError } from "@tunekit/core";
import { mul } from "@tunekit/core/ir";
import { applyActivation, filledTensor, ModuleList } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";

/**
 * Non-linearities of a bottleneck adapter (AdapterHub's `non_linearity`).
 *
 * @example
 * ```ts
 * const act: AdapterNonLinearity = "swish";
 * ```
 */
export type AdapterNonLinearity = "relu" | "gelu" | "swish" | "tanh";

/**
 * The non-linearities {@link BottleneckAdapter} accepts.
 *
 * @example
 * ```ts
 * ADAPTER_NON_LINEARITIES.includes("gelu"); // true
 * ```
 */
export const ADAPTER_NON_LINEARITIES: readonly AdapterNonLinearity[] = Object.freeze([
  "relu",
  "gelu",
  "swish",
  "tanh",
]);

/**
 * Where an adapter reads its input: `"sequential"` (Houlsby, Pfeiffer) reads the sub-layer's
 * output, `"parallel"` (He et al. 2022) reads the sub-layer's input, next to the sub-layer.
 *
 * @example
 * ```ts
 * const placement: AdapterPlacement = "parallel";
 * ```
 */
export type AdapterPlacement = "sequential" | "parallel";

/**
 * Options of {@link BottleneckAdapter}.
 *
 * @example
 * ```ts
 * const o: BottleneckAdapterOptions = { hiddenSize: 768, reductionFactor: 16, nonLinearity: "relu", scaling: 1, placement: "sequential" };
 * ```
 */
export interface BottleneckAdapterOptions {
  /** Width of the sub-layer output (the model's hidden size). */
  readonly hiddenSize: number;
  /** Bottleneck width is `floor(hiddenSize / reductionFactor)` (at least 1). */
  readonly reductionFactor: number;
  readonly nonLinearity: AdapterNonLinearity;
  /** Multiplies the adapter output (1 for Houlsby / Pfeiffer, 4 for parallel). */
  readonly scaling: number;
  readonly placement: AdapterPlacement;
  /** Std of the normal init of `adapter_down` (default 1e-2); `adapter_up` starts at zero. */
  readonly initStd?: number;
  /** Seed of the init (default 0). */
  readonly seed?: number;
  /**
   * AdapterHub's `ln_after` with `residual_before_ln: false`: a LayerNorm
   * (`adapter_norm_after`, eps 1e-5, weight 1, bias 0) on the scaled up-projection, before
   * the residual is added (default false). HyperFormer's exported adapters use it.
   */
  readonly lnAfter?: boolean;
}

/**
 * The bottleneck width of a hidden size and a reduction factor, as AdapterHub computes it.
 *
 * @example
 * ```ts
 * bottleneckSize(768, 16); // 48
 * ```
 */
export function bottleneckSize(hiddenSize: number, reductionFactor: number): number {
  if (!(reductionFactor > 0) || !Number.isFinite(reductionFactor)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `adapter reduction_factor must be a positive number, got ${reductionFactor}; e.g. 16 gives a bottleneck of hidden_size / 16`,
    );
  }
  // Validate, then build: a tiny factor (a hostile or mistyped adapter_config.json) must fail
  // here, before the adapter's [hidden, bottleneck] weights are allocated.
  if (reductionFactor < MIN_REDUCTION_FACTOR) {
    const size = Math.floor(hiddenSize / reductionFactor);
    throw new TunekitError(
      "CONFIG_INVALID",
      `adapter reduction_factor ${reductionFactor} gives a bottleneck of ${size} for hidden_size ${hiddenSize} ` +
        `(${(2 * hiddenSize * size).toExponential(2)} weights per adapter); expected reduction_factor >= ${MIN_REDUCTION_FACTOR} ` +
        `(a bottleneck at most ${1 / MIN_REDUCTION_FACTOR} x hidden_size); usual values are 2 to 64`,
      { details: { reductionFactor, hiddenSize, bottleneck: size } },
    );
  }
  return Math.max(1, Math.floor(hiddenSize / reductionFactor));
}

/**
 * Smallest `reduction_factor` an adapter may have: a bottleneck at most 8 × the hidden size.
 *
 * @example
 * ```ts
 * bottleneckSize(768, MIN_REDUCTION_FACTOR); // 6144
 * ```
 */
export const MIN_REDUCTION_FACTOR = 0.125;

/**
 * One bottleneck adapter, with AdapterHub's parameter names: `adapter_down.0` (Linear
 * hidden → bottleneck, followed by the non-linearity) and `adapter_up` (Linear bottleneck →
 * hidden). {@link BottleneckAdapter.delta} is `scaling · up(act(down(x)))` — with `lnAfter`,
 * `adapter_norm_after(scaling · up(act(down(x))))` — and the caller adds it to the residual
 * stream. `adapter_up` starts at zero, so a fresh adapter adds exactly 0 (a LayerNorm of a
 * zero vector is its bias, 0).
 *
 * @example
 * ```ts
 * const a = new BottleneckAdapter({ hiddenSize: 768, reductionFactor: 16, nonLinearity: "relu", scaling: 1, placement: "sequential" });
 * const y = add(h, a.delta(h)); // [B, S, 768]
 * ```
 */
export class BottleneckAdapter extends Module {
  readonly hiddenSize: number;
  readonly reductionFactor: number;
  readonly bottleneck: number;
  readonly nonLinearity: AdapterNonLinearity;
  readonly scaling: number;
  readonly placement: AdapterPlacement;
  readonly lnAfter: boolean;

  constructor(options: BottleneckAdapterOptions) {
    super();
    if (!ADAPTER_NON_LINEARITIES.includes(options.nonLinearity)) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `adapter non_linearity "${options.nonLinearity}" is not supported; expected one of ${ADAPTER_NON_LINEARITIES.join(", ")}`,
      );
    }
    if (!Number.isFinite(options.scaling)) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `adapter scaling must be a finite number, got ${options.scaling}`,
      );
    }
    this.hiddenSize = options.hiddenSize;
    this.reductionFactor = options.reductionFactor;
    this.bottleneck = bottleneckSize(options.hiddenSize, options.reductionFactor);
    this.nonLinearity = options.nonLinearity;
    this.scaling = options.scaling;
    this.placement = options.placement;
    const rng = mulberry32(options.seed ?? 0);
    const down = new Linear(this.hiddenSize, this.bottleneck, { rng, std: options.initStd ?? 1e-2 });
    this.registerModule("adapter_down", new ModuleList([down]));
    const up = new Linear(this.bottleneck, this.hiddenSize, { rng, std: 0 });
    up.weight.value = filledTensor([this.hiddenSize, this.bottleneck], 0);
    this.registerModule("adapter_up", up);
    this.lnAfter = options.lnAfter ?? false;
    if (this.lnAfter) this.registerModule("adapter_norm_after", new LayerNorm(this.hiddenSize, 1e-5));
  }

  /** `scaling · up(act(down(x)))` over the last axis of `x` (`[..., hidden]`), then `adapter_norm_after` when `lnAfter`. */
  delta(x: Tensor): Tensor {
    const down = this.child<ModuleList<Linear>>("adapter_down").at(0).forward(x);
    const act = this.nonLinearity === "swish" ? "silu" : this.nonLinearity;
    const up = this.child<Linear>("adapter_up").forward(applyActivation(down, act));
    const scaled = this.scaling === 1 ? up : mul(up, this.scaling);
    return this.lnAfter ? this.child<LayerNorm>("adapter_norm_after").forward(scaled) : scaled;
  }
}
