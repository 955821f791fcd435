import { attrInt, ONNX_DTYPE, type OnnxGraphBuilder, rawBytes } from "../onnx-builder.js";
import { OnnxDataType, type OnnxNode, type OnnxTensor } from "../onnx-model.js";

/**
 * What {@link quantizeMatMulWeights} changed: how many matrix products now run in int8, and
 * the stored weight bytes before and after.
 *
 * @example
 * ```ts
 * const r: QuantizeReport = { matmuls: 12, gathers: 1, floatBytes: 4_000_000, int8Bytes: 1_000_000 };
 * ```
 */
export interface QuantizeReport {
  readonly matmuls: number;
  /** Embedding lookups (`Gather` of a float table) now reading int8 rows. */
  readonly gathers: number;
  readonly floatBytes: number;
  readonly int8Bytes: number;
}

/** Weights smaller than this many elements stay float (the saving is nil, the error is not). */
const MIN_ELEMENTS = 256;

const floatView = (t: OnnxTensor): Float32Array =>
  new Float32Array(t.raw.buffer.slice(t.raw.byteOffset, t.raw.byteOffset + t.raw.byteLength));

/**
 * Symmetric per-column int8 codes of a `[K, N]` float matrix: `q = round(w / scale[n])`
 * with `scale[n] = max |w[:, n]| / 127` (1 for an all-zero column).
 */
function quantizeColumns(w: Float32Array, k: number, n: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) scale[c] = Math.max(scale[c]!, Math.abs(w[r * n + c]!));
  }
  for (let c = 0; c < n; c++) scale[c] = scale[c]! > 0 ? scale[c]! / 127 : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++)
      q[r * n + c] = Math.max(-127, Math.min(127, Math.round(w[r * n + c]! / scale[c]!)));
  }
  return { q, scale };
}

/** Symmetric per-row int8 codes of a `[V, H]` table (embedding rows): one scale per row. */
function quantizeRows(w: Float32Array, v: number, h: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(v);
  const q = new Int8Array(v * h);
  for (let r = 0; r < v; r++) {
    let m = 0;
    for (let c = 0; c < h; c++) m = Math.max(m, Math.abs(w[r * h + c]!));
    const s = m > 0 ? m / 127 : 1;
    scale[r] = s;
    for (let c = 0; c < h; c++) q[r * h + c] = Math.max(-127, Math.min(127, Math.round(w[r * h + c]! / s)));
  }
  return { q, scale };
}

const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
};

/**
 * Dynamic int8 quantisation of the matrix products with a constant weight, in place on a
 * built graph (what onnxruntime's `quantize_dynamic` emits, with standard ops only): each
 * `MatMul(x, W)` (and `Gemm(x, W, bias)` with `transB`, the linear layers) whose `W` is a float
 * initializer of at least 256 elements becomes
 * `DynamicQuantizeLinear(x)` → `MatMulInteger(x_u8, W_i8, x_zero)` → `Cast` → `Mul(x_scale · w_scale)`
 * (+ `Add(bias)`). Weights are symmetric int8 per output column; activations uint8 with a scale
 * and zero point computed per tensor at run time. Float weights no node reads any more are
 * dropped. onnxruntime's CPU provider fuses the pattern into one `DynamicQuantizeMatMul`.
 * Embedding tables read by `Gather` (at least 256 elements) are stored as int8 rows with one
 * scale per row: `Gather` of the codes and of the scales, `Cast`, `Mul`.
 *
 * @example
 * ```ts
 * const { builder } = lowerSymbolic(sym);
 * const report = quantizeMatMulWeights(builder); // { matmuls: 14, ... }
 * const bytes = builder.toBytes();
 * ```
 */
