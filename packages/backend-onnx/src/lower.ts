import { type DType, type HostTensor, TunekitError } from "@tunekit/core";
import { checkHostTensor, type Graph, type OpName } from "@tunekit/core/ir";
import type { LowerContext, LowerOptions, LowerRule } from "./lower-context.js";
import { ELEMENTWISE_RULES } from "./lower-elementwise.js";
import {
  emitGemmBias,
  emitSoftmaxMinusOneHot,
  planGemmBias,
  planScatterAddInto,
  planSoftmaxMinusOneHot,
} from "./lower-fusion.js";
import { emitScatterRows, LAYOUT_RULES } from "./lower-layout.js";
import { NN_RULES } from "./lower-nn.js";
import { ONNX_DTYPE, OnnxGraphBuilder, rawBytes } from "./onnx-builder.js";

type LeafOp = "input" | "param";

/** One rule per non-leaf op: a missing op is a compile error here. */
const RULES: { readonly [K in Exclude<OpName, LeafOp>]: LowerRule<K> } = {
  ...(ELEMENTWISE_RULES as Required<typeof ELEMENTWISE_RULES>),
  ...(LAYOUT_RULES as Required<typeof LAYOUT_RULES>),
  ...(NN_RULES as Required<typeof NN_RULES>),
};

/**
 * A value crossing the model boundary: the IR name, the ONNX name it has in the model,
 * and its static shape and dtype.
 *
 * @example
 * ```ts
 * const io: ModelIO = { name: "x", onnxName: "x", shape: [2, 3], dtype: "float32" };
 * ```
 */
