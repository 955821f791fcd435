import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "@tunekit/core/data";
import { LOCK_FILE } from "../setup/run-lock.js";
import { REPO } from "./small-run.js";

/** Where a `kill -9` landed, read from the run folder and the last log line at the moment of the kill. */
export type KillSite = "startup" | "training step" | "evaluation" | "checkpoint write" | "final files";

/** The files compared byte for byte between the interrupted runs and the uninterrupted one. */
const COMPARED = ["model/model.safetensors", "model/config.json"] as const;
const CHECKPOINT_FILES = ["model.safetensors", "trainable.safetensors", "optimizer.safetensors"] as const;

/**
 * Options of {@link crashTest}.
 *
 * @example
 * ```ts
 * const options: CrashTestOptions = { kills: 3, seed: 1, trainArgs: ["train", "examples/sst2-tiny.json"] };
 * ```
 */
export interface CrashTestOptions {
  /** Number of `kill -9`s that must land on a running `train` (runs that finish first do not count). */
  readonly kills: number;
  /** Seed of the kill schedule. */
  readonly seed: number;
  /** `train CONFIG ...` arguments, without `--output` / `--resume`. */
  readonly trainArgs: readonly string[];
  /**
   * The command that starts the CLI (default: a snapshot of the built packages, see
   * {@link snapshotBuiltCli}).
   */
  readonly command?: readonly string[];
  /** Share of kills aimed at checkpoint writes (default 0.4). */
  readonly checkpointShare?: number;
  /** An aimed kill comes 0 to this many ms after the unfinished checkpoint folder appears (default 30). */
  readonly aimedDelayMaxMs?: number;
  /** Called after each kill and each finished run (progress lines). */
  readonly log?: (line: string) => void;
}

/**
 * What {@link crashTest} found.
 *
 * @example
 * ```ts
 * const r: CrashTestResult = await crashTest({ kills: 3, seed: 1, trainArgs });
 * r.identical; // true when every interrupted run matched the reference bytes
 * ```
 */
export interface CrashTestResult {
  /** Kills that landed on a running process. */
  readonly kills: number;
  /** Kills per site. */
  readonly sites: Readonly<Record<KillSite, number>>;
  /** Completed interrupted runs (each compared with the reference). */
  readonly runs: number;
  /** Processes started (reference and resumes included). */
  readonly processes: number;
  /** Whether every compared file of every run equals the reference's bytes. */
  readonly identical: boolean;
  /** Mismatches and leftovers, one line each (empty when all is well). */
  readonly problems: readonly string[];
  /** Seconds of the uninterrupted reference run. */
  readonly referenceSeconds: number;
}

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly site?: KillSite;
}

function listSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines[lines.length - 1] ?? "";
}

/** Classifies a kill from the folder's unfinished writes and the process's last log line. */
function siteOf(output: string, stderr: string): KillSite {
  if (listSafe(join(output, "checkpoints")).some((n) => n.endsWith(".tmp") || n.endsWith(".old"))) {
    return "checkpoint write";
  }
  const last = lastLine(stderr);
  const finalTmp = [...listSafe(output), ...listSafe(join(output, "model"))].some((n) => n.endsWith(".tmp"));
  if (finalTmp || /^(loaded the best|trained \d+ steps|saved to)/.test(last)) return "final files";
  if (!/^(step |eval |checkpoint )/m.test(stderr)) return "startup";
  if (last.startsWith("eval ")) return "evaluation";
  if (last.startsWith("checkpoint ")) return "checkpoint write";
  return "training step";
}

/**
 * Starts one `train` and, when `killAt` says so, SIGKILLs it: after `delayMs`, or (`onTmp`) as
 * soon as an unfinished checkpoint folder appears, plus `delayMs`.
 */
