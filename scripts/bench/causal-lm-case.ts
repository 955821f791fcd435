/**
 * One causal-LM bench case, run in its own process (so its peak RSS is its own): builds a
 * seeded Llama-family decoder of the given shape, applies the mode (full fine-tuning, or LoRA
 * r=8 on q_proj/v_proj), times training steps on the ONNX backend with a MatMul-peak probe
 * after each step, and prints one JSON line.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/causal-lm-case.ts '<CausalLmSpec as JSON>'
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import * as tk from "@tunekit/core";
import * as models from "@tunekit/core/models";
import * as data from "@tunekit/core/data";
import { lora } from "@tunekit/strategies";
import { type CausalLmShape, causalLmFlops, shapeConfig } from "./causal-lm-shape.js";
import { profileFields } from "./onnx-profile.js";
import { timeTrainSteps, timingFields } from "./time-steps.js";

/** What the parent asks one child to time. */
export interface CausalLmSpec {
  readonly shape: CausalLmShape;
  readonly mode: "full" | "lora";
  readonly warmup: number;
  readonly steps: number;
  readonly threads: number;
  readonly probePeak: boolean;
  /** AdamW on the host (TrainStepRunner's `optimizerOnHost`). */
  readonly optimizerOnHost?: boolean;
  /** With `optimizerOnHost`: threads sharing the host update. */
  readonly hostThreads?: number;
  /** onnxruntime's profiler on: the line gains the top op types and nodes. */
  readonly profile?: boolean;
  /**
   * The loss from the whole `[B, S, V]` logits (`causalLmLoss`) instead of the model's own
   * chunked `linearCrossEntropy` on the hidden states: the A/B of the two.
   */
  readonly lossFromLogits?: boolean;
  /** onnxruntime's CPU memory arena off (`enableCpuMemArena: false`): freed blocks go back to malloc. */
  readonly noArena?: boolean;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as CausalLmSpec;
  const s = spec.shape;
  const base = new models.LlamaForCausalLM(models.parseLlamaConfig(shapeConfig(s)), { seed: 0 });
  const model =
    spec.mode === "full" ? base : lora({ r: 8, alpha: 16, targetModules: ["q_proj", "v_proj"] }).apply(base);
  const backend = await createOnnxBackend({
    intraOpNumThreads: spec.threads,
    ...(spec.noArena ? { enableCpuMemArena: false } : {}),
    ...(spec.profile
      ? {
          enableProfiling: true,
          profileFilePrefix: join(tmpdir(), `tunekit-bench-${s.name}-${spec.mode}-${process.pid}`),
        }
      : {}),
  });
  const params = model.parameters();
  const runner = new tk.TrainStepRunner({
    backend,
    params,
    forward: (_g, x, ctx) => {
      const { logits, loss } = (model as models.LlamaForCausalLM).forward(
        { inputIds: x.input_ids!, attentionMask: x.attention_mask!, labels: x.labels! },
        ctx,
      );
      return { loss: spec.lossFromLogits ? models.causalLmLoss(logits, x.labels!) : loss!, logits };
    },
    optimizer: tk.adamw({ weightDecay: 0.01 }),
    // As the Trainer: a training step returns the loss, not the [B, S, vocab] logits.
    stepOutputs: "loss",
    ...(spec.optimizerOnHost ? { optimizerOnHost: true, hostThreads: spec.hostThreads ?? 1 } : {}),
  });
  const n = s.batch * s.seq;
  const rng = data.mulberry32(1);
  const ids = Array.from({ length: n }, () => 1 + Math.floor(rng() * (s.vocab - 1)));
  const batch = {
    input_ids: tk.hostTensor("int32", [s.batch, s.seq], ids),
    attention_mask: tk.hostTensor("int32", [s.batch, s.seq], new Array<number>(n).fill(1)),
    labels: tk.hostTensor("int32", [s.batch, s.seq], ids),
  };
  const timing = await timeTrainSteps(runner, batch, spec);
  const deviceResident = runner.deviceResident;
  const profile = spec.profile ? await profileFields(backend, 1 + spec.warmup) : {};
  await runner.dispose();
  backend.dispose();
  console.log(
    JSON.stringify({
      backend: "onnx",
      task: "causal-lm",
      shape: s.name,
      mode: spec.mode,
      ...(spec.optimizerOnHost ? { optimizer: "host", host_threads: spec.hostThreads ?? 1 } : {}),
      loss: spec.lossFromLogits ? "from [B, S, V] logits" : "linearCrossEntropy",
      ...(spec.noArena ? { arena: "off" } : {}),
      ...(deviceResident ? { device_resident: true } : {}),
      layers: s.layers < s.fullLayers ? `${s.layers} of ${s.fullLayers}` : s.layers,
      H: s.hidden,
      V: s.vocab,
      batch: s.batch,
      seq: s.seq,
      trainable_params: params.filter((p) => p.trainable).reduce((k, p) => k + tk.sizeOf(p.value.shape), 0),
      ...timingFields(timing, causalLmFlops(s, spec.mode), n),
      ...profile,
    }),
  );
}

await main();
