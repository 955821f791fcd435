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
import {
  type BenchMode,
  type BenchSizes,
  benchBatch,
  benchForward,
  benchModel,
  stepFlops,
} from "./bert-case.js";
import { timeTrainSteps, timingFields } from "./time-steps.js";

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
  /** With optimizerOnHost: threads of the host update (TrainStepRunner's `hostThreads`). */
  readonly hostThreads?: number;
  /** tfjs only: `keepOnDevice` (parameters and AdamW state stay tf.Tensors between steps). */
  readonly tfjsKeepOnDevice?: boolean;
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
      ...(spec.tfjsKeepOnDevice ? { keepOnDevice: true } : {}),
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
    ...(spec.optimizerOnHost ? { optimizer: "host", host_threads: spec.hostThreads ?? 1 } : {}),
  };
  const model = adapt(base, spec.mode);
  const { backend, topOps } = await makeBackend(spec);
  const params = model.parameters();
  const runner = new tk.TrainStepRunner({
    backend,
    params,
    forward: benchForward(model as tk.BertForSequenceClassification),
    optimizer: tk.adamw({ weightDecay: 0.01 }),
    ...(spec.optimizerOnHost ? { optimizerOnHost: true, hostThreads: spec.hostThreads ?? 1 } : {}),
  });
  const batch = benchBatch(spec.sizes);
  const timing = await timeTrainSteps(runner, batch, spec);
  const deviceResident = runner.deviceResident;
  const ops = topOps ? await topOps() : undefined;
  await runner.dispose();
  backend.dispose();
  console.log(
    JSON.stringify({
      ...line,
      trainable_params: params.filter((p) => p.trainable).reduce((n, p) => n + tk.sizeOf(p.value.shape), 0),
      ...(deviceResident ? { device_resident: true } : {}),
      ...timingFields(timing, stepFlops(spec.sizes, spec.mode), spec.sizes.batch * spec.sizes.seq),
      ...(ops === undefined ? {} : { top_ops: ops }),
    }),
  );
}

await main();
