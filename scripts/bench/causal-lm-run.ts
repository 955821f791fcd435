import type { CausalLmSpec } from "./causal-lm-case.js";
import type { CausalLmShape } from "./causal-lm-shape.js";
import { runCausalLmPeer } from "./causal-lm-peer.js";

/** What `npm run bench -- --causal-lm` passes in. */
export interface CausalLmRunOptions {
  readonly threads: number;
  readonly warmup: number;
  readonly steps: number;
  readonly peerSteps: number;
  readonly smolLayers: number;
  readonly probePeak: boolean;
  /** AdamW on the host (TrainStepRunner's `optimizerOnHost`): the ONNX step returns gradients only. */
  readonly optimizerOnHost: boolean;
  /** With `optimizerOnHost`: threads sharing the host update (TrainStepRunner's `hostThreads`). */
  readonly hostThreads: number;
  /** onnxruntime's profiler on the ONNX cases: their lines gain the top op types and nodes. */
  readonly profile: boolean;
  /** The loss from the whole logits instead of the chunked `linearCrossEntropy` (A/B). */
  readonly lossFromLogits: boolean;
  /** onnxruntime's CPU arena off for the ONNX cases. */
  readonly noArena: boolean;
  /** An interpreter with torch, or undefined to skip the peer. */
  readonly python: string | undefined;
  readonly refDir: string;
  readonly child: (script: string, arg: unknown) => Record<string, unknown>[];
  readonly print: (line: Record<string, unknown>) => void;
}

/** The two decoder shapes: a small Llama and SmolLM2-135M's (with `smolLayers` of its 30 layers). */
export function causalLmShapes(smolLayers: number): CausalLmShape[] {
  return [
    {
      name: "small",
      layers: 2,
      fullLayers: 2,
      hidden: 128,
      heads: 4,
      kvHeads: 2,
      intermediate: 512,
      vocab: 8192,
      tied: false,
      batch: 8,
      seq: 128,
    },
    {
      name: "smollm2-135m",
      layers: Math.min(30, smolLayers),
      fullLayers: 30,
      hidden: 576,
      heads: 9,
      kvHeads: 3,
      intermediate: 1536,
      vocab: 49152,
      tied: true,
      batch: 4,
      seq: 128,
    },
  ];
}

/**
 * Times full fine-tuning and LoRA on both shapes (each case in its own process), runs the
 * PyTorch peer of each, and prints every line plus one comparison line per case: tokens/s of
 * both, the speedup, the fraction of the same-run MatMul peak and both peak RSS figures.
 */
export function runCausalLm(o: CausalLmRunOptions): void {
  if (o.python === undefined) {
    console.error(
      "bench: no python3 with torch found (or --no-peer): the causal-LM cases run without the peer",
    );
  }
  for (const shape of causalLmShapes(o.smolLayers)) {
    for (const mode of ["full", "lora"] as const) {
      const spec: CausalLmSpec = {
        shape,
        mode,
        warmup: o.warmup,
        steps: o.steps,
        threads: o.threads,
        probePeak: o.probePeak,
        optimizerOnHost: o.optimizerOnHost,
        hostThreads: o.hostThreads,
        profile: o.profile,
        lossFromLogits: o.lossFromLogits,
        noArena: o.noArena,
      };
      const [ours] = o.child("causal-lm-case.ts", spec);
      if (ours) o.print(ours);
      const peer = o.python
        ? runCausalLmPeer(o.python, o.refDir, shape, mode, o.peerSteps, o.threads)
        : undefined;
      if (peer) o.print(peer);
      const tok = typeof ours?.tokens_per_s === "number" ? ours.tokens_per_s : undefined;
      const peerTok = typeof peer?.tokens_per_s === "number" ? peer.tokens_per_s : undefined;
      if (tok === undefined) continue;
      o.print({
        summary: "causal-lm: onnx vs the PyTorch peer of this run",
        shape: shape.name,
        mode,
        layers: ours?.layers,
        onnx_tokens_per_s: tok,
        ...(peerTok === undefined
          ? {}
          : { peer_tokens_per_s: peerTok, speedup: +(tok / peerTok).toFixed(2) }),
        ...(typeof ours?.of_matmul_peak === "number" ? { of_matmul_peak: ours.of_matmul_peak } : {}),
        onnx_peak_rss_mb: ours?.peak_rss_mb,
        ...(typeof peer?.peak_rss_mb === "number" ? { peer_peak_rss_mb: peer.peak_rss_mb } : {}),
      });
    }
  }
}
