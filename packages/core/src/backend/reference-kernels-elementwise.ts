import type { Node } from "../ir/graph.js";
import type { OpAttrs, OpName } from "../ir/op-attrs.js";
import { sizeOf } from "../tensor/host-tensor.js";
import { erf64 } from "./reference-erf.js";
import { broadcastOffsets, type Float64Tensor, f64 } from "./reference-tensor.js";

/** A reference kernel: the node (for attrs, output shape and dtype) and its input values. */
export type ReferenceKernel = (node: Node, ins: readonly Float64Tensor[]) => Float64Tensor;

type Binary = (a: number, b: number) => number;

/** `base ** exp` for int32: exact by repeated squaring with wrap-around; negative exponents truncate. */
function intPow(base: number, e: number): number {
  if (e < 0) {
    if (base === 1) return 1;
    if (base === -1) return e % 2 === 0 ? 1 : -1;
    return 0; // |1 / base^n| < 1 truncates to 0 (also 0 ** negative, documented in op-attrs)
  }
  let result = 1;
  let b = base | 0;
  let n = e;
  while (n > 0) {
    if (n & 1) result = Math.imul(result, b);
    b = Math.imul(b, b);
    n = Math.floor(n / 2);
  }
  return result;
}

const FLOAT_BINARY: Record<string, Binary> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(a, b)),
  equal: (a, b) => (a === b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  greater: (a, b) => (a > b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
};

/** int32 arithmetic: wraps modulo 2^32 like C int32; div truncates toward zero (x / 0 -> 0). */
const INT_BINARY: Record<string, Binary> = {
  ...FLOAT_BINARY,
  add: (a, b) => (a + b) | 0,
  sub: (a, b) => (a - b) | 0,
  mul: (a, b) => Math.imul(a, b),
  div: (a, b) => (b === 0 ? 0 : Math.trunc(a / b) | 0),
  pow: intPow,
};

/** Applies `f` elementwise over NumPy-broadcast inputs into a tensor of `node`'s shape. */
function broadcastMap(
  node: Node,
  ins: readonly Float64Tensor[],
  f: (vals: readonly number[]) => number,
): Float64Tensor {
  const out = f64(node.dtype, node.shape);
  const n = out.data.length;
  const offsets = ins.map((t) =>
    t.shape.length === node.shape.length && t.data.length === n
      ? undefined
      : broadcastOffsets(t.shape, node.shape),
  );
  const vals = new Array<number>(ins.length).fill(0);
  for (let e = 0; e < n; e++) {
    for (let k = 0; k < ins.length; k++) {
      const o = offsets[k];
      vals[k] = ins[k]!.data[o === undefined ? e : o[e]!]!;
    }
    out.data[e] = f(vals);
  }
  return out;
}

function binaryKernel(op: OpName): ReferenceKernel {
  return (node, ins) => {
    const f = (ins[0]!.dtype === "int32" ? INT_BINARY : FLOAT_BINARY)[op]!;
    return broadcastMap(node, ins, (v) => f(v[0]!, v[1]!));
  };
}

function unaryKernel(f: (x: number) => number, intF?: (x: number) => number): ReferenceKernel {
  return (node, [x]) => {
    const g = x!.dtype === "int32" && intF ? intF : f;
    const out = f64(node.dtype, node.shape);
    for (let i = 0; i < out.data.length; i++) out.data[i] = g(x!.data[i]!);
    return out;
  };
}

/** `cast`: float -> int32 truncates toward zero (then wraps like C; NaN -> 0), x -> bool is `x != 0`. */
function castKernel(node: Node, [x]: readonly Float64Tensor[]): Float64Tensor {
  const { to } = node.attrs as OpAttrs["cast"];
  const out = f64(to, node.shape);
  for (let i = 0; i < out.data.length; i++) {
    const v = x!.data[i]!;
    out.data[i] = to === "bool" ? (v !== 0 ? 1 : 0) : to === "int32" ? v | 0 : v;
  }
  return out;
}

/** Elementwise kernels: arithmetic, comparisons, unary math, `where`, `cast`, `fill`. */
export const ELEMENTWISE_KERNELS: { readonly [K in OpName]?: ReferenceKernel } = {
  add: binaryKernel("add"),
  sub: binaryKernel("sub"),
  mul: binaryKernel("mul"),
  div: binaryKernel("div"),
  pow: binaryKernel("pow"),
  maximum: binaryKernel("maximum"),
  minimum: binaryKernel("minimum"),
  equal: binaryKernel("equal"),
  less: binaryKernel("less"),
  greater: binaryKernel("greater"),
  lessEqual: binaryKernel("lessEqual"),
  greaterEqual: binaryKernel("greaterEqual"),
  neg: unaryKernel(
    (x) => -x,
    (x) => -x | 0,
  ),
  exp: unaryKernel(Math.exp),
  log: unaryKernel(Math.log),
  sqrt: unaryKernel(Math.sqrt),
  tanh: unaryKernel(Math.tanh),
  erf: unaryKernel(erf64),
  abs: unaryKernel(Math.abs, (x) => Math.abs(x) | 0),
  sign: unaryKernel((x) => (Number.isNaN(x) ? Number.NaN : x > 0 ? 1 : x < 0 ? -1 : 0)),
  where: (node, ins) => broadcastMap(node, ins, (v) => (v[0] !== 0 ? v[1]! : v[2]!)),
  cast: castKernel,
  fill: (node) => {
    const { value } = node.attrs as OpAttrs["fill"];
    const v = node.dtype === "int32" ? value | 0 : node.dtype === "bool" ? (value !== 0 ? 1 : 0) : value;
    return f64(node.dtype, node.shape, new Float64Array(sizeOf(node.shape)).fill(v));
  },
};
