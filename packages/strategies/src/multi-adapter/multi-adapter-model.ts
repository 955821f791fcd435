import { type HostTensor, hostTensor, Linear, type Module, type Tensor, TunekitError } from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { cloneModuleTree } from "@tunekit/core/models";
import { LoraLinear } from "../lora/lora-linear.js";
import { adapterRecordOf } from "../peft/adapter-record.js";
import { type LoadAdapterOptions, loadAdapter } from "../peft/load-adapter.js";
import {
  type AdapterForwardContext,
  type AdapterRouting,
  MultiHeadLinear,
  MultiLoraLinear,
} from "./multi-lora-layers.js";

/**
 * Several LoRA adapters on one base model. `model` is a structural copy of the base whose
 * adapted Linear modules are {@link MultiLoraLinear}s and whose saved heads are
 * {@link MultiHeadLinear}s (frozen; paths as PEFT keeps several adapters in memory:
 * `…query.lora_A.<name>.weight`, `classifier.modules_to_save.<name>.weight`). Run one
 * adapter for the whole batch with {@link MultiAdapterModel.setActiveAdapter}, or a
 * different adapter per row with an int32 `adapterIndex` in the forward context
 * ({@link MultiAdapterModel.mixedContext}, {@link traceMixedForward}).
 *
 * @example
 * ```ts
 * const multi = await loadAdapters(base, { sst2: "./sst2-lora", mrpc: "./mrpc-lora" });
 * multi.setActiveAdapter("mrpc");
 * const { graph } = traceMixedForward(multi, { batchSize: 8, seqLength: 128 }); // per-row adapters
 * ```
 */
export class MultiAdapterModel<M extends Module> {
  private readonly routing: AdapterRouting;

  private constructor(
    readonly model: M,
    routing: AdapterRouting,
  ) {
    this.routing = routing;
  }

  /**
   * Combines models returned by `lora(...).apply(base)` / `loadAdapter(base, dir)` (same
   * base) under the given names. LoRA and rsLoRA only: DoRA adapters are refused
   * (`NOT_IMPLEMENTED`: their per-row weight norms are not grouped yet).
   */
  static fromAdapted<M extends Module>(
    base: M,
    adapted: Readonly<Record<string, Module>>,
  ): MultiAdapterModel<M> {
    const names = Object.keys(adapted);
    if (names.length === 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        "MultiAdapterModel: give at least one adapter as { name: model }",
      );
    }
    const routing: AdapterRouting = { names, active: names[0] };
    const model = cloneModuleTree(base);
    for (const p of model.parameters()) p.trainable = false;
    for (const name of names) {
      const one = adapted[name]!;
      const record = adapterRecordOf(one);
      if (record?.peftType !== "LORA") {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `adapter "${name}" is ${record ? `a ${record.peftType} adapter` : "not an adapted model"}; MultiAdapterModel combines LoRA adapters (lora().apply or loadAdapter)`,
        );
      }
      if (record.config.use_dora === true) {
        throw new TunekitError(
          "NOT_IMPLEMENTED",
          `adapter "${name}" uses DoRA; multi-adapter batches support LoRA and rsLoRA`,
        );
      }
      for (const [path, m] of one.namedModules()) {
        if (!(m instanceof LoraLinear)) continue;
        const layer = wrapOnce(model, path, (l) => new MultiLoraLinear(l, routing), MultiLoraLinear);
        layer.addAdapter(name, m.loraA.value, m.loraB.value, m.scale);
      }
      const heads = new Set(
        record.parameterPaths.filter((p) => !/\.lora_/.test(p)).map((p) => p.slice(0, p.lastIndexOf("."))),
      );
      for (const path of heads) {
        const src = one.getSubmodule(path);
        if (!(src instanceof Linear)) {
          throw new TunekitError(
            "NOT_IMPLEMENTED",
            `adapter "${name}": saved module ${path} is a ${src.constructor.name}; only Linear heads are supported`,
          );
        }
        const head = wrapOnce(model, path, (l) => new MultiHeadLinear(l, routing), MultiHeadLinear);
        head.addAdapter(name, src.weight.value, src.bias?.value);
      }
    }
    return new MultiAdapterModel(model, routing);
  }

  /** Adapter names, in index order (row `i` of `adapterIndex` picks `adapterNames[value]`). */
  get adapterNames(): readonly string[] {
    return this.routing.names;
  }

  /** The adapter used without `adapterIndex` (undefined: the base model alone). */
  get activeAdapter(): string | undefined {
    return this.routing.active;
  }

  /** Selects the adapter for whole-batch forwards; `undefined` runs the base model. */
  setActiveAdapter(name: string | undefined): void {
    if (name !== undefined && !this.routing.names.includes(name)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `no adapter "${name}"; loaded adapters: ${this.routing.names.join(", ")}`,
      );
    }
    this.routing.active = name;
  }

  /** The int32 `[B]` adapter-index feed for rows using adapters `rowAdapters`. */
  adapterIndex(rowAdapters: readonly string[]): HostTensor<"int32"> {
    const idx = rowAdapters.map((n) => {
      const i = this.routing.names.indexOf(n);
      if (i < 0)
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `no adapter "${n}"; loaded adapters: ${this.routing.names.join(", ")}`,
        );
      return i;
    });
    return hostTensor("int32", [idx.length], Int32Array.from(idx));
  }

  /** A forward context routing each row by the int32 `[B]` tensor `adapterIndex`. */
  mixedContext(adapterIndex: Tensor, training = false): AdapterForwardContext {
    return { training, adapterIndex };
  }
}

