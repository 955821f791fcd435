import {
  type ForwardContext,
  type HostTensor,
  type Linear,
  Module,
  Parameter,
  type Tensor,
  TunekitError,
} from "@tunekit/core";
import { add, concat, full, gather, matmul, mul, pad, reshape } from "@tunekit/core/ir";
import { Layer } from "@tunekit/core/models";

/**
 * A forward context that routes each batch row to an adapter: `adapterIndex` is an int32
 * `[B]` tensor of indices into the model's adapter names. Without it, multi-adapter layers
 * use the active adapter.
 *
 * @example
 * ```ts
 * const ctx: AdapterForwardContext = { training: false, adapterIndex: g.input("adapter_index", "int32", [4]) };
 * ```
 */
export interface AdapterForwardContext extends ForwardContext {
  readonly adapterIndex?: Tensor;
}

/**
 * The adapter names of a multi-adapter model (index order) and the active one, shared by
 * all its multi-adapter layers.
 *
 * @example
 * ```ts
 * const routing: AdapterRouting = { names: ["sst2", "mrpc"], active: "sst2" };
 * ```
 */
export interface AdapterRouting {
  names: string[];
  active: string | undefined;
}

/**
 * A module holding one child per adapter name (PEFT's `ModuleDict`).
 *
 * @example
 * ```ts
 * const dict = new AdapterDict();
 * dict.set("sst2", new Linear(8, 4, { bias: false }));
 * ```
 */
export class AdapterDict extends Module {
  /** Adds (or replaces) the module of adapter `name`. */
  set<M extends Module>(name: string, m: M): M {
    return this.registerModule(name, m);
  }

  /** The module of adapter `name`, if any. */
  get<M extends Module>(name: string): M | undefined {
    return this.namedChildren().find(([n]) => n === name)?.[1] as M | undefined;
  }
}

function frozenLinearParameter(value: HostTensor): Parameter {
  return new Parameter("weight", value, { trainable: false });
}

function leadingBatch(
  x: Tensor,
  inFeatures: number,
): { x3: Tensor; restore: (y: Tensor, out: number) => Tensor } {
  const b = x.shape[0]!;
  const x3 = reshape(x, [b, -1, inFeatures]);
  return { x3, restore: (y, out) => reshape(y, [...x.shape.slice(0, -1), out]) };
}

function checkIndex(index: Tensor, x: Tensor): void {
  if (index.dtype !== "int32" || index.rank !== 1 || index.shape[0] !== x.shape[0]) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `adapterIndex must be int32 [${x.shape[0]}] (one adapter per batch row), got ${index.dtype}[${index.shape.join(", ")}]`,
    );
  }
}

/**
 * A `Linear` with several named LoRA adapters (PEFT's in-memory layout:
 * `lora_A.<name>.weight`, `lora_B.<name>.weight`). Runs the active adapter, or, with an
 * `adapterIndex` in the context, a different adapter per batch row in one pass: the
 * per-adapter `A` (zero-padded to the largest rank) and `scale·B` are stacked, gathered
 * per row and applied with batched matmuls. Adapters without this module contribute zero.
 *
 * @example
 * ```ts
 * const layer = new MultiLoraLinear(linear, routing);
 * layer.addAdapter("sst2", a, b, 2);
 * ```
 */
export class MultiLoraLinear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly scales = new Map<string, number>();

  constructor(
    base: Linear,
    readonly routing: AdapterRouting,
  ) {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    this.registerModule("lora_A", new AdapterDict());
    this.registerModule("lora_B", new AdapterDict());
  }

  /** Adds adapter `name` with `A [r, in]`, `B [out, r]` values and its scale. */
  addAdapter(name: string, a: HostTensor, b: HostTensor, scale: number): void {
    const ma = new AdapterHolder(frozenLinearParameter(a));
    const mb = new AdapterHolder(frozenLinearParameter(b));
    this.child<AdapterDict>("lora_A").set(name, ma);
    this.child<AdapterDict>("lora_B").set(name, mb);
    this.scales.set(name, scale);
  }

  /** Names of the adapters this layer has. */
  get adapters(): string[] {
    return [...this.scales.keys()];
  }

  private adapterParams(name: string): { a: Parameter; b: Parameter; scale: number } | undefined {
    const scale = this.scales.get(name);
    if (scale === undefined) return undefined;
    const a = this.child<AdapterDict>("lora_A").get<AdapterHolder>(name)!.weight;
    const b = this.child<AdapterDict>("lora_B").get<AdapterHolder>(name)!.weight;
    return { a, b, scale };
  }

  forward(x: Tensor, ctx?: AdapterForwardContext): Tensor {
    const g = x.graph;
    const lead = x.shape.slice(0, -1);
    const flat = reshape(x, [-1, this.inFeatures]);
    let y = matmul(flat, g.param(this.param("weight")), { transposeB: true });
    const bias = this.namedOwnParameters().find(([n]) => n === "bias")?.[1];
    if (bias) y = add(y, g.param(bias));
    y = reshape(y, [...lead, this.outFeatures]);
    const index = ctx?.adapterIndex;
    if (index) return add(y, this.mixedDelta(x, index));
    const active = this.routing.active === undefined ? undefined : this.adapterParams(this.routing.active);
    if (!active) return y;
    const h = matmul(flat, g.param(active.a), { transposeB: true });
    const d = mul(matmul(h, g.param(active.b), { transposeB: true }), active.scale);
    return add(y, reshape(d, [...lead, this.outFeatures]));
  }

  private mixedDelta(x: Tensor, index: Tensor): Tensor {
    checkIndex(index, x);
    const g = x.graph;
    const names = this.routing.names;
    const rank = Math.max(1, ...names.map((n) => this.adapterParams(n)?.a.shape[0] ?? 0));
    const aBlocks: Tensor[] = [];
    const bBlocks: Tensor[] = [];
    for (const name of names) {
      const p = this.adapterParams(name);
      if (!p) {
        aBlocks.push(zeros(g, [1, rank, this.inFeatures]));
        bBlocks.push(zeros(g, [1, this.outFeatures, rank]));
        continue;
      }
      const r = p.a.shape[0]!;
      const a = r < rank ? pad(g.param(p.a), [0, 0], [rank - r, 0]) : g.param(p.a);
      const b = mul(r < rank ? pad(g.param(p.b), [0, 0], [0, rank - r]) : g.param(p.b), p.scale);
      aBlocks.push(reshape(a, [1, rank, this.inFeatures]));
      bBlocks.push(reshape(b, [1, this.outFeatures, rank]));
    }
    const aRows = gather(concat(aBlocks, 0), index); // [B, rank, in]
    const bRows = gather(concat(bBlocks, 0), index); // [B, out, rank]
    const { x3, restore } = leadingBatch(x, this.inFeatures);
    const h = matmul(x3, aRows, { transposeB: true }); // [B, S, rank]
    return restore(matmul(h, bRows, { transposeB: true }), this.outFeatures);
  }
}

