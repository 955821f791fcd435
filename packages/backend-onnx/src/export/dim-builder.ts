import { TunekitError } from "@tunekit/core";
import { attrInt, type OnnxGraphBuilder, rawBytes } from "../onnx-builder.js";
import { OnnxDataType } from "../onnx-model.js";
import { isConstDim, type SymDim } from "./symbolic-dims.js";

/**
 * Builds int64 tensors of symbolic sizes ({@link SymDim}) in an ONNX graph from the run-time
 * shapes of its inputs: `Shape(input, start, end)` gives `B` or `S`, and `Mul` / `Add` /
 * `Concat` the rest. Each expression is built once.
 *
 * @example
 * ```ts
 * const dims = new DimBuilder(b, { batch: ["input_ids", 0], seq: ["input_ids", 1] });
 * const shape = dims.list([SYM_BATCH, symConst(1), symConst(1), SYM_SEQ]); // for a Reshape
 * ```
 */
export class DimBuilder {
  private readonly cache = new Map<string, string>();
  private batch: string | undefined;
  private seq: string | undefined;

  constructor(
    private readonly b: OnnxGraphBuilder,
    private readonly sources: { batch?: [string, number]; seq?: [string, number] },
  ) {}

  private axis(which: "batch" | "seq"): string {
    const own = which === "batch" ? this.batch : this.seq;
    if (own !== undefined) return own;
    const src = this.sources[which];
    if (src === undefined) {
      throw new TunekitError(
        "GRAPH_INVALID",
        `export: a size depends on the ${which === "batch" ? "batch size" : "sequence length"}, but no input has that axis; declare the inputs as [batch, seq]`,
      );
    }
    const v = this.b.node("Shape", [src[0]], [attrInt("start", src[1]), attrInt("end", src[1] + 1)]);
    if (which === "batch") this.batch = v;
    else this.seq = v;
    return v;
  }

  private monomial(i: number): string {
    const key = `m${i}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const B = () => this.axis("batch");
    const S = () => this.axis("seq");
    const parts = [[], [B], [S], [B, S], [S, S], [B, S, S]][i]! as (() => string)[];
    let v = parts[0]!();
    for (const p of parts.slice(1)) v = this.b.node("Mul", [v, p()]);
    this.cache.set(key, v);
    return v;
  }

  /** An int64 `[1]` tensor holding `d`. */
  dim(d: SymDim): string {
    if (isConstDim(d)) return this.b.int64s([d[0]]);
    const key = d.join(",");
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let sum: string | undefined;
    for (let i = 1; i < d.length; i++) {
      const c = d[i]!;
      if (c === 0) continue;
      const m = this.monomial(i);
      const term = c === 1 ? m : this.b.node("Mul", [m, this.b.int64s([c])]);
      sum = sum === undefined ? term : this.b.node("Add", [sum, term]);
    }
    if (d[0] !== 0) sum = this.b.node("Add", [sum!, this.b.int64s([d[0]])]);
    this.cache.set(key, sum!);
    return sum!;
  }

  /** An int64 scalar holding `d` (for `Range`). */
  scalar(d: SymDim): string {
    const key = `scalar:${d.join(",")}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      v = isConstDim(d)
        ? this.b.initializer(OnnxDataType.INT64, [], rawBytes(BigInt64Array.of(BigInt(d[0]))))
        : this.b.node("Squeeze", [this.dim(d), this.b.int64s([0])]);
      this.cache.set(key, v);
    }
    return v;
  }

  /** A 1-D int64 tensor holding `dims` (an initializer when they are all constant). */
  list(dims: readonly SymDim[]): string {
    if (dims.every(isConstDim)) return this.b.int64s(dims.map((d) => d[0]));
    const pieces: string[] = [];
    let run: number[] = [];
    for (const d of dims) {
      if (isConstDim(d)) {
        run.push(d[0]);
        continue;
      }
      if (run.length > 0) pieces.push(this.b.int64s(run));
      run = [];
      pieces.push(this.dim(d));
    }
    if (run.length > 0) pieces.push(this.b.int64s(run));
    return pieces.length === 1 ? pieces[0]! : this.b.node("Concat", pieces, [attrInt("axis", 0)]);
  }
}
