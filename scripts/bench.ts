/**
 * `npm run bench`: times BERT fine-tuning steps on each backend and prints one JSON line per
 * case (backend, mode, median step seconds, tokens/s, achieved GFLOP/s, peak RSS). Each case
 * runs in its own child process, so peak RSS is per case. Also measures the machine's ORT
 * MatMul peak, runs the PyTorch peer (when python3 + torch are present) and compares the
 * lowered forward with the PyTorch-exported forward on onnxruntime-node.
 *
 * Flags (all optional):
 *   --backends=onnx,tfjs-wasm   --modes=full,head,lora,multitask   --steps=7   --tfjs-steps=5   --warmup=2
 *   (multitask: a 4-task mixed-batch step against a single-task step, full fine-tuning on onnx;
 *   its line's mixed_over_single is the cost ratio, target ≤ 1.15)
 *   --layers=4 --hidden=256 --heads=4 --intermediate=1024 --vocab=30522 --batch=16 --seq=128
 *   --threads=2   --repeat=1 (runs of each case; with more, a median line follows)
 *   --profile (onnx: top op types from onnxruntime's profiler)   --peer-steps=5
 *   --tfjs-keep-on-device (tfjs: keepOnDevice, parameters and AdamW state stay tf.Tensors between steps)
 *   --no-peer   --no-fwd   --no-arena (onnx: onnxruntime's CPU arena off; with the environment variable
 *   MALLOC_MMAP_THRESHOLD_=1048576 this trades about 200 MB of peak RSS for slower steps, see the
 *   backend-onnx README)
 *   --sst2 (also: one epoch of SST-2 train, full fine-tuning, tunekit with length buckets against the
 *   PyTorch peer padding each batch to its longest row; scripts/bench/sst2-case.ts)   --sst2-rows=N (the
 *   first N rows only; a full epoch took 7.6 min for tunekit and 37 min for the peer on 2 cores)
 *   --optimizer-on-host (AdamW in place on the host, one pass per parameter: TrainStepRunner's
 *   optimizerOnHost; the graph returns gradients only)   --host-threads=N (with --optimizer-on-host:
 *   the host update split over N threads, TrainStepRunner's hostThreads)
 *   --no-peak (skip the MatMul peak: the best-of-9 line, and the probe timed after every step
 *   that gives each case's of_matmul_peak under the same load)   --python=PATH (an interpreter with torch; default: the first of
 *   python3, /usr/bin/python3, python that imports torch)
 *   --causal-lm (only the causal-LM cases: full and LoRA r=8 on q_proj/v_proj of a small Llama,
 *   2 layers × 128, vocab 8192, batch 8 × 128, and of a SmolLM2-135M-shaped decoder, 576 hidden,
 *   9 heads, 3 key/value heads, 1536 intermediate, vocab 49152, tied, batch 4 × 128, each next to
 *   the PyTorch peer scripts/bench/causal_lm_peer.py; one summary line per case)
 *   --smol-layers=N (layers of the SmolLM2-135M shape; default 30, all of them); with --causal-lm,
 *   --host-threads, --no-arena and --profile apply to the ONNX causal-LM cases too (they update with
 *   AdamW on the host, in place as the PyTorch peer does; --optimizer-in-graph for the one-graph update), and
 *   --loss-from-logits takes their loss from the whole [B, S, V] logits instead of the chunked
 *   linearCrossEntropy (the A/B of the two)
 * (The 1,000-step memory check is a unit test: packages/backend-onnx/src/memory.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchMode, type BenchSizes, DEFAULT_SIZES } from "./bench/bert-case.js";
import type { CaseSpec } from "./bench/case.js";
import type { FwdSpec } from "./bench/fwd-compare.js";
import type { MultiTaskSpec } from "./bench/multitask-case.js";
import { runCausalLm } from "./bench/causal-lm-run.js";
import { findTorchPython, runPeer } from "./bench/peer.js";

const here = dirname(fileURLToPath(import.meta.url));
const refDir = resolve(here, "../../shared/reference");

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument "${a}"; flags look like --steps=7 (see scripts/bench.ts)`);
    flags.set(m[1]!, m[2] ?? "true");
  }
  return flags;
}

const flags = parseFlags(process.argv.slice(2));
const known = new Set([
  "backends",
  "modes",
  "steps",
  "tfjs-steps",
  "tfjs-keep-on-device",
  "warmup",
  "layers",
  "hidden",
  "heads",
  "intermediate",
  "vocab",
  "batch",
  "seq",
  "threads",
  "repeat",
  "profile",
  "peer-steps",
  "no-peer",
  "no-peak",
  "no-fwd",
  "python",
  "no-arena",
  "optimizer-on-host",
  "optimizer-in-graph",
  "host-threads",
  "sst2",
  "sst2-rows",
  "causal-lm",
  "smol-layers",
  "loss-from-logits",
]);
for (const k of flags.keys()) {
  if (!known.has(k))
    throw new Error(`unknown flag --${k}; known: ${[...known].map((f) => `--${f}`).join(" ")}`);
}
const int = (name: string, fallback: number): number => {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
};
const list = (name: string, fallback: string): string[] => (flags.get(name) ?? fallback).split(",");

const sizes: BenchSizes = {
  layers: int("layers", DEFAULT_SIZES.layers),
  hidden: int("hidden", DEFAULT_SIZES.hidden),
  heads: int("heads", DEFAULT_SIZES.heads),
  intermediate: int("intermediate", DEFAULT_SIZES.intermediate),
  vocab: int("vocab", DEFAULT_SIZES.vocab),
  batch: int("batch", DEFAULT_SIZES.batch),
  seq: int("seq", DEFAULT_SIZES.seq),
};
const backends = list("backends", "onnx,tfjs-wasm") as CaseSpec["backend"][];
const requested = list("modes", "full,head,lora,multitask");
for (const m of requested) {
  if (!["full", "head", "lora", "multitask"].includes(m))
    throw new Error(`--modes: unknown mode "${m}"; expected full, head, lora, multitask`);
}
const modes = requested.filter((m) => m !== "multitask") as BenchMode[];
const multitask = requested.includes("multitask");
for (const b of backends) {
  if (!["onnx", "tfjs-wasm", "tfjs-cpu"].includes(b))
    throw new Error(`--backends: unknown backend "${b}"; expected onnx, tfjs-wasm, tfjs-cpu`);
}
const threads = int("threads", 2);
const repeat = int("repeat", 1);

/** Runs a bench script in a fresh node process (same tsx loader and conditions as this one). */
function child(script: string, arg: unknown): Record<string, unknown>[] {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, join(here, "bench", script), JSON.stringify(arg)],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 3_600_000,
    },
  );
  const lines = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  if (r.status !== 0 || lines.length === 0) {
    return [{ script, error: `exit ${r.status}: ${(r.stderr || "").trim().slice(-600)}` }];
  }
  return lines;
}