/**
 * A head `Linear` (a `modules_to_save` module such as `classifier`) with one trained copy
 * per adapter (PEFT's `modules_to_save.<name>`), selected like {@link MultiLoraLinear}:
 * the active adapter's copy, or per row with `adapterIndex` (gathered weights, batched
 * matmul). Adapters without a copy use the base weights.
 *
 * @example
 * ```ts
 * const head = new MultiHeadLinear(classifier, routing);
 * head.addAdapter("sst2", weight, bias);
 * ```
 */
export class MultiHeadLinear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(
    base: Linear,
    readonly routing: AdapterRouting,
  ) {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    this.registerModule("modules_to_save", new AdapterDict());
  }

  /** Adds adapter `name`'s copy of the head. */
  addAdapter(name: string, weight: HostTensor, bias: HostTensor | undefined): void {
    const hasBias = this.namedOwnParameters().some(([n]) => n === "bias");
    if (hasBias !== (bias !== undefined)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `adapter "${name}": head bias presence differs from the base head's`,
      );
    }
    this.child<AdapterDict>("modules_to_save").set(
      name,
      new AdapterHolder(frozenLinearParameter(weight), bias),
    );
  }

  private weightsOf(name: string | undefined): { w: Parameter; b: Parameter | undefined } {
    const own =
      name === undefined ? undefined : this.child<AdapterDict>("modules_to_save").get<AdapterHolder>(name);
    if (own) return { w: own.weight, b: own.bias };
    return { w: this.param("weight"), b: this.namedOwnParameters().find(([n]) => n === "bias")?.[1] };
  }

  forward(x: Tensor, ctx?: AdapterForwardContext): Tensor {
    const g = x.graph;
    const index = ctx?.adapterIndex;
    if (!index) {
      const { w, b } = this.weightsOf(this.routing.active);
      const flat = reshape(x, [-1, this.inFeatures]);
      let y = matmul(flat, g.param(w), { transposeB: true });
      if (b) y = add(y, g.param(b));
      return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    }
    checkIndex(index, x);
    const per = this.routing.names.map((n) => this.weightsOf(n));
    const wRows = gather(
      concat(
        per.map((p) => reshape(g.param(p.w), [1, this.outFeatures, this.inFeatures])),
        0,
      ),
      index,
    );
    const { x3, restore } = leadingBatch(x, this.inFeatures);
    let y = matmul(x3, wRows, { transposeB: true }); // [B, S, out]
    if (per[0]?.b) {
      const bRows = gather(
        concat(
          per.map((p) => reshape(g.param(p.b!), [1, this.outFeatures])),
          0,
        ),
        index,
      );
      y = add(y, reshape(bRows, [x.shape[0]!, 1, this.outFeatures]));
    }
    return restore(y, this.outFeatures);
  }
}

/** Holds one adapter's `weight` (and optional `bias`) Parameters under PEFT-like paths. */
class AdapterHolder extends Module {
  constructor(weight: Parameter, bias?: Parameter | HostTensor) {
    super();
    this.registerParameter("weight", weight);
    if (bias) {
      const p = bias instanceof Parameter ? bias : new Parameter("bias", bias, { trainable: false });
      this.registerParameter("bias", p);
    }
  }

  get weight(): Parameter {
    return this.param("weight");
  }

  get bias(): Parameter | undefined {
    return this.namedOwnParameters().find(([n]) => n === "bias")?.[1];
  }
}

function zeros(g: Tensor["graph"], shape: number[]): Tensor {
  return full(g, shape, 0);
}