export function quantizeMatMulWeights(b: OnnxGraphBuilder): QuantizeReport {
  const inits = new Map(b.initializers.map((t) => [t.name, t]));
  const old = b.nodes.splice(0, b.nodes.length);
  const quantized = new Map<string, { q: string; scale: string }>();
  let matmuls = 0;
  let gathers = 0;
  const tables = new Map<string, { q: string; scale: string }>();
  const tableOf = (node: OnnxNode): OnnxTensor | undefined => {
    if (node.opType !== "Gather") return undefined;
    const axis = node.attributes.find((a) => a.name === "axis");
    if (axis !== undefined && "i" in axis && axis.i !== 0) return undefined;
    const t = inits.get(node.inputs[0]!);
    if (t === undefined || t.dataType !== OnnxDataType.FLOAT || t.dims.length !== 2) return undefined;
    return t.dims[0]! * t.dims[1]! < MIN_ELEMENTS ? undefined : t;
  };
  const weightOf = (node: OnnxNode): { t: OnnxTensor; transposed: boolean } | undefined => {
    const isGemm = node.opType === "Gemm";
    if (node.opType !== "MatMul" && !isGemm) return undefined;
    const t = inits.get(node.inputs[1]!);
    if (t === undefined || t.dataType !== OnnxDataType.FLOAT || t.dims.length !== 2) return undefined;
    if (t.dims[0]! * t.dims[1]! < MIN_ELEMENTS) return undefined;
    if (!isGemm) return { t, transposed: false };
    const attr = (name: string) => node.attributes.find((a) => a.name === name);
    const intAttr = (name: string, dflt: number) => {
      const a = attr(name);
      return a !== undefined && "i" in a ? a.i : dflt;
    };
    const floatAttr = (name: string) => {
      const a = attr(name);
      return a !== undefined && "f" in a ? a.f : 1;
    };
    if (intAttr("transA", 0) !== 0 || floatAttr("alpha") !== 1 || floatAttr("beta") !== 1) return undefined;
    return { t, transposed: intAttr("transB", 0) === 1 };
  };
  const renameLast = (value: string, out: string): void => {
    // the last node's value takes the original output name, so every reader is unchanged
    const i = b.nodes.length - 1;
    const tail = b.nodes[i]!;
    b.nodes[i] = { ...tail, outputs: tail.outputs.map((o) => (o === value ? out : o)) };
  };
  for (const node of old) {
    const table = tableOf(node);
    if (table !== undefined) {
      let qt = tables.get(table.name);
      if (qt === undefined) {
        const [v, h] = table.dims as [number, number];
        const { q, scale } = quantizeRows(floatView(table), v, h);
        qt = {
          q: b.initializer(OnnxDataType.INT8, [v, h], new Uint8Array(q.buffer), `${table.name}_quantized`),
          scale: b.initializer(OnnxDataType.FLOAT, [v], rawBytes(scale), `${table.name}_scale`),
        };
        tables.set(table.name, qt);
      }
      const ids = node.inputs[1]!;
      const rows = b.node(
        "Cast",
        [b.node("Gather", [qt.q, ids], [attrInt("axis", 0)])],
        [attrInt("to", ONNX_DTYPE.float32)],
      );
      const scales = b.node("Unsqueeze", [
        b.node("Gather", [qt.scale, ids], [attrInt("axis", 0)]),
        b.int64s([-1]),
      ]);
      renameLast(b.node("Mul", [rows, scales]), node.outputs[0]!);
      gathers++;
      continue;
    }
    const w = weightOf(node);
    if (w === undefined) {
      b.nodes.push(node);
      continue;
    }
    const key = `${w.t.name}:${w.transposed}`;
    let qw = quantized.get(key);
    if (qw === undefined) {
      const [r, c] = w.t.dims as [number, number];
      const values = w.transposed ? transpose(floatView(w.t), r, c) : floatView(w.t);
      const [k, n] = w.transposed ? [c, r] : [r, c];
      const { q, scale } = quantizeColumns(values, k, n);
      qw = {
        q: b.initializer(OnnxDataType.INT8, [k, n], new Uint8Array(q.buffer), `${w.t.name}_quantized`),
        scale: b.initializer(OnnxDataType.FLOAT, [n], rawBytes(scale), `${w.t.name}_scale`),
      };
      quantized.set(key, qw);
    }
    const x = node.inputs[0]!;
    const [xq, xScale, xZero] = b.nodeMulti("DynamicQuantizeLinear", [x], 3);
    const acc = b.node("MatMulInteger", [xq!, qw.q, xZero!]);
    const scale = b.node("Mul", [xScale!, qw.scale]);
    const bias = node.opType === "Gemm" ? node.inputs[2] : undefined;
    const out = node.outputs[0]!;
    const y = b.node("Mul", [b.node("Cast", [acc], [attrInt("to", ONNX_DTYPE.float32)]), scale]);
    renameLast(bias === undefined ? y : b.node("Add", [y, bias]), out);
    matmuls++;
  }
  const read = new Set(b.nodes.flatMap((n) => n.inputs));
  const kept = b.initializers.filter((t) => read.has(t.name));
  const dropped = b.initializers.filter((t) => !read.has(t.name));
  b.initializers.splice(0, b.initializers.length, ...kept);
  const floatBytes = dropped
    .filter((t) => t.dataType === OnnxDataType.FLOAT)
    .reduce((s, t) => s + t.raw.byteLength, 0);
  const int8Bytes = kept
    .filter((t) => t.dataType === OnnxDataType.INT8)
    .reduce((s, t) => s + t.raw.byteLength, 0);
  return { matmuls, gathers, floatBytes, int8Bytes };
}
