import type { DType } from "@tunekit/core";
import type { Node, OpName } from "@tunekit/core/ir";
import { attrInt, attrTensor, ONNX_DTYPE, type OnnxGraphBuilder, rawBytes } from "./onnx-builder.js";

/**
 * Everything a lowering rule sees for one IR node: the builder to append ONNX nodes to,
 * the node itself, the ONNX value names of its inputs and the IR nodes that produce them.
 *
 * @example
 * ```ts
 * const rule: LowerRule<"add"> = (c) => c.b.node("Add", c.ins);
 * ```
 */
export interface LowerContext<K extends OpName = OpName> {
  readonly b: OnnxGraphBuilder;
  readonly node: Node<K>;
  /** ONNX value names of `node.inputs`, in order. */
  readonly ins: readonly string[];
  /** IR nodes producing `node.inputs`, in order (for their shapes and dtypes). */
  readonly inNodes: readonly Node[];
  readonly options: LowerOptions;
  /**
   * Ids of the graph's leaves bound as constants (frozen weights), when the lowering knows
   * them: a rule may then lower differently for a frozen operand (see `linearCrossEntropy`).
   */
  readonly bound?: ReadonlySet<number>;
}

/**
 * Lowering choices that change the emitted model.
 *
 * @example
 * ```ts
 * const o: LowerOptions = { dropout: "seeded", dropoutSeed: 7 };
 * ```
 */
export interface LowerOptions {
  /**
   * How `dropoutMask` is lowered: `"seeded"` hashes (seed, element index) with integer ONNX
   * ops, so the mask is a pure function of the graph's seed input; `"onnx"` uses ONNX
   * `Dropout`, whose generator is seeded by an attribute and ignores the seed input.
   */
  readonly dropout: "seeded" | "onnx";
  /**
   * Mixed into every mask: the `"seeded"` key, or the base of the ONNX `Dropout` `seed`
   * attributes (node `i` gets `dropoutSeed + 7919 * i`).
   */
  readonly dropoutSeed: number;
  /**
   * The execution provider the model is for (default `"cpu"`). `"webgpu"` avoids ops whose
   * kernels onnxruntime's WebGPU provider lacks, which would run on the CPU with copies to and
   * from the device around them: `LogSoftmax` becomes `x − max − log Σ exp(x − max)`, and
   * `scatterAdd` one `ScatterND(reduction="add")` instead of the `Unique` / `Equal` row sums the
   * CPU needs (its ScatterND add loses updates to repeated rows across threads).
   */
  readonly provider?: "cpu" | "webgpu";
}

/**
 * Lowers one IR node to ONNX nodes and returns the ONNX value name holding its result.
 *
 * @example
 * ```ts
 * const neg: LowerRule<"neg"> = (c) => c.b.node("Neg", c.ins);
 * ```
 */
export type LowerRule<K extends OpName = OpName> = (c: LowerContext<K>) => string;

/** Rules for a family of ops (a partial table merged into the full one). */
export type LowerRules = { readonly [K in OpName]?: LowerRule<K> };

/**
 * Casts `value` to an IR dtype.
 *
 * @example
 * ```ts
 * const f = castTo(b, mask, "float32");
 * ```
 */
export function castTo(b: OnnxGraphBuilder, value: string, to: DType): string {
  return b.node("Cast", [value], [attrInt("to", ONNX_DTYPE[to])]);
}

/**
 * A tensor of `shape` filled with `value` (a shared scalar initializer for rank 0, else
 * `ConstantOfShape`).
 *
 * @example
 * ```ts
 * const zeros = filled(b, "float32", [3, 4], 0);
 * ```
 */
export function filled(b: OnnxGraphBuilder, dtype: DType, shape: readonly number[], value: number): string {
  if (shape.length === 0) return b.scalar(dtype, value);
  const one =
    dtype === "float32"
      ? Float32Array.of(value)
      : dtype === "int32"
        ? Int32Array.of(value)
        : Uint8Array.of(value ? 1 : 0);
  const t = { name: "value", dataType: ONNX_DTYPE[dtype], dims: [1], raw: rawBytes(one) };
  return b.node("ConstantOfShape", [b.int64s(shape)], [attrTensor("value", t)]);
}

/**
 * `Transpose` of the last two axes of a tensor of rank `rank`.
 *
 * @example
 * ```ts
 * const kt = transposeLastTwo(b, k, 4); // perm [0, 1, 3, 2]
 * ```
 */
export function transposeLastTwo(b: OnnxGraphBuilder, value: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return b.node("Transpose", [value], [{ name: "perm", ints: perm }]);
}
