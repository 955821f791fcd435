import { type HostTensor, hostTensor } from "@tunekit/core";
import type { Rng } from "@tunekit/core/data";

/**
 * LoRA's `A` initialisation, as PEFT's default (`nn.init.kaiming_uniform_(a=√5)`):
 * uniform on `[-1/√fanIn, 1/√fanIn]` (gain √(2/(1+a²)) = √(1/3), bound = gain·√(3/fanIn)).
 *
 * @example
 * ```ts
 * const a = kaimingUniformA(8, 768, mulberry32(0)); // float32 [8, 768]
 * ```
 */
export function kaimingUniformA(rows: number, fanIn: number, rng: Rng): HostTensor<"float32"> {
  const bound = 1 / Math.sqrt(fanIn);
  const data = new Float32Array(rows * fanIn);
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng() - 1) * bound;
  return hostTensor("float32", [rows, fanIn], data);
}

/**
 * `scale · B · A` as a float32 `[out, in]` matrix (accumulated in float64).
 *
 * @example
 * ```ts
 * const delta = loraDelta(a, b, 2); // [out, in]
 * ```
 */
export function loraDelta(a: HostTensor, b: HostTensor, scale: number): Float64Array {
  const [r, nIn] = a.shape as [number, number];
  const nOut = b.shape[0]!;
  const out = new Float64Array(nOut * nIn);
  for (let o = 0; o < nOut; o++) {
    for (let k = 0; k < r; k++) {
      const bk = b.data[o * r + k]! * scale;
      if (bk === 0) continue;
      for (let i = 0; i < nIn; i++) out[o * nIn + i]! += bk * a.data[k * nIn + i]!;
    }
  }
  return out;
}

/**
 * L2 norm of each row of a row-major `[rows, cols]` matrix (float64).
 *
 * @example
 * ```ts
 * rowNorms(new Float64Array([3, 4]), 1, 2); // [5]
 * ```
 */
export function rowNorms(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let o = 0; o < rows; o++) {
    let s = 0;
    for (let i = 0; i < cols; i++) s += m[o * cols + i]! ** 2;
    out[o] = Math.sqrt(s);
  }
  return out;
}

/**
 * The merged weight of a LoRA layer: `W + scale·B·A`, or with DoRA (PEFT's formula)
 * `(m / ‖W + scale·B·A‖_row) ⊙ (W + scale·B·A)`.
 *
 * @example
 * ```ts
 * const merged = mergedLoraWeight(w, a, b, scale, magnitude); // float32 [out, in]
 * ```
 */
export function mergedLoraWeight(
  w: HostTensor,
  a: HostTensor,
  b: HostTensor,
  scale: number,
  magnitude?: HostTensor,
): HostTensor<"float32"> {
  const [nOut, nIn] = w.shape as [number, number];
  const m = loraDelta(a, b, scale);
  for (let i = 0; i < m.length; i++) m[i]! += w.data[i]!;
  if (magnitude) {
    const norms = rowNorms(m, nOut, nIn);
    for (let o = 0; o < nOut; o++) {
      const f = magnitude.data[o]! / norms[o]!;
      for (let i = 0; i < nIn; i++) m[o * nIn + i]! *= f;
    }
  }
  return hostTensor("float32", [nOut, nIn], Float32Array.from(m));
}
