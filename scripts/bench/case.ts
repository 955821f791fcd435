/**
 * One bench case, run in its own process (so its peak RSS is its own): builds the BERT
 * classifier, applies the mode, times training steps on one backend and prints one JSON line.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/case.ts '<CaseSpec as JSON>'
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tk from "@tunekit/core";
import { lora } from "@tunekit/strategies";
import { createMatmulProbe } from "./matmul-probe.js";
import {
  type BenchMode,
  type BenchSizes,
  benchBatch,
  benchForward,
  benchModel,
  stepFlops,
} from "./bert-case.js";

/** What the parent asks one child to time. */
export interface CaseSpec {
  readonly backend: "onnx" | "tfjs-wasm" | "tfjs-cpu";
  readonly mode: BenchMode;
  readonly sizes: BenchSizes;
  readonly warmup: number;
  readonly steps: number;
  readonly threads: number;
  /** Time a 2048³ ORT MatMul after each step (interleaved) and report the fraction of it reached. */
  readonly probePeak: boolean;
  /** onnx only: onnxruntime's CPU memory arena off (`enableCpuMemArena: false`). */
  readonly noArena: boolean;
  /** onnx only: profile the timed steps and report the op types that dominate. */
  readonly profile: boolean;
  /** Apply AdamW on the host, in place (TrainStepRunner's `optimizerOnHost`). */
  readonly optimizerOnHost?: boolean;
}

async function makeBackend(
  spec: CaseSpec,
): Promise<{ backend: tk.Backend; topOps?: () => Promise<unknown> }> {
  if (spec.backend === "onnx") {
    const onnx = await import("@tunekit/backend-onnx");
    const prefix = join(tmpdir(), `tunekit-bench-${spec.mode}-${process.pid}`);
    const backend = await onnx.createOnnxBackend({
      intraOpNumThreads: spec.threads,
      ...(spec.noArena ? { enableCpuMemArena: false } : {}),
      ...(spec.profile ? { enableProfiling: true, profileFilePrefix: prefix } : {}),
    });
    if (!spec.profile) return { backend };
    return {
      backend,
      topOps: async () => {
        const [file] = await backend.endProfiling();
        if (!file) return "no profile written";
        const s = onnx.readOnnxProfile(file, { skipRuns: 1 + spec.warmup });
        return s.byOpType.slice(0, 8).map((r) => ({
          op: r.opType,
          ms_per_step: +(r.micros / Math.max(1, s.runs) / 1000).toFixed(2),
          share: +r.share.toFixed(3),
        }));
      },
    };
  }
  const tfjs = await import("@tunekit/backend-tfjs");
  return {
    backend: await tfjs.createTfjsBackend({
      engine: spec.backend === "tfjs-cpu" ? "cpu" : "wasm",
      log: () => {},
    }),
  };
}

/** Applies the mode: full (everything trains), head (classifier only), LoRA r=8 on query/value. */
function adapt(model: tk.BertForSequenceClassification, mode: BenchMode): tk.Module {
  if (mode === "full") return model;
  if (mode === "head") {
    tk.freezeAll(model);
    tk.setTrainable(model, ["classifier"], true);
    return model;
  }
  return lora({ r: 8, alpha: 16, targetModules: ["query", "value"] }).apply(model);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as CaseSpec;
  const base = benchModel(spec.sizes);
  const line: Record<string, unknown> = {
    backend: spec.backend,
    mode: spec.mode,
    L: spec.sizes.layers,
    H: spec.sizes.hidden,
    batch: spec.sizes.batch,
    seq: spec.sizes.seq,
    ...(spec.optimizerOnHost ? { optimizer: "host" } : {}),
  };
  const model = adapt(base, spec.mode);
  const { backend, topOps } = await makeBackend(spec);
  const params = model.parameters();
  const runner = new tk.TrainStepRunner({
    backend,
    params,
    forward: benchForward(model as tk.BertForSequenceClassification),
    optimizer: tk.adamw({ weightDecay: 0.01 }),
    ...(spec.optimizerOnHost ? { optimizerOnHost: true } : {}),
  });
  const batch = benchBatch(spec.sizes);
  let t = performance.now();
  const first = await runner.step(batch, { lr: 1e-5 });
  const compileS = (performance.now() - t) / 1000;
  for (let i = 0; i < spec.warmup; i++) await runner.step(batch, { lr: 1e-5 });
  // A MatMul-peak probe timed right after each step: the same load hits both, so
  // of_matmul_peak stays meaningful on a shared machine.
  // Peak RSS is read here, before the probe's own matrices exist: compile, first step and
  // warm-up have run (later steps do not grow memory: memory.test.ts in backend-onnx).
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const probe = spec.probePeak ? await createMatmulProbe(spec.threads) : undefined;
  const times: number[] = [];
  const probeTimes: number[] = [];
  let last = first.loss;
  for (let i = 0; i < spec.steps; i++) {
    t = performance.now();
    last = (await runner.step(batch, { lr: 1e-5 })).loss;
    times.push((performance.now() - t) / 1000);
    if (probe) probeTimes.push(await probe.time());
  }
  probe?.dispose();
  const stepS = median(times);
  const gflops = stepFlops(spec.sizes, spec.mode) / stepS / 1e9;
  const peak = probe && probeTimes.length > 0 ? probe.flops / median(probeTimes) / 1e9 : undefined;
  const tokens = spec.sizes.batch * spec.sizes.seq;
  const ops = topOps ? await topOps() : undefined;
  await runner.dispose();
  backend.dispose();
  console.log(
    JSON.stringify({
      ...line,
      trainable_params: params.filter((p) => p.trainable).reduce((n, p) => n + tk.sizeOf(p.value.shape), 0),
      steps: spec.steps,
      step_s: +stepS.toFixed(4),
      step_s_min: +Math.min(...times).toFixed(4),
      tokens_per_s: +(tokens / stepS).toFixed(1),
      gflops: +gflops.toFixed(1),
      ...(peak === undefined
        ? {}
        : { matmul_peak_gflops: +peak.toFixed(1), of_matmul_peak: +(gflops / peak).toFixed(3) }),
      peak_rss_mb: probe ? peakRssMb : Math.round(process.resourceUsage().maxRSS / 1024),
      first_step_s: +compileS.toFixed(2),
      loss_first: +first.loss.toFixed(5),
      loss_last: +last.toFixed(5),
      ...(ops === undefined ? {} : { top_ops: ops }),
    }),
  );
}

await main();
