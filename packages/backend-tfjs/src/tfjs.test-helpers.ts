import type { Backend, HostTensor, Tensor } from "@tunekit/core";
import type { Graph } from "@tunekit/core/ir";
import { trace } from "@tunekit/core/ir";

/**
 * Traces `build`, compiles it on `backend`, runs it once with `feeds` and disposes it.
 *
 * @example
 * ```ts
 * const { y } = await runOnce(backend, (g) => ({ y: exp(g.input("x", "float32", [2])) }), { x });
 * ```
 */
export async function runOnce(
  backend: Backend,
  build: (g: Graph) => Record<string, Tensor>,
  feeds: Record<string, HostTensor> = {},
): Promise<Record<string, HostTensor>> {
  const exe = await backend.compile(trace(build));
  try {
    return await exe.run(feeds);
  } finally {
    exe.dispose();
  }
}

/**
 * Elementwise closeness check with an absolute + relative tolerance; returns a message for
 * the first mismatch or `undefined`.
 *
 * @example
 * ```ts
 * expect(mismatch(out.data, [1, 2], 1e-6)).toBeUndefined();
 * ```
 */
export function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const bad = Number.isNaN(e)
      ? !Number.isNaN(a)
      : !Number.isFinite(e)
        ? a !== e
        : !(Math.abs(a - e) <= tol * (1 + Math.abs(e)));
    if (bad) {
      return `element ${i}: got ${a}, expected ${e} (tolerance ${tol})`;
    }
  }
  return undefined;
}
