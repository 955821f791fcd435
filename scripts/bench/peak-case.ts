/**
 * The machine's float32 MatMul peak on onnxruntime, run in its own process: one n×n×n
 * MatMul (default 2048) through the ONNX backend, best and median of 9 runs, as one JSON line.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/peak-case.ts '{"threads":2}'
 */
import { createOnnxBackend } from "@tunekit/backend-onnx";
import * as tk from "@tunekit/core";

const {
  threads = 2,
  n = 2048,
  runs = 9,
} = JSON.parse(process.argv[2] ?? "{}") as {
  threads?: number;
  n?: number;
  runs?: number;
};
const g = new tk.Graph();
g.output("c", tk.matmul(g.input("a", "float32", [n, n]), g.input("b", "float32", [n, n])));
const backend = await createOnnxBackend({ intraOpNumThreads: threads });
const rng = tk.mulberry32(5);
const data = () =>
  tk.hostTensor(
    "float32",
    [n, n],
    Float32Array.from({ length: n * n }, () => rng() - 0.5),
  );
const exe = await backend.compile(g);
const feeds = { a: data(), b: data() };
await exe.run(feeds);
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await exe.run(feeds);
  times.push((performance.now() - t) / 1000);
}
backend.dispose();
times.sort((x, y) => x - y);
const flops = 2 * n ** 3;
const median = times[times.length >> 1]!;
// The peak is the machine's capability: the fastest run (a shared machine slows the others).
console.log(
  JSON.stringify({
    matmul_peak: `onnxruntime MatMul ${n}x${n}x${n} float32, ${threads} threads, best of ${runs}`,
    seconds: +times[0]!.toFixed(4),
    gflops: +(flops / times[0]! / 1e9).toFixed(1),
    median_gflops: +(flops / median / 1e9).toFixed(1),
  }),
);
