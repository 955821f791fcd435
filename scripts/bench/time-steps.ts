/**
 * The timing loop of the training-step bench cases (BERT in case.ts, causal LMs in
 * causal-lm-case.ts): first step (compile), warm-up, then timed steps, each followed by an
 * optional MatMul-peak probe, and the JSON fields that report them.
 */
import type * as tk from "@tunekit/core";
import { createMatmulProbe } from "./matmul-probe.js";

/** How many steps to run and whether to probe the MatMul peak after each. */
export interface StepTimingSpec {
  readonly warmup: number;
  readonly steps: number;
  readonly threads: number;
  /** Time a 2048³ ORT MatMul after each timed step (interleaved). */
  readonly probePeak: boolean;
}

/** What {@link timeTrainSteps} measured. */
export interface StepTiming {
  readonly steps: number;
  /** Seconds of each timed step. */
  readonly times: readonly number[];
  /** The first step's seconds (graph compilation included). */
  readonly firstStepS: number;
  readonly firstLoss: number;
  readonly lastLoss: number;
  /** Peak RSS in MiB, read before the probe's matrices exist (after the timed steps when not probing). */
  readonly peakRssMb: number;
  /** The MatMul peak in GFLOP/s (median of the interleaved probes), when probed. */
  readonly peakGflops: number | undefined;
}

/** The median of `xs` (the mean of the two middle values for an even count). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const peakRss = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Runs and times `runner`'s steps on one fixed `batch` at learning rate 1e-5. */
export async function timeTrainSteps(
  runner: tk.TrainStepRunner,
  batch: Readonly<Record<string, tk.HostTensor>>,
  spec: StepTimingSpec,
): Promise<StepTiming> {
  const lr = { lr: 1e-5 };
  let t = performance.now();
  const first = await runner.step(batch, lr);
  const firstStepS = (performance.now() - t) / 1000;
  for (let i = 0; i < spec.warmup; i++) await runner.step(batch, lr);
  // A MatMul-peak probe timed right after each step: the same load hits both, so
  // of_matmul_peak stays meaningful on a shared machine.
  // Peak RSS is read here, before the probe's own matrices exist: compile, first step and
  // warm-up have run (later steps do not grow memory: memory.test.ts in backend-onnx).
  const rssBeforeProbe = peakRss();
  const probe = spec.probePeak ? await createMatmulProbe(spec.threads) : undefined;
  const times: number[] = [];
  const probeTimes: number[] = [];
  let lastLoss = first.loss;
  for (let i = 0; i < spec.steps; i++) {
    t = performance.now();
    lastLoss = (await runner.step(batch, lr)).loss;
    times.push((performance.now() - t) / 1000);
    if (probe) probeTimes.push(await probe.time());
  }
  probe?.dispose();
  return {
    steps: spec.steps,
    times,
    firstStepS,
    firstLoss: first.loss,
    lastLoss,
    peakRssMb: probe ? rssBeforeProbe : peakRss(),
    peakGflops: probe && probeTimes.length > 0 ? probe.flops / median(probeTimes) / 1e9 : undefined,
  };
}

/**
 * The JSON fields of a timed run: median and best step, tokens/s, GFLOP/s of `stepFlops`
 * (and its fraction of the MatMul peak when probed), peak RSS, first step and losses.
 */
export function timingFields(timing: StepTiming, stepFlops: number, tokens: number): Record<string, unknown> {
  const stepS = median(timing.times);
  const gflops = stepFlops / stepS / 1e9;
  const peak = timing.peakGflops;
  return {
    steps: timing.steps,
    step_s: +stepS.toFixed(4),
    step_s_min: +Math.min(...timing.times).toFixed(4),
    tokens_per_s: +(tokens / stepS).toFixed(1),
    gflops: +gflops.toFixed(1),
    ...(peak === undefined
      ? {}
      : { matmul_peak_gflops: +peak.toFixed(1), of_matmul_peak: +(gflops / peak).toFixed(3) }),
    peak_rss_mb: timing.peakRssMb,
    first_step_s: +timing.firstStepS.toFixed(2),
    loss_first: +timing.firstLoss.toFixed(5),
    loss_last: +timing.lastLoss.toFixed(5),
  };
}
