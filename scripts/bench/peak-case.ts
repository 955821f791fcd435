/**
 * The machine's float32 MatMul peak on onnxruntime, run in its own process: one n×n×n
 * MatMul (default 2048) through the ONNX backend, best and median of 9 runs, as one JSON line.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/peak-case.ts '{"threads":2}'
 */
import { createMatmulProbe } from "./matmul-probe.js";

const {
  threads = 2,
  n = 2048,
  runs = 9,
} = JSON.parse(process.argv[2] ?? "{}") as {
  threads?: number;
  n?: number;
  runs?: number;
};
const probe = await createMatmulProbe(threads, n);
const times: number[] = [];
for (let i = 0; i < runs; i++) times.push(await probe.time());
probe.dispose();
times.sort((x, y) => x - y);
const median = times[times.length >> 1]!;
// The peak is the machine's capability: the fastest run (a shared machine slows the others).
console.log(
  JSON.stringify({
    matmul_peak: `onnxruntime MatMul ${n}x${n}x${n} float32, ${threads} threads, best of ${runs}`,
    seconds: +times[0]!.toFixed(4),
    gflops: +(probe.flops / times[0]! / 1e9).toFixed(1),
    median_gflops: +(probe.flops / median / 1e9).toFixed(1),
  }),
);