/** Whether the ONNX backend's first provider (`TUNEKIT_ONNX_PROVIDERS`) keeps parameters on its device. */
const firstProviderKeepsOnDevice = (): boolean =>
  (process.env.TUNEKIT_ONNX_PROVIDERS ?? "").split(",")[0]?.trim() === "webgpu";
const print = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

if (flags.has("causal-lm")) {
  runCausalLm({
    threads,
    warmup: int("warmup", 1),
    steps: Math.max(3, int("steps", 5)),
    peerSteps: int("peer-steps", 3),
    smolLayers: int("smol-layers", 30),
    probePeak: !flags.has("no-peak"),
    // As PyTorch's AdamW (the peer), in place: the causal-LM cases update on the host unless
    // --optimizer-in-graph asks for the one-graph update.
    // On a provider that keeps parameters on its device (WebGPU), the in-graph update keeps them there.
    optimizerOnHost: !flags.has("optimizer-in-graph") && !firstProviderKeepsOnDevice(),
    hostThreads: Number(flags.get("host-threads") ?? 1),
    profile: flags.has("profile"),
    lossFromLogits: flags.has("loss-from-logits"),
    noArena: flags.has("no-arena"),
    python: flags.has("no-peer") ? undefined : findTorchPython(flags.get("python")),
    refDir,
    child,
    print,
  });
  process.exit(0);
}

/** Medians of the ONNX cases and the peer's lines, for the closing summary line. */
const onnxByMode = new Map<BenchMode, Record<string, number>>();
const peerByMode = new Map<BenchMode, Record<string, unknown>>();
let fwdRatio: number | undefined;

let peak: number | undefined;
if (!flags.has("no-peak")) {
  const [line] = child("peak-case.ts", { threads });
  peak = typeof line?.gflops === "number" ? line.gflops : undefined;
  print({ ...line });
}

