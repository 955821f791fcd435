import { type DType, TunekitError } from "@tunekit/core";
import {
  encodeOnnxModel,
  type OnnxAttribute,
  OnnxDataType,
  type OnnxDataTypeCode,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./onnx-model.js";

/**
 * The ONNX opset this backend emits: 18 takes reduction axes as an input for every
 * `Reduce*` op (one convention for all), has `LayerNormalization` (17) and `ScatterND` with
 * `reduction="add"` (16).
 *
 * @example
 * ```ts
 * const model: OnnxModel = { opset: ONNX_OPSET, graph: { name: "step", nodes, initializers, inputs, outputs } };
 * ```
 */
export const ONNX_OPSET = 18;

/** ONNX element type of each IR dtype. */
export const ONNX_DTYPE: Record<DType, OnnxDataTypeCode> = {
  float32: OnnxDataType.FLOAT,
  int32: OnnxDataType.INT32,
  bool: OnnxDataType.BOOL,
};

/** Attribute helpers (ONNX distinguishes int and float attributes). @example `attrInt("axis", 1)` */
export const attrInt = (name: string, i: number): OnnxAttribute => ({ name, i });
/** A float attribute. @example `attrFloat("epsilon", 1e-12)` */
export const attrFloat = (name: string, f: number): OnnxAttribute => ({ name, f });
/** An ints attribute. @example `attrInts("perm", [1, 0])` */
export const attrInts = (name: string, ints: readonly number[]): OnnxAttribute => ({ name, ints });
/** A string attribute. @example `attrString("reduction", "add")` */
export const attrString = (name: string, s: string): OnnxAttribute => ({ name, s });
/** A tensor attribute. @example `attrTensor("value", t)` */
export const attrTensor = (name: string, t: OnnxTensor): OnnxAttribute => ({ name, t });

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Little-endian bytes of a typed array, as `raw_data` wants them (a view, no copy, on
 * little-endian hosts).
 *
 * @example
 * ```ts
 * rawBytes(new Float32Array([1, 2])); // 8 bytes
 * ```
 */
export function rawBytes(data: Float32Array | Int32Array | Uint8Array | BigInt64Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (!LITTLE_ENDIAN) {
    throw new TunekitError(
      "BACKEND_UNAVAILABLE",
      "backend-onnx writes tensor bytes in host order and needs a little-endian host",
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Accumulates the nodes, initializers, inputs and outputs of one ONNX graph, with fresh
 * value names and de-duplicated small constants (int64 shape/axes vectors, scalars).
 *
 * @example
 * ```ts
 * const b = new OnnxGraphBuilder();
 * const y = b.node("Relu", [b.input("x", "float32", [2])]);
 * b.output(y, "y", "float32", [2]);
 * const bytes = b.toBytes();
 * ```
 */
export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();
  /** Node index producing each generated value. */
  private readonly producers = new Map<string, number>();
  /** Generated values renamed to a graph output: old name → output name. */
  private readonly exposed = new Map<string, string>();

  /** A new unique value name; generated names start with `/`, which keeps them apart from IR names. */
  fresh(hint = "t"): string {
    return `/${hint}_${this.counter++}`;
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, dims: readonly number[]): string {
    this.inputs.push({ name, dataType: ONNX_DTYPE[dtype], dims: [...dims] });
    return name;
  }

  /**
   * Declares a graph output named `name` holding `value`. When `value` is a generated node
   * output not yet exposed, that node's output is renamed to `name` (no copy); otherwise
   * (an input, an initializer, a value already exposed under another name) an `Identity`
   * produces it. Call after every node is added: later nodes must not name `value`.
   */
  output(value: string, name: string, dtype: DType, dims: readonly number[]): void {
    const producer = this.producers.get(value);
    if (producer !== undefined && value.startsWith("/") && !this.exposed.has(value) && value !== name) {
      const node = this.nodes[producer]!;
      this.nodes[producer] = { ...node, outputs: node.outputs.map((o) => (o === value ? name : o)) };
      for (let i = 0; i < this.nodes.length; i++) {
        const n = this.nodes[i]!;
        if (n.inputs.includes(value)) {
          this.nodes[i] = { ...n, inputs: n.inputs.map((v) => (v === value ? name : v)) };
        }
      }
      this.producers.delete(value);
      this.producers.set(name, producer);
      this.exposed.set(value, name);
    } else {
      const source = this.exposed.get(value) ?? value;
      this.nodes.push({ opType: "Identity", inputs: [source], outputs: [name], attributes: [] });
    }
    this.outputs.push({ name, dataType: ONNX_DTYPE[dtype], dims: [...dims] });
  }

  /** Appends a node with one output and returns the output's name. */
  node(opType: string, inputs: readonly string[], attributes: readonly OnnxAttribute[] = []): string {
    const out = this.fresh(opType);
    this.producers.set(out, this.nodes.length);
    this.nodes.push({ opType, inputs: [...inputs], outputs: [out], attributes });
    return out;
  }

  /** Appends a node with `count` outputs and returns their names. */
  nodeMulti(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: readonly OnnxAttribute[] = [],
  ): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(opType));
    for (const o of outs) this.producers.set(o, this.nodes.length);
    this.nodes.push({ opType, inputs: [...inputs], outputs: outs, attributes });
    return outs;
  }

  /** Adds an initializer (a tensor stored in the model) and returns its name. */
  initializer(
    dataType: OnnxDataTypeCode,
    dims: readonly number[],
    raw: Uint8Array,
    name = this.fresh("init"),
  ): string {
    this.initializers.push({ name, dataType, dims: [...dims], raw });
    return name;
  }

  /** A 1-D int64 initializer (shapes, axes, starts …), shared between uses. */
  int64s(values: readonly number[]): string {
    const key = `i64:${values.join(",")}`;
    let name = this.constCache.get(key);
    if (name === undefined) {
      const raw = rawBytes(BigInt64Array.from(values.map((v) => BigInt(v))));
      name = this.initializer(OnnxDataType.INT64, [values.length], raw, this.fresh("i64"));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A scalar initializer of an IR dtype, shared between uses. */
  scalar(dtype: DType, value: number): string {
    const key = `${dtype}:${Object.is(value, -0) ? "-0" : String(value)}`;
    let name = this.constCache.get(key);
    if (name === undefined) {
      const data =
        dtype === "float32"
          ? Float32Array.of(value)
          : dtype === "int32"
            ? Int32Array.of(value)
            : Uint8Array.of(value ? 1 : 0);
      name = this.initializer(ONNX_DTYPE[dtype], [], rawBytes(data), this.fresh("scalar"));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** Serialises the graph as a model of {@link ONNX_OPSET}. */
  toBytes(graphName = "tunekit"): Uint8Array {
    return encodeOnnxModel({
      opset: ONNX_OPSET,
      graph: {
        name: graphName,
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: this.inputs,
        outputs: this.outputs,
      },
    });
  }
}
