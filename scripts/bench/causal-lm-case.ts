/**
 * One causal-LM bench case, run in its own process (so its peak RSS is its own): builds a
 * seeded Llama-family decoder of the given shape, applies the mode (full fine-tuning, or LoRA
 * r=8 on q_proj/v_proj), times training steps on the ONNX backend with a MatMul-peak probe
 * after each step, and prints one JSON line.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/causal-lm-case.ts '<CausalLmSpec as JSON>'
 */
import { createOnnxBackend } from "@tunekit/backend-onnx";
import * as tk from "@tunekit/core";
import { lora } from "@tunekit/strategies";
import { type CausalLmShape, causalLmFlops, shapeConfig } from "./causal-lm-shape.js";
import { createMatmulProbe } from "./matmul-probe.js";

/** What the parent asks one child to time. */
export interface CausalLmSpec {
  readonly shape: CausalLmShape;
  readonly mode: "full" | "lora";
  readonly warmup: number;
  readonly steps: number;
  readonly threads: number;
  readonly probePeak: boolean;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as CausalLmSpec;
  const s = spec.shape;
  const base = new tk.LlamaForCausalLM(tk.parseLlamaConfig(shapeConfig(s)), { seed: 0 });
  const model =
    spec.mode === "full" ? base : lora({ r: 8, alpha: 16, targetModules: ["q_proj", "v_proj"] }).apply(base);
  const backend = await createOnnxBackend({ intraOpNumThreads: spec.threads });
  const params = model.parameters();
  const runner = new tk.TrainStepRunner({
    backend,
    params,
    forward: (_g, x, ctx) => {
      const { logits, loss } = (model as tk.LlamaForCausalLM).forward(
        { inputIds: x.input_ids!, attentionMask: x.attention_mask!, labels: x.labels! },
        ctx,
      );
      return { loss: loss!, logits };
    },
    optimizer: tk.adamw({ weightDecay: 0.01 }),
  });
  const n = s.batch * s.seq;
  const rng = tk.mulberry32(1);
  const ids = Array.from({ length: n }, () => 1 + Math.floor(rng() * (s.vocab - 1)));
  const batch = {
    input_ids: tk.hostTensor("int32", [s.batch, s.seq], ids),
    attention_mask: tk.hostTensor("int32", [s.batch, s.seq], new Array<number>(n).fill(1)),
    labels: tk.hostTensor("int32", [s.batch, s.seq], ids),
  };
  let t = performance.now();
  const first = await runner.step(batch, { lr: 1e-5 });
  const compileS = (performance.now() - t) / 1000;
  for (let i = 0; i < spec.warmup; i++) await runner.step(batch, { lr: 1e-5 });
  // Peak RSS before the probe's own matrices exist (as in case.ts).
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
  const gflops = causalLmFlops(s, spec.mode) / stepS / 1e9;
  const peak = probe && probeTimes.length > 0 ? probe.flops / median(probeTimes) / 1e9 : undefined;
  await runner.dispose();
  backend.dispose();
  console.log(
    JSON.stringify({
      backend: "onnx",
      task: "causal-lm",
      shape: s.name,
      mode: spec.mode,
      layers: s.layers < s.fullLayers ? `${s.layers} of ${s.fullLayers}` : s.layers,
      H: s.hidden,
      V: s.vocab,
      batch: s.batch,
      seq: s.seq,
      trainable_params: params.filter((p) => p.trainable).reduce((k, p) => k + tk.sizeOf(p.value.shape), 0),
      steps: spec.steps,
      step_s: +stepS.toFixed(4),
      tokens_per_s: +(n / stepS).toFixed(1),
      gflops: +gflops.toFixed(1),
      ...(peak === undefined
        ? {}
        : { matmul_peak_gflops: +peak.toFixed(1), of_matmul_peak: +(gflops / peak).toFixed(3) }),
      peak_rss_mb: peakRssMb,
      first_step_s: +compileS.toFixed(2),
      loss_first: +first.loss.toFixed(5),
      loss_last: +last.toFixed(5),
    }),
  );
}

await main();
