/**
 * TF.js-wasm training-step time (full fine-tuning, AdamW, dropout off) for the issue 2 note:
 * the shared parity fixture (bert-tiny-parity, its own 3 × 8 batch) and BERT 4 layers /
 * hidden 256 / 4 heads / intermediate 1024 / vocab 30522 with random weights, batch 16 × 128.
 * Prints, per case and run, the first step (trace + compile + run), the median wall time of
 * the timed steps after warm-up, the median process CPU time of those steps (wasm runs on
 * one thread, so on a busy machine CPU time is the better estimate of an idle machine's wall
 * time) and the 1-minute load average; with --repeat > 1, the medians over runs too.
 *
 * Run: npx tsx --conditions=@tunekit/source scripts/tfjs-step-time.ts [--steps=5] [--warmup=1] [--repeat=3] [--case=tiny,bert4]
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import * as tk from "@tunekit/core";
import type * as trainer from "@tunekit/core/trainer";
import { benchBatch, benchForward, benchModel, DEFAULT_SIZES, stepFlops } from "./bench/bert-case.js";

const flags = new Map(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`unknown argument "${a}"; use --steps=N --warmup=N --repeat=N --case=tiny,bert4`);
    return [m[1]!, m[2]!] as const;
  }),
);
const steps = Number(flags.get("steps") ?? 5);
const warmup = Number(flags.get("warmup") ?? 1);
const repeat = Number(flags.get("repeat") ?? 1);
const cases = (flags.get("case") ?? "tiny,bert4").split(",");

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Setup {
  params: trainer.TrainableParameterLike[];
  forward: trainer.ForwardFn;
  batch: Record<string, tk.HostTensor>;
}

async function setup(name: string): Promise<Setup> {
  if (name === "tiny") {
    const folder = fileURLToPath(new URL("../../shared/reference/bert-tiny-parity", import.meta.url));
    const { model } = await tk.loadBertCheckpoint(folder, { task: "sequence-classification" });
    const { tensors } = await tk.readSafetensorsFile(`${folder}/reference.safetensors`);
    const batch = Object.fromEntries(
      ["input_ids", "attention_mask", "token_type_ids", "labels"].map((k) => [k, tensors.get(k)!]),
    );
    return { params: model.parameters(), forward: benchForward(model), batch };
  }
  if (name === "bert4") {
    const model = benchModel(DEFAULT_SIZES);
    return {
      params: model.parameters(),
      forward: benchForward(model),
      batch: benchBatch(DEFAULT_SIZES),
    };
  }
  throw new Error(`unknown case "${name}"; expected tiny or bert4`);
}

async function runOnce(
  name: string,
): Promise<{ first: number; median: number; cpuMedian: number; loss: number }> {
  const s = await setup(name);
  const backend = await createTfjsBackend({ engine: "wasm", log: () => {} });
  const runner = new tk.TrainStepRunner({
    backend,
    params: s.params,
    forward: s.forward,
    optimizer: tk.adamw({ weightDecay: 0.01, decayFilter: "hf" }),
    clipNorm: 1,
  });
  const times: number[] = [];
  const cpu: number[] = [];
  let loss = 0;
  for (let i = 0; i < 1 + warmup + steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    loss = (await runner.step(s.batch, { lr: 1e-4 })).loss;
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    times.push((performance.now() - t0) / 1000);
  }
  await runner.dispose();
  backend.dispose();
  const timed = 1 + warmup;
  return {
    first: times[0]!,
    median: median(times.slice(timed)),
    cpuMedian: median(cpu.slice(timed)),
    loss,
  };
}

for (const name of cases) {
  const medians: number[] = [];
  const cpuMedians: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const { first, median: m, cpuMedian, loss } = await runOnce(name);
    medians.push(m);
    cpuMedians.push(cpuMedian);
    console.log(
      JSON.stringify({
        case: name,
        backend: "tfjs-wasm",
        mode: "full AdamW",
        run: r + 1,
        firstStepS: +first.toFixed(3),
        medianStepS: +m.toFixed(4),
        medianStepCpuS: +cpuMedian.toFixed(4),
        loadavg1: +loadavg()[0]!.toFixed(2),
        steps,
        warmup,
        loss: +loss.toFixed(5),
      }),
    );
  }
  if (repeat > 1) {
    const m = median(medians);
    const flops = name === "bert4" ? stepFlops(DEFAULT_SIZES, "full") : undefined;
    console.log(
      JSON.stringify({
        case: name,
        medianOfRunsS: +m.toFixed(4),
        runs: medians.map((x) => +x.toFixed(4)),
        medianOfRunsCpuS: +median(cpuMedians).toFixed(4),
        ...(flops ? { gflops: +(flops / m / 1e9).toFixed(2) } : {}),
      }),
    );
  }
}
