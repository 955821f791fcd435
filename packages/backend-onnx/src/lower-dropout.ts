import { sizeOf } from "@tunekit/core/ir";
import { attrInt, attrString, type OnnxGraphBuilder, rawBytes } from "./onnx-builder.js";
import { castTo, filled, type LowerContext } from "./lower-context.js";
import { OnnxDataType } from "./onnx-model.js";

/** A uint32 scalar initializer. */
function u32(b: OnnxGraphBuilder, value: number): string {
  return b.initializer(OnnxDataType.UINT32, [], rawBytes(new Uint8Array(Uint32Array.of(value >>> 0).buffer)));
}

/** Host-side murmur3 finaliser (the same mixing the graph does), for constants. */
function fmix32Host(h0: number): number {
  let h = h0 >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** murmur3's 32-bit finaliser on a uint32 tensor: full avalanche in 8 elementwise ops. */
function fmix32(b: OnnxGraphBuilder, x: string): string {
  const shiftXor = (v: string, n: number) =>
    b.node("BitwiseXor", [v, b.node("BitShift", [v, u32(b, n)], [attrString("direction", "RIGHT")])]);
  let h = shiftXor(x, 16);
  h = b.node("Mul", [h, u32(b, 0x85ebca6b)]);
  h = shiftXor(h, 13);
  h = b.node("Mul", [h, u32(b, 0xc2b2ae35)]);
  return shiftXor(h, 16);
}

/**
 * `"seeded"` lowering: element `i` of the mask is kept when
 * `fmix32((i · 0x9E3779B1) ^ fmix32(seed ^ dropoutSeed)) >= rate · 2³²`. The mask is a pure
 * function of the seed input and the element index: the same seed gives the same mask on
 * every run and session, different seeds give independent-looking masks. `i · 0x9E3779B1` is
 * a constant (onnxruntime folds it), so a run costs about ten uint32 elementwise ops per
 * element.
 */
function seededMask(c: LowerContext<"dropoutMask">): string {
  const { b } = c;
  const { rate } = c.node.attrs;
  const n = sizeOf(c.node.shape);
  const seed = b.node("BitwiseXor", [
    b.node("Cast", [c.ins[0]!], [attrInt("to", OnnxDataType.UINT32)]),
    u32(b, fmix32Host(c.options.dropoutSeed)),
  ]);
  const key = fmix32(b, seed);
  const range = b.node("Range", [b.scalar("int32", 0), b.scalar("int32", n), b.scalar("int32", 1)]);
  const index = b.node(
    "Cast",
    [b.node("Reshape", [range, b.int64s(c.node.shape)])],
    [attrInt("to", OnnxDataType.UINT32)],
  );
  const spread = b.node("Mul", [index, u32(b, 0x9e3779b1)]);
  const bits = fmix32(b, b.node("BitwiseXor", [spread, key]));
  const threshold = Math.min(Math.floor(rate * 2 ** 32), 2 ** 32 - 1);
  const keep = b.node("GreaterOrEqual", [bits, u32(b, threshold)]);
  return b.node("Where", [keep, b.scalar("float32", 1 / (1 - rate)), b.scalar("float32", 0)]);
}

/**
 * `"onnx"` lowering: ONNX `Dropout(ones, ratio, training_mode=true, seed)` and its keep-mask
 * output scaled by `1/(1-rate)`. onnxruntime removes a Dropout whose mask output is unused
 * and constant-folds one whose inputs are all constants, so the mask output is the one used
 * and the ones are derived from the seed input (`seed == seed`). The generator is seeded by
 * the attribute and advances on every run: the seed input's value is not read.
 */
function onnxDropoutMask(c: LowerContext<"dropoutMask">): string {
  const { b } = c;
  const { rate } = c.node.attrs;
  const one = castTo(b, b.node("Equal", [c.ins[0]!, c.ins[0]!]), "float32");
  const ones = b.node("Expand", [one, b.int64s(c.node.shape)]);
  const seed = (c.options.dropoutSeed + 7919 * c.node.id) % 2 ** 31;
  const [, keep] = b.nodeMulti("Dropout", [ones, b.scalar("float32", rate), b.scalar("bool", 1)], 2, [
    attrInt("seed", seed),
  ]);
  return b.node("Where", [keep!, b.scalar("float32", 1 / (1 - rate)), b.scalar("float32", 0)]);
}

/**
 * Lowers `dropoutMask` (0 with probability `rate`, `1/(1-rate)` otherwise) according to
 * `options.dropout`; rate 0 is a tensor of ones.
 *
 * @example
 * ```ts
 * const mask = lowerDropoutMask(ctx); // ctx.node.op === "dropoutMask"
 * ```
 */
export function lowerDropoutMask(c: LowerContext<"dropoutMask">): string {
  if (c.node.attrs.rate === 0) return filled(c.b, "float32", c.node.shape, 1);
  return c.options.dropout === "onnx" ? onnxDropoutMask(c) : seededMask(c);
}