function runOnce(
  command: readonly string[],
  args: readonly string[],
  output: string,
  killAt: { readonly mode: "timed" | "onTmp"; readonly delayMs: number } | undefined,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const [exe, ...pre] = command;
    const child: ChildProcess = spawn(exe!, [...pre, ...args], {
      cwd: REPO,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let site: KillSite | undefined;
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timers: NodeJS.Timeout[] = [];
    const kill = (): void => {
      if (child.exitCode !== null || child.signalCode !== null || site !== undefined) return;
      site = siteOf(output, stderr);
      child.kill("SIGKILL");
    };
    if (killAt?.mode === "timed") timers.push(setTimeout(kill, killAt.delayMs));
    if (killAt?.mode === "onTmp") {
      const poll = setInterval(() => {
        if (listSafe(join(output, "checkpoints")).some((n) => n.endsWith(".tmp"))) {
          clearInterval(poll);
          if (killAt.delayMs === 0) kill();
          else timers.push(setTimeout(kill, killAt.delayMs));
        }
      }, 1);
      timers.push(poll);
    }
    child.on("close", (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stderr, ...(site !== undefined && signal === "SIGKILL" ? { site } : {}) });
    });
  });
}

/** Files left behind by unfinished writes, or a lock left by a finished run. */
async function leftovers(dir: string, root = dir): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name.endsWith(".tmp") || entry.name.endsWith(".old") || entry.name === LOCK_FILE) {
      found.push(path.slice(root.length + 1));
    }
    if (entry.isDirectory()) found.push(...(await leftovers(path, root)));
  }
  return found;
}

async function lastCheckpoint(output: string): Promise<string | undefined> {
  const names = (await readdir(join(output, "checkpoints"))).filter((n) => /^checkpoint-\d+$/.test(n));
  names.sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)));
  return names[names.length - 1];
}

/** The bytes compared between runs: the final model and the last checkpoint's weights and optimizer. */
async function fingerprint(output: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const f of COMPARED) files.set(f, await readFile(join(output, f)));
  const last = await lastCheckpoint(output);
  if (last !== undefined) {
    for (const f of CHECKPOINT_FILES) {
      files.set(`checkpoints/${last}/${f}`, await readFile(join(output, "checkpoints", last, f)));
    }
  }
  const metrics = JSON.parse(await readFile(join(output, "metrics.json"), "utf8")) as { trainLoss?: unknown };
  files.set("metrics.json trainLoss", Buffer.from(JSON.stringify(metrics.trainLoss)));
  return files;
}

/**
 * Copies the built packages (`package.json` and `dist/` of each workspace package) into
 * `root`, with a `node_modules` whose `@tunekit/*` entries point at the copies and whose other
 * entries link to the repository's: a CLI that a rebuild in the working tree cannot change
 * half-way through a long crash test. Returns the command that runs the copy's CLI.
 *
 * @example
 * ```ts
 * const command = await snapshotBuiltCli(await mkdtemp(join(tmpdir(), "snap-")));
 * ```
 */
export async function snapshotBuiltCli(root: string): Promise<string[]> {
  const nm = join(root, "node_modules");
  await mkdir(join(nm, "@tunekit"), { recursive: true });
  for (const pkg of await readdir(join(REPO, "packages"))) {
    const from = join(REPO, "packages", pkg);
    if ((await stat(join(from, "dist")).catch(() => undefined)) === undefined) continue;
    const manifest = JSON.parse(await readFile(join(from, "package.json"), "utf8")) as { name: string };
    const to = join(root, "packages", pkg);
    await cp(join(from, "dist"), join(to, "dist"), { recursive: true });
    await cp(join(from, "package.json"), join(to, "package.json"));
    await symlink(to, join(nm, manifest.name));
  }
  for (const entry of await readdir(join(REPO, "node_modules"))) {
    if (entry === "@tunekit" || entry === ".bin") continue;
    await symlink(join(REPO, "node_modules", entry), join(nm, entry));
  }
  return [process.execPath, join(root, "packages/cli/dist/bin.js")];
}

