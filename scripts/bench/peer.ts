import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BenchMode, BenchSizes } from "./bert-case.js";

/** A python interpreter that can `import torch`, or undefined. */
export function findTorchPython(preferred?: string): string | undefined {
  for (const candidate of [preferred, "python3", "/usr/bin/python3", "python"]) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ["-c", "import torch"], { stdio: "ignore", timeout: 60_000 });
    if (r.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Runs the PyTorch peer (`bench_torch.py` of the shared reference folder) in-process under
 * python and adds its peak RSS; returns its JSON line (or a `skipped` line).
 */
export function runPeer(
  python: string,
  refDir: string,
  sizes: BenchSizes,
  mode: BenchMode,
  steps: number,
): Record<string, unknown> {
  const script = join(refDir, "bench_torch.py");
  if (!existsSync(script)) return { peer: "pytorch", mode, skipped: `${script} not found` };
  const args = [
    sizes.layers,
    sizes.hidden,
    sizes.heads,
    sizes.intermediate,
    sizes.vocab,
    sizes.batch,
    sizes.seq,
    mode,
    steps,
  ].map(String);
  const code = [
    "import sys, runpy, resource, io, contextlib, json",
    `sys.path.insert(0, ${JSON.stringify(refDir)})`,
    `sys.argv = ${JSON.stringify(["bench_torch.py", ...args])}`,
    "buf = io.StringIO()",
    "with contextlib.redirect_stdout(buf):",
    `    runpy.run_path(${JSON.stringify(script)}, run_name="__main__")`,
    "line = json.loads(buf.getvalue().strip().splitlines()[-1])",
    'line["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)',
    "print(json.dumps(line))",
  ].join("\n");
  const r = spawnSync(python, ["-c", code], { encoding: "utf8", cwd: refDir, timeout: 3_600_000 });
  if (r.status !== 0) {
    return {
      peer: "pytorch",
      mode,
      skipped: `bench_torch.py failed: ${(r.stderr || "").trim().slice(-400)}`,
    };
  }
  const last = r.stdout.trim().split("\n").at(-1) ?? "{}";
  return JSON.parse(last) as Record<string, unknown>;
}
