import { type DType, TunekitError } from "@tunekit/core";
import type { Node, OpName } from "@tunekit/core/ir";
import type { LowerContext, LowerOptions, LowerRule } from "../lower-context.js";
import { ELEMENTWISE_RULES } from "../lower-elementwise.js";
import { emitGemmBias, planGemmBias } from "../lower-fusion.js";
import { LAYOUT_RULES } from "../lower-layout.js";
import { NN_RULES } from "../lower-nn.js";
import { attrInt, ONNX_DTYPE, OnnxGraphBuilder, rawBytes } from "../onnx-builder.js";
import { OnnxDataType, type OnnxDataTypeCode } from "../onnx-model.js";
import { DimBuilder } from "./dim-builder.js";
import { emitIndexConstant } from "./index-constants.js";
import {
  formatDim,
  isConstDim,
  SYM_BATCH,
  SYM_SEQ,
  type SymDim,
  type SymbolicGraph,
  symAdd,
  symEqual,
} from "./symbolic-dims.js";

/**
 * A value crossing the boundary of an exported model: its name, ONNX element type and
 * dimensions (a number, or the name of a dynamic axis such as `"batch_size"`).
 *
 * @example
 * ```ts
 * const io: ExportIO = { name: "input_ids", dtype: "int64", dims: ["batch_size", "sequence_length"] };
 * ```
 */
export interface ExportIO {
  readonly name: string;
  readonly dtype: "int64" | "float32" | "bool";
  readonly dims: readonly (number | string)[];
}

/**
 * Names of the two dynamic axes in the exported model (Hugging Face's by default).
 *
 * @example
 * ```ts
 * const axes: DynamicAxisNames = { batch: "batch_size", seq: "sequence_length" };
 * ```
 */
export interface DynamicAxisNames {
  readonly batch: string;
  readonly seq: string;
}

/** `batch_size` and `sequence_length`, the names Optimum's exports use. @example `DEFAULT_AXIS_NAMES.seq; // "sequence_length"` */
export const DEFAULT_AXIS_NAMES: DynamicAxisNames = { batch: "batch_size", seq: "sequence_length" };

/**
 * An IR graph with symbolic sizes lowered to an ONNX graph with dynamic axes, before
 * serialisation (so a pass such as weight quantisation can still rewrite it).
 *
 * @example
 * ```ts
 * const lowered = lowerSymbolic(sym);
 * const bytes = lowered.builder.toBytes();
 * ```
 */
export interface SymbolicLowering {
  readonly builder: OnnxGraphBuilder;
  readonly inputs: readonly ExportIO[];
  readonly outputs: readonly ExportIO[];
}

type LeafOp = "input" | "param";
const RULES = { ...ELEMENTWISE_RULES, ...LAYOUT_RULES, ...NN_RULES } as {
  readonly [K in Exclude<OpName, LeafOp>]: LowerRule<K>;
};
/** Inference lowering never samples masks: dropout must be off in the traced forward. */
const OPTIONS: LowerOptions = { dropout: "seeded", dropoutSeed: 0 };
/** Ops whose default lowering reads static sizes beyond ranks: refused when a size is symbolic. */
const STATIC_ONLY: ReadonlySet<OpName> = new Set([
  "scatterAdd",
  "crossEntropy",
  "linearCrossEntropy",
  "oneHot",
]);

/** The ONNX element type an IR dtype is exposed as: int32 ids are int64 at the boundary (Hugging Face's). */
const boundaryDType = (d: DType): ExportIO["dtype"] => (d === "int32" ? "int64" : d);
const BOUNDARY_CODE: Record<ExportIO["dtype"], OnnxDataTypeCode> = {
  int64: OnnxDataType.INT64,
  float32: OnnxDataType.FLOAT,
  bool: OnnxDataType.BOOL,
};

function boundaryDims(shape: readonly SymDim[], names: DynamicAxisNames): (number | string)[] {
  return shape.map((d) => (isConstDim(d) ? d[0] : formatDim(d, names.batch, names.seq)));
}

/**
 * Lowers a {@link SymbolicGraph} (the live part for its outputs) to an ONNX graph whose
 * sizes are computed at run time: `Shape` of an input gives `B` and `S`, and every reshape,
 * broadcast, slice, pad and fill whose size depends on them gets its size vector from
 * `Mul`/`Add`/`Concat` of those. Parameters become initializers named as the parameters;
 * int32 inputs are declared int64 (Hugging Face's `input_ids`, `attention_mask`, …) and cast
 * once. Inputs the outputs do not need are left out. Dropout in the graph is refused (export
 * the inference forward); so are sizes that the lowering of an op would need statically.
 *
 * @example
 * ```ts
 * const { builder, inputs, outputs } = lowerSymbolic(traceSymbolic(traceFn));
 * await writeFile("model.onnx", builder.toBytes());
 * ```
 */