export interface ModelIO {
  readonly name: string;
  readonly onnxName: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * An IR graph lowered to one ONNX model.
 *
 * @example
 * ```ts
 * const m = lowerGraph(graph);
 * const session = await ort.InferenceSession.create(m.bytes);
 * ```
 */
export interface LoweredModel {
  readonly bytes: Uint8Array;
  /** Run-time inputs and unbound parameters the outputs need, in graph order. */
  readonly inputs: readonly ModelIO[];
  /**
   * Bound constants of at least `feedConstantsFrom` bytes: graph inputs of the model, fed on
   * every run from the bound value itself (see {@link lowerGraph}), in graph order.
   */
  readonly constantInputs: readonly ModelIO[];
  /** Requested outputs, in request order. */
  readonly outputs: readonly ModelIO[];
  /** Every input and parameter name of the IR graph (fed or not) with its declaration. */
  readonly declared: ReadonlyMap<string, { readonly shape: readonly number[]; readonly dtype: DType }>;
  /** Number of ONNX nodes emitted. */
  readonly onnxNodeCount: number;
}

const DEFAULT_LOWER_OPTIONS: LowerOptions = { dropout: "seeded", dropoutSeed: 0x7a3c };

/** ONNX names are free-form; generated ones start with `/`, so IR names that do too are renamed. */
const safeName = (name: string, fallback: string): string => (name.startsWith("/") ? fallback : name);

/**
 * Lowers the live part of `graph` (the nodes the requested outputs need) to an ONNX model
 * of the default domain. Values bound in `constants` (frozen weights, fixed inputs) become
 * initializers; every other live input and parameter becomes a graph input. With
 * `feedConstantsFrom`, bound values of at least that many bytes become graph inputs instead
 * (listed in `constantInputs`): the model then holds no copy of them, and the caller feeds
 * the bound value on every run (onnxruntime reads a fed CPU tensor in place).
 *
 * @example
 * ```ts
 * const { bytes, inputs } = lowerGraph(graph, { constants: { "bert.embeddings.word_embeddings.weight": w } });
 * ```
 */
export function lowerGraph(
  graph: Graph,
  opts: {
    readonly constants?: Readonly<Record<string, HostTensor>>;
    readonly outputs?: readonly string[];
    readonly lower?: Partial<LowerOptions>;
    readonly feedConstantsFrom?: number;
  } = {},
): LoweredModel {
  const options: LowerOptions = { ...DEFAULT_LOWER_OPTIONS, ...opts.lower };
  const declared = new Map<string, { shape: readonly number[]; dtype: DType }>();
  for (const [name, id] of [...graph.inputs, ...graph.params]) {
    const n = graph.nodes[id]!;
    declared.set(name, { shape: n.shape, dtype: n.dtype });
  }
  const constants = opts.constants ?? {};
  for (const [name, value] of Object.entries(constants)) {
    const decl = declared.get(name);
    if (!decl) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `constant "${name}" is not an input or parameter of the graph; known names: ${[...declared.keys()].join(", ") || "(none)"}`,
      );
    }
    checkHostTensor("constant", name, value, decl);
  }
  const outputNames = opts.outputs ?? [...graph.outputs.keys()];
  const outputIds = outputNames.map((name) => {
    const id = graph.outputs.get(name);
    if (id === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `output "${name}" is not an output of the graph; known outputs: ${[...graph.outputs.keys()].join(", ") || "(none)"}`,
      );
    }
    return id;
  });

  const b = new OnnxGraphBuilder();
  const values = new Map<number, string>();
  const inputs: ModelIO[] = [];
  const constantInputs: ModelIO[] = [];
  const feedFrom = opts.feedConstantsFrom ?? Number.POSITIVE_INFINITY;
  const live = graph.liveNodes(outputIds);
  const boundIds = new Set<number>();
  const scatterInto = planScatterAddInto(graph, live, outputIds);
  const gemmBias = planGemmBias(graph, live, outputIds, new Set(scatterInto.adds.keys()));
  const crossEntropyGrads = planSoftmaxMinusOneHot(graph, live, outputIds);
  for (const id of live) {
    const node = graph.nodes[id]!;
    if (gemmBias.matmuls.has(id)) continue; // emitted by its bias add
    if (scatterInto.scatters.has(id)) continue; // emitted by its add
    const into = scatterInto.adds.get(id);
    if (into) {
      const scatter = graph.nodes[into.scatter]!;
      const [indices, updates] = scatter.inputs as [number, number];
      values.set(
        id,
        emitScatterRows(
          b,
          values.get(into.base)!,
          values.get(indices)!,
          graph.nodes[indices]!.shape,
          values.get(updates)!,
          node.dtype,
          node.shape,
          true,
          options.provider,
        ),
      );
      continue;
    }
    if (crossEntropyGrads.oneHots.has(id)) continue; // folded into its softmax − one-hot
    const ceGrad = crossEntropyGrads.subs.get(id);
    if (ceGrad) {
      const labels = graph.nodes[ceGrad.oneHot]!.inputs[0]!;
      const classes = node.shape[1]!;
      values.set(id, emitSoftmaxMinusOneHot(b, values.get(ceGrad.softmax)!, values.get(labels)!, classes));
      continue;
    }
    const fused = gemmBias.adds.get(id);
    if (fused) {
      const mm = graph.nodes[fused.matmul]!;
      const [a, w] = mm.inputs.map((i) => values.get(i)!) as [string, string];
      values.set(id, emitGemmBias(b, mm, a, w, values.get(fused.bias)!));
      continue;
    }
    if (node.op === "input" || node.op === "param") {
      const name = (node.attrs as { name: string }).name;
      const bound = constants[name];
      if (bound) boundIds.add(id);
      if (bound && bound.data.byteLength >= feedFrom) {
        const onnxName = safeName(name, `/in/c${constantInputs.length}`);
        constantInputs.push({ name, onnxName, shape: node.shape, dtype: node.dtype });
        values.set(id, b.input(onnxName, node.dtype, node.shape));
      } else if (bound) {
        values.set(
          id,
          b.initializer(
            ONNX_DTYPE[node.dtype],
            node.shape,
            rawBytes(bound.data),
            safeName(name, b.fresh("const")),
          ),
        );
      } else {
        const onnxName = safeName(name, `/in/${inputs.length}`);
        inputs.push({ name, onnxName, shape: node.shape, dtype: node.dtype });
        values.set(id, b.input(onnxName, node.dtype, node.shape));
      }
      continue;
    }
    const rule = RULES[node.op as Exclude<OpName, LeafOp>] as LowerRule;
    const ctx: LowerContext = {
      b,
      node,
      ins: node.inputs.map((i) => values.get(i)!),
      inNodes: node.inputs.map((i) => graph.nodes[i]!),
      options,
      bound: boundIds,
    };
    values.set(id, rule(ctx));
  }

  const reserved = new Set(declared.keys());
  const outputs: ModelIO[] = outputNames.map((name, k) => {
    const node = graph.nodes[outputIds[k]!]!;
    const onnxName = name.startsWith("/") || reserved.has(name) ? `/out/${k}` : name;
    reserved.add(onnxName);
    b.output(values.get(node.id)!, onnxName, node.dtype, node.shape);
    return { name, onnxName, shape: node.shape, dtype: node.dtype };
  });
  return {
    bytes: b.toBytes(),
    inputs,
    constantInputs,
    outputs,
    declared,
    onnxNodeCount: b.nodes.length,
  };
}