function wrapOnce<W extends Module>(
  model: Module,
  path: string,
  make: (l: Linear) => W,
  cls: abstract new (...args: never[]) => W,
): W {
  const current = model.getSubmodule(path);
  if (current instanceof cls) return current as W;
  if (!(current instanceof Linear)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `MultiAdapterModel: ${path} is a ${current.constructor.name} in the base model, expected a Linear`,
    );
  }
  const w = make(current);
  model.setSubmodule(path, w);
  return w;
}

/**
 * Loads several PEFT LoRA adapter folders onto one base model under names.
 *
 * @example
 * ```ts
 * const multi = await loadAdapters(base, { sst2: "./sst2-lora", mrpc: "./mrpc-lora" });
 * ```
 */
export async function loadAdapters<M extends Module>(
  base: M,
  dirs: Readonly<Record<string, string>>,
  options: LoadAdapterOptions = {},
): Promise<MultiAdapterModel<M>> {
  const adapted: Record<string, Module> = {};
  for (const [name, dir] of Object.entries(dirs)) adapted[name] = await loadAdapter(base, dir, options);
  return MultiAdapterModel.fromAdapted(base, adapted);
}

/**
 * Traces a BERT head's forward pass with one adapter per row: inputs `input_ids`,
 * `attention_mask`, `token_type_ids` (int32 `[B, S]`) and `adapter_index` (int32 `[B]`),
 * output `logits`.
 *
 * @example
 * ```ts
 * const { graph } = traceMixedForward(multi, { batchSize: 4, seqLength: 16 });
 * const exe = await backend.compile(graph, { constants: stateDict(multi.model) });
 * await exe.run({ ...batch, adapter_index: multi.adapterIndex(["a", "b", "a", "b"]) });
 * ```
 */
export function traceMixedForward(
  multi: MultiAdapterModel<
    Module & { forward(inputs: never, ctx: AdapterForwardContext): { logits: Tensor } }
  >,
  shapes: { readonly batchSize: number; readonly seqLength: number },
): { graph: Graph; outputs: { logits: Tensor } } {
  const g = new Graph();
  const { batchSize: b, seqLength: s } = shapes;
  const inputs = {
    inputIds: g.input("input_ids", "int32", [b, s]),
    attentionMask: g.input("attention_mask", "int32", [b, s]),
    tokenTypeIds: g.input("token_type_ids", "int32", [b, s]),
  };
  const ctx = multi.mixedContext(g.input("adapter_index", "int32", [b]));
  const { logits } = multi.model.forward(inputs as never, ctx);
  g.output("logits", logits);
  return { graph: g, outputs: { logits } };
}