export function lowerSymbolic(
  sym: SymbolicGraph,
  names: DynamicAxisNames = DEFAULT_AXIS_NAMES,
): SymbolicLowering {
  const { graph, shapes } = sym;
  const outputIds = [...graph.outputs.values()];
  const live = graph.liveNodes(outputIds);
  const b = new OnnxGraphBuilder();
  const sources: { batch?: [string, number]; seq?: [string, number] } = {};
  for (const id of live) {
    const node = graph.nodes[id]!;
    if (node.op !== "input") continue;
    shapes[id]!.forEach((d, axis) => {
      const name = (node.attrs as { name: string }).name;
      if (symEqual(d, SYM_BATCH)) sources.batch ??= [name, axis];
      if (symEqual(d, SYM_SEQ)) sources.seq ??= [name, axis];
    });
  }
  const dims = new DimBuilder(b, sources);
  const values = new Map<number, string>();
  const inputs: ExportIO[] = [];
  const gemm = planGemmBias(graph, live, outputIds);
  for (const id of live) {
    const node = graph.nodes[id]!;
    const where = `node ${id} (${node.op})`;
    if (gemm.matmuls.has(id)) continue;
    const fused = gemm.adds.get(id);
    if (fused) {
      const mm = graph.nodes[fused.matmul]!;
      const [a, w] = mm.inputs.map((i) => values.get(i)!) as [string, string];
      values.set(id, emitGemmBias(b, mm, a, w, values.get(fused.bias)!));
      continue;
    }
    if (node.op === "input") {
      const name = (node.attrs as { name: string }).name;
      const io: ExportIO = {
        name,
        dtype: boundaryDType(node.dtype),
        dims: boundaryDims(shapes[id]!, names),
      };
      inputs.push(io);
      b.inputs.push(valueInfo(io));
      values.set(
        id,
        node.dtype === "int32" ? b.node("Cast", [name], [attrInt("to", ONNX_DTYPE.int32)]) : name,
      );
      continue;
    }
    if (node.op === "param") {
      const name = (node.attrs as { name: string }).name;
      const p = graph.parameters.get(name)!;
      values.set(id, b.initializer(ONNX_DTYPE[node.dtype], node.shape, rawBytes(p.value.data), name));
      continue;
    }
    if (node.op === "dropoutMask") {
      throw new TunekitError(
        "GRAPH_INVALID",
        `${where}: the traced forward samples dropout; export traces the inference forward (training off)`,
      );
    }
    const ins = node.inputs.map((i) => values.get(i)!);
    const symbolic = [id, ...node.inputs].some((i) => !shapes[i]!.every(isConstDim));
    const v = symbolic ? lowerSized(b, dims, sym, node, ins) : undefined;
    if (v !== undefined) {
      values.set(id, v);
      continue;
    }
    if (symbolic && STATIC_ONLY.has(node.op)) {
      throw new TunekitError(
        "NOT_IMPLEMENTED",
        `${where}: ${node.op} on sizes that depend on the batch size or sequence length cannot be exported with dynamic axes; trace the inference forward without labels`,
      );
    }
    const rule = RULES[node.op as Exclude<OpName, LeafOp>] as LowerRule;
    const ctx: LowerContext = {
      b,
      node,
      ins,
      inNodes: node.inputs.map((i) => graph.nodes[i]!),
      options: OPTIONS,
    };
    values.set(id, rule(ctx));
  }
  const outputs: ExportIO[] = [];
  for (const [name, id] of graph.outputs) {
    const node = graph.nodes[id]!;
    const io: ExportIO = {
      name,
      dtype: boundaryDType(node.dtype),
      dims: boundaryDims(shapes[id]!, names),
    };
    let v = values.get(id)!;
    if (node.dtype === "int32") v = b.node("Cast", [v], [attrInt("to", OnnxDataType.INT64)]);
    b.output(v, name, node.dtype === "int32" ? "float32" : node.dtype, []);
    b.outputs[b.outputs.length - 1] = valueInfo(io);
    outputs.push(io);
  }
  return { builder: b, inputs, outputs };
}

function valueInfo(io: ExportIO): {
  name: string;
  dataType: OnnxDataTypeCode;
  dims: number[];
  dimParams: (string | undefined)[];
} {
  return {
    name: io.name,
    dataType: BOUNDARY_CODE[io.dtype],
    dims: io.dims.map((d) => (typeof d === "number" ? d : 0)),
    dimParams: io.dims.map((d) => (typeof d === "string" ? d : undefined)),
  };
}

/** Lowering of the ops whose sizes are attributes or the node's shape, with run-time sizes. */
function lowerSized(
  b: OnnxGraphBuilder,
  dims: DimBuilder,
  sym: SymbolicGraph,
  node: Node,
  ins: readonly string[],
): string | undefined {
  const attrs = sym.sizeAttrs.get(node.id);
  const shape = sym.shapes[node.id]!;
  switch (node.op) {
    case "reshape":
      return b.node("Reshape", [ins[0]!, dims.list(attrs!.shape!)]);
    case "broadcastTo":
      return b.node("Expand", [ins[0]!, dims.list(attrs!.shape!)]);
    case "slice": {
      const inShape = sym.shapes[node.inputs[0]!]!;
      const begin = attrs!.begin!;
      const size = attrs!.size!;
      const axes: number[] = [];
      const starts: SymDim[] = [];
      const ends: SymDim[] = [];
      begin.forEach((s, i) => {
        if (isConstDim(s) && s[0] === 0 && symEqual(size[i]!, inShape[i]!)) return;
        axes.push(i);
        starts.push(s);
        ends.push(symAdd(s, size[i]!));
      });
      if (axes.length === 0) return b.node("Identity", [ins[0]!]);
      return b.node("Slice", [ins[0]!, dims.list(starts), dims.list(ends), b.int64s(axes)]);
    }
    case "pad": {
      const pads = [...attrs!.before!, ...attrs!.after!];
      if (pads.every((d) => isConstDim(d) && d[0] === 0)) return b.node("Identity", [ins[0]!]);
      return b.node("Pad", [ins[0]!, dims.list(pads)]);
    }
    case "fill":
      if (shape.every(isConstDim)) return undefined;
      return emitIndexConstant(
        b,
        dims,
        { kind: "uniform", value: (node.attrs as { value: number }).value },
        shape,
        node.dtype,
      );
    case "constant": {
      const pattern = sym.indexConstants.get(node.id);
      return pattern === undefined ? undefined : emitIndexConstant(b, dims, pattern, shape, node.dtype);
    }
    default:
      return undefined;
  }
}
