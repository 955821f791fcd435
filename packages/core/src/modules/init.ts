import { mulberry32, type Rng } from "../data/random.js";
import { type HostTensor, hostTensor, sizeOf } from "../tensor/host-tensor.js";

/**
 * How a module initialises its weights: normal(0, `std`) from `rng` (Hugging Face BERT
 * uses std = `initializer_range` = 0.02). Without `rng`, `mulberry32(0)` is used.
 *
 * @example
 * ```ts
 * new Linear(4, 2, { rng: mulberry32(1), std: 0.02 });
 * ```
 */
export interface InitOptions {
  readonly rng?: Rng;
  readonly std?: number;
}

/**
 * A float32 tensor of normal(0, std) samples.
 *
 * @example
 * ```ts
 * const w = normalTensor([2, 4], mulberry32(0), 0.02);
 * ```
 */
export function normalTensor(shape: readonly number[], rng: Rng, std: number): HostTensor<"float32"> {
  const n = sizeOf(shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two independent standard normals per pair of uniforms.
    let u = rng();
    while (u === 0) u = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * rng();
    out[i] = std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(theta);
  }
  return hostTensor("float32", shape, out);
}

/**
 * A float32 tensor filled with `value`.
 *
 * @example
 * ```ts
 * const gamma = filledTensor([4], 1);
 * ```
 */
export function filledTensor(shape: readonly number[], value: number): HostTensor<"float32"> {
  return hostTensor("float32", shape, new Float32Array(sizeOf(shape)).fill(value));
}

/** Resolves {@link InitOptions} defaults. @example `const { rng, std } = resolveInit(undefined); // mulberry32(0), 0.02` */
export function resolveInit(init: InitOptions | undefined): { rng: Rng; std: number } {
  return { rng: init?.rng ?? mulberry32(0), std: init?.std ?? 0.02 };
}