for (const backend of backends) {
  for (const mode of modes) {
    const steps = backend === "onnx" ? int("steps", 7) : int("tfjs-steps", 5);
    const spec: CaseSpec = {
      backend,
      mode,
      sizes,
      warmup: int("warmup", backend === "onnx" ? 2 : 1),
      steps: Math.max(5, steps),
      threads,
      probePeak: !flags.has("no-peak"),
      noArena: flags.has("no-arena"),
      optimizerOnHost: flags.has("optimizer-on-host"),
      hostThreads: Number(flags.get("host-threads") ?? 1),
      profile: flags.has("profile") && backend === "onnx",
      tfjsKeepOnDevice: flags.has("tfjs-keep-on-device") && backend !== "onnx",
    };
    const runs: Record<string, unknown>[] = [];
    for (let r = 0; r < repeat; r++) {
      for (const line of child("case.ts", spec)) {
        if (peak !== undefined && typeof line.gflops === "number") {
          line.of_best_matmul_peak = +(line.gflops / peak).toFixed(3);
        }
        runs.push(line);
        print(line);
      }
    }
    const timed = runs.filter((l) => typeof l.step_s === "number");
    // step_s, tokens_per_s and gflops come from one run, the median by step time (the faster of
    // the middle two for an even count), so they stay consistent; other fields are medians.
    const byStep = [...timed].sort((a, b) => (a.step_s as number) - (b.step_s as number));
    const medianRun = byStep[(byStep.length - 1) >> 1];
    const fromRun = (k: string) => medianRun?.[k] as number;
    if (backend === "onnx" && timed.length > 0) {
      const pick = (k: string) => median(timed.map((l) => l[k] as number));
      onnxByMode.set(mode, {
        tokens_per_s: fromRun("tokens_per_s"),
        peak_rss_mb: pick("peak_rss_mb"),
        ...(timed.every((l) => typeof l.of_matmul_peak === "number")
          ? { of_matmul_peak: pick("of_matmul_peak") }
          : {}),
      });
    }
    if (repeat > 1 && timed.length > 1) {
      const pick = (k: string) => median(timed.map((l) => l[k] as number));
      print({
        backend,
        mode,
        median_of_runs: timed.length,
        step_s: fromRun("step_s"),
        tokens_per_s: fromRun("tokens_per_s"),
        gflops: fromRun("gflops"),
        ...(timed.every((l) => typeof l.of_matmul_peak === "number")
          ? { of_matmul_peak: pick("of_matmul_peak") }
          : {}),
        peak_rss_mb: pick("peak_rss_mb"),
      });
    }
  }
}

if (multitask && backends.includes("onnx")) {
  const spec: MultiTaskSpec = {
    sizes,
    warmup: int("warmup", 2),
    steps: Math.max(5, int("steps", 7)),
    threads,
  };
  for (const line of child("multitask-case.ts", spec)) print(line);
}

const python = flags.has("no-peer") && flags.has("no-fwd") ? undefined : findTorchPython(flags.get("python"));
if (!flags.has("no-peer")) {
  if (python) {
    for (const mode of modes) {
      const line = runPeer(python, refDir, sizes, mode, int("peer-steps", 5));
      peerByMode.set(mode, line);
      print(line);
    }
  } else {
    console.error("bench: no python3 with torch found (pass --python=PATH): skipping the PyTorch peer");
  }
}
if (!flags.has("no-fwd")) {
  const isDefault = (Object.keys(sizes) as (keyof BenchSizes)[]).every((k) => sizes[k] === DEFAULT_SIZES[k]);
  if (!python) {
    console.error(
      "bench: no python3 with torch found: skipping the forward comparison with the PyTorch export",
    );
  } else if (!isDefault) {
    console.error("bench: fwd_export.py exports the default sizes only: skipping the forward comparison");
  } else {
    const spec: FwdSpec = { sizes, python, refDir, threads, runs: 11 };
    for (const line of child("fwd-compare.ts", spec)) {
      if (typeof line.ratio === "number") fwdRatio = line.ratio;
      print(line);
    }
  }
}

if (flags.has("sst2") || flags.has("sst2-rows")) {
  const rows = flags.has("sst2-rows") ? int("sst2-rows", 67349) : undefined;
  const spec = {
    ...(rows === undefined ? {} : { rows }),
    threads,
    python: flags.has("no-peer") ? "none" : (python ?? "none"),
  };
  for (const line of child("sst2-case.ts", spec)) print(line);
}

// One closing line: the ONNX cases beside the PyTorch peer of the same run.
if (onnxByMode.size > 0 && (peerByMode.size > 0 || fwdRatio !== undefined)) {
  const modesSummary: Record<string, unknown> = {};
  for (const [mode, ours] of onnxByMode) {
    const peer = peerByMode.get(mode);
    const peerTok = typeof peer?.tokens_per_s === "number" ? peer.tokens_per_s : undefined;
    const peerRss = typeof peer?.peak_rss_mb === "number" ? peer.peak_rss_mb : undefined;
    modesSummary[mode] = {
      onnx_tokens_per_s: ours.tokens_per_s,
      ...(peerTok === undefined
        ? {}
        : { peer_tokens_per_s: peerTok, speedup: +(ours.tokens_per_s! / peerTok).toFixed(2) }),
      ...(ours.of_matmul_peak === undefined ? {} : { of_matmul_peak: ours.of_matmul_peak }),
      onnx_peak_rss_mb: ours.peak_rss_mb,
      ...(peerRss === undefined ? {} : { peer_peak_rss_mb: peerRss }),
    };
  }
  print({
    summary: "onnx (median of runs) vs the PyTorch peer of this run",
    modes: modesSummary,
    ...(fwdRatio === undefined ? {} : { forward_vs_pytorch_export: fwdRatio }),
  });
}
