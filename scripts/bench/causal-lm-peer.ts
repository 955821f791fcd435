import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CausalLmShape, causalLmFlops, shapeConfig } from "./causal-lm-shape.js";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs the PyTorch peer of a causal-LM case (`causal_lm_peer.py`, built on `torch_llama.py` of
 * the shared reference folder) and returns its JSON line (or a `skipped` line).
 */
export function runCausalLmPeer(
  python: string,
  refDir: string,
  shape: CausalLmShape,
  mode: "full" | "lora",
  steps: number,
  threads: number,
): Record<string, unknown> {
  if (!existsSync(join(refDir, "torch_llama.py"))) {
    return { peer: "pytorch", task: "causal-lm", mode, skipped: `torch_llama.py not found in ${refDir}` };
  }
  const spec = {
    config: shapeConfig(shape),
    batch: shape.batch,
    seq: shape.seq,
    mode,
    steps,
    threads,
    flops: causalLmFlops(shape, mode),
  };
  const r = spawnSync(python, [join(here, "causal_lm_peer.py"), refDir, JSON.stringify(spec)], {
    encoding: "utf8",
    timeout: 3_600_000,
  });
  if (r.status !== 0) {
    return {
      peer: "pytorch",
      task: "causal-lm",
      mode,
      skipped: `causal_lm_peer.py failed: ${(r.stderr || "").trim().slice(-400)}`,
    };
  }
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
}
