import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root (the shared tokenizer is `../shared/...` next to it).
 *
 * @example
 * ```ts
 * const tokenizer = join(REPO, "../shared/tokenizers/bert-base-uncased");
 * ```
 */
export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

const WORDS = [
  "good",
  "bad",
  "great",
  "awful",
  "fine",
  "poor",
  "nice",
  "dull",
  "movie",
  "plot",
  "acting",
  "film",
];

/**
 * Writes a toy sentiment data set (`train.tsv`, `dev.tsv`, 2 labels) and a base train config
 * for a one-layer random BERT into a new temporary folder: a job of a few seconds.
 *
 * @example
 * ```ts
 * const toy = await writeToySweep({ epochs: 6 });
 * await writeFile(join(toy.dir, "sweep.yaml"), "base: base.json\nseeds: [1, 2]\n");
 * ```
 */
export async function writeToySweep(
  o: { readonly epochs?: number; readonly trainRows?: number } = {},
): Promise<{ readonly dir: string; readonly base: string; readonly config: Record<string, unknown> }> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-sweep-"));
  let state = 7;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  for (const [split, rows] of [
    ["train", o.trainRows ?? 32],
    ["dev", 16],
  ] as const) {
    const lines = ["sentence\tlabel"];
    for (let i = 0; i < rows; i++) {
      const words = Array.from({ length: 6 }, () => WORDS[next(WORDS.length)]!);
      lines.push(`${words.join(" ")}\t${next(2)}`);
    }
    await writeFile(join(dir, `${split}.tsv`), `${lines.join("\n")}\n`);
  }
  const config = {
    model: { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64, seed: 0 } },
    tokenizer: join(REPO, "../shared/tokenizers/bert-base-uncased"),
    data: {
      config: {
        name: "toy",
        format: "tsv",
        header: true,
        columns: { text: "sentence", label: "label" },
        labels: ["negative", "positive"],
        labelMap: { "0": "negative", "1": "positive" },
        splits: { train: "train.tsv", validation: "dev.tsv" },
      },
    },
    strategy: "full",
    backend: "onnx",
    training: { lr: 0.001, epochs: o.epochs ?? 3, batchSize: 8, maxLength: 16, seed: 1 },
    output: "unused",
  };
  const base = join(dir, "base.json");
  await writeFile(base, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, base, config };
}

/**
 * Starts `tunekit worker` from the TypeScript sources in a child process (stdout and stderr
 * piped; read them with `output()`).
 *
 * @example
 * ```ts
 * const w = spawnWorker(["--redis", url, "--storage", dir, "--concurrency", "2"]);
 * ```
 */
export function spawnWorker(args: readonly string[]): { readonly child: ChildProcess; output(): string } {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=@tunekit/source",
      join(REPO, "packages/cli/src/bin.ts"),
      "worker",
      ...args,
    ],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
  });
  child.stderr?.on("data", (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
  });
  return { child, output: () => out };
}

/**
 * Sends SIGTERM and waits for the process to exit (SIGKILL after `ms`).
 *
 * @example
 * ```ts
 * await stopProcess(worker.child, 15_000);
 * ```
 */
export async function stopProcess(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolveExit) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveExit();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Polls `check` every `everyMs` until it returns a value other than `undefined`, or throws
 * after `timeoutMs` with `what` and the last `context()`.
 *
 * @example
 * ```ts
 * const rows = await waitFor(() => done(), { timeoutMs: 60_000, what: "6 completed jobs" });
 * ```
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  o: {
    readonly timeoutMs: number;
    readonly what: string;
    readonly everyMs?: number;
    readonly context?: () => string;
  },
): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${o.timeoutMs / 1000}s waiting for ${o.what}\n${o.context?.() ?? ""}`);
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 200));
  }
}