/**
 * Runs `tunekit train` once without interruption, then again and again with random `kill -9`s
 * (some timed at random, some aimed at checkpoint writes), each followed by `--resume`, until
 * `kills` kills have landed. Each interrupted run that completes is compared byte for byte with
 * the uninterrupted one (final model, last checkpoint's weights and optimizer state, mean train
 * loss), and its folder is checked for leftovers (`.tmp` / `.old` entries, a lock).
 *
 * @example
 * ```ts
 * const r = await crashTest({ kills: 3, seed: 7, trainArgs: ["train", "examples/sst2-tiny.json", "--epochs", "4"] });
 * if (!r.identical) console.log(r.problems);
 * ```
 */
export async function crashTest(options: CrashTestOptions): Promise<CrashTestResult> {
  const log = options.log ?? (() => {});
  const rng = mulberry32(options.seed);
  const share = options.checkpointShare ?? 0.4;
  const aimedMax = options.aimedDelayMaxMs ?? 30;
  const root = await mkdtemp(join(tmpdir(), "tunekit-crash-"));
  const command = options.command ?? (await snapshotBuiltCli(join(root, "snapshot")));
  const sites: Record<KillSite, number> = {
    startup: 0,
    "training step": 0,
    evaluation: 0,
    "checkpoint write": 0,
    "final files": 0,
  };
  const problems: string[] = [];
  let processes = 0;
  let kills = 0;
  let runs = 0;
  try {
    const refDir = join(root, "reference");
    const t0 = performance.now();
    const ref = await runOnce(command, [...options.trainArgs, "--output", refDir], refDir, undefined);
    processes++;
    const referenceSeconds = (performance.now() - t0) / 1000;
    if (ref.code !== 0) throw new Error(`the uninterrupted run failed (exit ${ref.code}):\n${ref.stderr}`);
    const reference = await fingerprint(refDir);
    log(`reference run: ${referenceSeconds.toFixed(1)} s, ${reference.size} compared files`);
    const refMs = referenceSeconds * 1000;

    while (kills < options.kills && problems.length < 20) {
      runs++;
      const out = join(root, `run-${runs}`);
      let resume = false;
      for (;;) {
        const aim: "onTmp" | "timed" | undefined =
          kills < options.kills ? (rng() < share ? "onTmp" : "timed") : undefined;
        const killAt =
          aim === undefined
            ? undefined
            : {
                mode: aim,
                delayMs: aim === "onTmp" ? Math.floor(rng() * aimedMax) : Math.floor(rng() * refMs),
              };
        const args = [...options.trainArgs, "--output", out, ...(resume ? ["--resume"] : [])];
        const r = await runOnce(command, args, out, killAt);
        processes++;
        if (r.site !== undefined) {
          kills++;
          sites[r.site]++;
          log(`kill ${kills}/${options.kills} (run ${runs}): ${r.site}`);
          resume = true;
          continue;
        }
        if (r.code !== 0) {
          const tail = r.stderr.split("\n").slice(-25).join("\n");
          problems.push(`run ${runs}: exit ${r.code ?? r.signal} after a kill (${args.join(" ")}):\n${tail}`);
          break;
        }
        const got = await fingerprint(out);
        for (const [name, bytes] of reference) {
          const other = got.get(name);
          if (other === undefined || !other.equals(bytes)) problems.push(`run ${runs}: ${name} differs`);
        }
        for (const name of got.keys()) if (!reference.has(name)) problems.push(`run ${runs}: extra ${name}`);
        for (const left of await leftovers(out)) problems.push(`run ${runs}: left behind ${left}`);
        const ckpts = (await readdir(join(out, "checkpoints"))).length;
        if (ckpts > 2)
          problems.push(`run ${runs}: ${ckpts} checkpoint folders (expected the last and the best)`);
        log(`run ${runs} finished: ${problems.length === 0 ? "identical" : `${problems.length} problem(s)`}`);
        await rm(out, { recursive: true, force: true });
        break;
      }
    }
    const identical = !problems.some((p) => p.includes("differs") || p.includes("exit"));
    return { kills, sites, runs, processes, identical, problems, referenceSeconds };
  } finally {
    if ((await stat(root).catch(() => undefined)) !== undefined)
      await rm(root, { recursive: true, force: true });
  }
}
