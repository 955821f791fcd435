/**
 * Elementwise optimizer kernels on host arrays, written as self-contained functions of typed
 * arrays and numbers: V8 compiles each to one tight loop, and a worker thread can run the
 * very same source (`HostUpdatePool` sends `fn.toString()`), so every thread computes
 * bit-identical results.
 */

/**
 * AdamW over elements `[start, end)` of a parameter, in place (float64 per element, stored as
 * float32). `g[i - start]` is the gradient of element `i` (pass a view that starts at `start`);
 * `stepSize` and `eps` carry the bias corrections (`m / (√v / √bc2 + eps) = m·√bc2 / (√v + eps·√bc2)`),
 * `decay` is `1 − lr·wd` (1 without weight decay), `gradScale` multiplies the gradient (the
 * clipping factor; 1 without clipping).
 *
 * @example
 * ```ts
 * adamwRange(p, g, m, v, 0, p.length, 1 - lr * wd, stepSize, eps, 0.9, 0.999, 1);
 * ```
 */
export function adamwRange(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  start: number,
  end: number,
  decay: number,
  stepSize: number,
  eps: number,
  beta1: number,
  beta2: number,
  gradScale: number,
): void {
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  for (let i = start; i < end; i++) {
    const gi = (g[i - start] as number) * gradScale;
    const mi = beta1 * (m[i] as number) + b1 * gi;
    const vi = beta2 * (v[i] as number) + b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = (p[i] as number) * decay - (stepSize * mi) / (Math.sqrt(vi) + eps);
  }
}

/**
 * The host kernels by name, each with the state slots it reads after the parameter and
 * gradient, in argument order.
 *
 * @example
 * ```ts
 * const { fn, slots } = HOST_KERNELS.adamw; // slots: ["m", "v"]
 * ```
 */
export const HOST_KERNELS: Readonly<
  Record<HostKernelCall["kernel"], { readonly fn: typeof adamwRange; readonly slots: readonly string[] }>
> = {
  adamw: { fn: adamwRange, slots: ["m", "v"] },
};

/**
 * One optimizer update as a host kernel call: the kernel's name and its scalars (the
 * arguments after `start, end`). See {@link Optimizer.hostKernel}.
 *
 * @example
 * ```ts
 * const call: HostKernelCall = { kernel: "adamw", scalars: [0.99, 1e-3, 1e-8, 0.9, 0.999, 1] };
 * ```
 */
export interface HostKernelCall {
  /** The kernel's name (`"adamw"`: the AdamW update, one pass). */
  readonly kernel: "adamw";
  readonly scalars: readonly number[];
}

/**
 * Runs a {@link HostKernelCall} over elements `[start, end)` (the gradient view starts at `start`).
 *
 * @example
 * ```ts
 * runHostKernel(call, p, g, { m, v }, 0, p.length);
 * ```
 */
export function runHostKernel(
  call: HostKernelCall,
  param: Float32Array,
  grad: Float32Array,
  state: Readonly<Record<string, Float32Array>>,
  start: number,
  end: number,
): void {
  const k = HOST_KERNELS[call.kernel];
  const [m, v] = k.slots.map((s) => state[s]!) as [Float32Array, Float32Array];
  const [decay, stepSize, eps, beta1, beta2, gradScale] = call.scalars as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  k.fn(param, grad, m, v, start, end, decay, stepSize, eps, beta1, beta2, gradScale);
}
