import { createOnnxBackend } from "@tunekit/backend-onnx";
import * as tk from "@tunekit/core/ir";
import * as tkData from "@tunekit/core/data";

/** One n×n×n float32 MatMul compiled on the ONNX backend, ready to be timed. */
export interface MatmulProbe {
  readonly n: number;
  readonly flops: number;
  /** Runs the MatMul once and returns the seconds it took. */
  time(): Promise<number>;
  dispose(): void;
}

/** Builds a {@link MatmulProbe} (one warm-up run included). */
export async function createMatmulProbe(threads: number, n = 2048): Promise<MatmulProbe> {
  const g = new tk.Graph();
  g.output("c", tk.matmul(g.input("a", "float32", [n, n]), g.input("b", "float32", [n, n])));
  const backend = await createOnnxBackend({ intraOpNumThreads: threads });
  const rng = tkData.mulberry32(5);
  const data = () =>
    tk.hostTensor(
      "float32",
      [n, n],
      Float32Array.from({ length: n * n }, () => rng() - 0.5),
    );
  const exe = await backend.compile(g);
  const feeds = { a: data(), b: data() };
  await exe.run(feeds);
  return {
    n,
    flops: 2 * n ** 3,
    async time() {
      const t = performance.now();
      await exe.run(feeds);
      return (performance.now() - t) / 1000;
    },
    dispose() {
      exe.dispose();
      backend.dispose();
    },
  };
}
