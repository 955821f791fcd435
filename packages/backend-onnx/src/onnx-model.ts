import { ProtoMessage } from "./protobuf.js";

/**
 * ONNX tensor element types (`TensorProto.DataType`) used by this backend.
 *
 * @example
 * ```ts
 * const t = OnnxDataType.FLOAT; // 1
 * ```
 */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  UINT32: 12,
} as const;

/**
 * A value of {@link OnnxDataType}: the element type code of an ONNX tensor or value.
 *
 * @example
 * ```ts
 * const code: OnnxDataTypeCode = OnnxDataType.FLOAT; // 1
 * ```
 */
export type OnnxDataTypeCode = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/**
 * A tensor literal (`TensorProto`) stored as little-endian `raw_data`.
 *
 * @example
 * ```ts
 * const t: OnnxTensor = { name: "w", dataType: OnnxDataType.FLOAT, dims: [2], raw: new Uint8Array(8) };
 * ```
 */
export interface OnnxTensor {
  readonly name: string;
  readonly dataType: OnnxDataTypeCode;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

/**
 * A node attribute (`AttributeProto`); the variant is chosen by which field is set.
 *
 * @example
 * ```ts
 * const a: OnnxAttribute = { name: "perm", ints: [1, 0] };
 * ```
 */
export type OnnxAttribute =
  | { readonly name: string; readonly f: number }
  | { readonly name: string; readonly i: number }
  | { readonly name: string; readonly s: string }
  | { readonly name: string; readonly t: OnnxTensor }
  | { readonly name: string; readonly floats: readonly number[] }
  | { readonly name: string; readonly ints: readonly number[] };

/**
 * One operator application (`NodeProto`) of the default `ai.onnx` domain.
 *
 * @example
 * ```ts
 * const n: OnnxNode = { opType: "Add", inputs: ["a", "b"], outputs: ["c"], attributes: [] };
 * ```
 */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
  readonly name?: string;
}

/**
 * A typed graph input or output (`ValueInfoProto` with a static tensor type).
 *
 * @example
 * ```ts
 * const v: OnnxValueInfo = { name: "x", dataType: OnnxDataType.FLOAT, dims: [2, 3] };
 * ```
 */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dataType: OnnxDataTypeCode;
  readonly dims: readonly number[];
  /**
   * Symbolic names of dynamic dimensions (`dim_param`, e.g. `"batch_size"`), by position; a
   * position with a name is written without its number in `dims`.
   */
  readonly dimParams?: readonly (string | undefined)[];
}

/**
 * A whole model: one graph plus the opset it targets.
 *
 * @example
 * ```ts
 * const bytes = encodeOnnxModel({ opset: 18, graph: { name: "g", nodes, initializers: [], inputs, outputs } });
 * ```
 */
export interface OnnxModel {
  readonly opset: number;
  readonly graph: {
    readonly name: string;
    readonly nodes: readonly OnnxNode[];
    readonly initializers: readonly OnnxTensor[];
    readonly inputs: readonly OnnxValueInfo[];
    readonly outputs: readonly OnnxValueInfo[];
  };
  readonly producerName?: string;
}

// Field numbers from onnx/onnx.proto (proto2 syntax, stable since IR version 3).
const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 },
  opset: { domain: 1, version: 2 },
  graph: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, type: 20 },
  tensor: { dims: 1, dataType: 2, name: 8, rawData: 9 },
  valueInfo: { name: 1, type: 2 },
  typeProto: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;

/** `AttributeProto.AttributeType`. */
const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/**
 * The IR version written into models: 8 is the version that introduced opset 18 (ONNX 1.13),
 * understood by every onnxruntime since 1.14.
 */
export const ONNX_IR_VERSION = 8;

function encodeTensor(t: OnnxTensor): ProtoMessage {
  const m = new ProtoMessage();
  if (t.dims.length > 0) m.packedInt64(F.tensor.dims, t.dims);
  m.int64(F.tensor.dataType, t.dataType);
  m.string(F.tensor.name, t.name);
  m.bytes(F.tensor.rawData, t.raw);
  return m;
}

function encodeAttribute(a: OnnxAttribute): ProtoMessage {
  const m = new ProtoMessage().string(F.attr.name, a.name);
  if ("f" in a) m.float(F.attr.f, a.f).int64(F.attr.type, ATTR_TYPE.FLOAT);
  else if ("i" in a) m.int64(F.attr.i, a.i).int64(F.attr.type, ATTR_TYPE.INT);
  else if ("s" in a) m.string(F.attr.s, a.s).int64(F.attr.type, ATTR_TYPE.STRING);
  else if ("t" in a) m.message(F.attr.t, encodeTensor(a.t)).int64(F.attr.type, ATTR_TYPE.TENSOR);
  else if ("floats" in a) m.packedFloat(F.attr.floats, a.floats).int64(F.attr.type, ATTR_TYPE.FLOATS);
  else m.packedInt64(F.attr.ints, a.ints).int64(F.attr.type, ATTR_TYPE.INTS);
  return m;
}

function encodeNode(n: OnnxNode): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of n.inputs) m.string(F.node.input, i);
  for (const o of n.outputs) m.string(F.node.output, o);
  if (n.name !== undefined) m.string(F.node.name, n.name);
  m.string(F.node.opType, n.opType);
  for (const a of n.attributes) m.message(F.node.attribute, encodeAttribute(a));
  return m;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  v.dims.forEach((d, i) => {
    const param = v.dimParams?.[i];
    const dim =
      param === undefined
        ? new ProtoMessage().int64(F.dim.value, d)
        : new ProtoMessage().string(F.dim.param, param);
    shape.message(F.shape.dim, dim);
  });
  const tensorType = new ProtoMessage()
    .int64(F.tensorType.elemType, v.dataType)
    .message(F.tensorType.shape, shape);
  const type = new ProtoMessage().message(F.typeProto.tensorType, tensorType);
  return new ProtoMessage().string(F.valueInfo.name, v.name).message(F.valueInfo.type, type);
}

/**
 * Serialises a model to ONNX protobuf bytes, ready for `InferenceSession.create(bytes)`.
 * Only the default `ai.onnx` domain is imported.
 *
 * @example
 * ```ts
 * const bytes = encodeOnnxModel(model);
 * const session = await ort.InferenceSession.create(bytes);
 * ```
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const g = new ProtoMessage();
  for (const n of model.graph.nodes) g.message(F.graph.node, encodeNode(n));
  g.string(F.graph.name, model.graph.name);
  for (const t of model.graph.initializers) g.message(F.graph.initializer, encodeTensor(t));
  for (const v of model.graph.inputs) g.message(F.graph.input, encodeValueInfo(v));
  for (const v of model.graph.outputs) g.message(F.graph.output, encodeValueInfo(v));
  const opset = new ProtoMessage().string(F.opset.domain, "").int64(F.opset.version, model.opset);
  const m = new ProtoMessage()
    .int64(F.model.irVersion, ONNX_IR_VERSION)
    .string(F.model.producerName, model.producerName ?? "tunekit")
    .string(F.model.producerVersion, "0")
    .message(F.model.graph, g)
    .message(F.model.opsetImport, opset);
  return m.toBytes();
}
