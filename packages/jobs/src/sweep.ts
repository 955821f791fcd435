import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigValidator, parseTrainConfig, readConfigFile } from "@tunekit/cli";
import { hubReferenceOf } from "@tunekit/core/io";

/**
 * One job of a sweep: a complete `tunekit train` config (input paths absolute, no `output`:
 * the worker writes to `STORAGE/<id>`), its deterministic id and the values that vary.
 *
 * @example
 * ```ts
 * const job: SweepJob = { id: "job-3f9c0a1b2c3d4e5f", name: "strategy=lora seed=1", params: { strategy: "lora", "training.seed": 1 }, config: {} };
 * ```
 */
export interface SweepJob {
  /** `job-` + the first 16 hex digits of the SHA-256 of the canonical config: same config, same id. */
  readonly id: string;
  /** The varied values as `key=value` words, e.g. `task=sst2 strategy=lora training.lr=0.001 seed=1`. */
  readonly name: string;
  /** The varied values by dot path (`task` names a sweep task, the rest are config paths). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The train config of this job (JSON-serialisable, absolute input paths, no `output`). */
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * Sweep files expand to at most this many jobs (a typo in a grid should not enqueue millions).
 *
 * @example
 * ```ts
 * if (jobs.length > MAX_SWEEP_JOBS) throw new Error(`a sweep expands to at most ${MAX_SWEEP_JOBS} jobs`);
 * ```
 */
export const MAX_SWEEP_JOBS = 10_000;

const SWEEP_KEYS = ["$schema", "description", "base", "set", "tasks", "strategies", "grid", "list", "seeds"];
const DOT_PATH = /^[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)*$/;
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

/**
 * Reads a sweep file (JSON or YAML, with the CLI's config-file guards) and expands it into
 * its jobs, each validated with the `tunekit train` config validator: a bad value in any
 * job throws `CONFIG_INVALID` naming the job, before anything is submitted.
 *
 * @example
 * ```ts
 * const jobs = await readSweepFile("sweeps/strategies.yaml", process.cwd());
 * console.log(`${jobs.length} jobs`);
 * ```
 */
export async function readSweepFile(file: string, cwd: string): Promise<SweepJob[]> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  return expandSweep(await readConfigFile(path), { source: file, dir: dirname(path), cwd });
}

/**
 * Expands a parsed sweep: `base` (a train config file path or an inline config) with the
 * fixed overrides of `set` (dot path -> value), crossed with
 * `tasks` (named override sets), `strategies` (values of `strategy`), `grid` (dot path ->
 * list of values, every combination), `list` (explicit override sets) and `seeds` (values of
 * `training.seed`), in that order.
 *
 * @example
 * ```ts
 * const jobs = await expandSweep(
 *   { base: "examples/sst2-tiny.json", strategies: ["full", "lora"], seeds: [1, 2] },
 *   { source: "sweep.yaml", dir: process.cwd(), cwd: process.cwd() },
 * ); // 4 jobs
 * ```
 */
export async function expandSweep(
  raw: unknown,
  where: { readonly source: string; readonly dir: string; readonly cwd: string },
): Promise<SweepJob[]> {
  const v = new ConfigValidator(where.source);
  const top = v.object("(top level)", raw);
  v.knownKeys("", top, SWEEP_KEYS);
  const { base, baseDir } = await loadBase(v, top.base, where);

  const axes: { readonly key: string; readonly points: readonly Point[] }[] = [];
  const fixed = top.set === undefined ? [] : overrideSet(v, "set", top.set);
  const tasks = v.object("tasks", top.tasks, true);
  if (tasks !== undefined) {
    const names = Object.keys(tasks);
    if (names.length === 0) v.fail("tasks", tasks, "at least one task: { name: { dot.path: value, ... } }");
    axes.push({
      key: "task",
      points: names.map((name) => ({
        label: name,
        overrides: overrideSet(v, `tasks.${name}`, tasks[name]),
      })),
    });
  }
  if (top.strategies !== undefined) {
    axes.push(valueAxis("strategy", list(v, "strategies", top.strategies), "strategy"));
  }
  const grid = v.object("grid", top.grid, true);
  for (const [key, values] of Object.entries(grid ?? {})) {
    checkPath(v, `grid.${key}`, key);
    axes.push(valueAxis(key, list(v, `grid.${key}`, values), key));
  }
  if (top.list !== undefined) {
    const sets = list(v, "list", top.list);
    axes.push({
      key: "list",
      points: sets.map((s, i) => {
        const overrides = overrideSet(v, `list[${i}]`, s);
        return { label: overrides.map((o) => `${o.path}=${show(o.value)}`).join(" "), overrides };
      }),
    });
  }
  if (top.seeds !== undefined) {
    const seeds = list(v, "seeds", top.seeds);
    seeds.forEach((s, i) => {
      if (!Number.isInteger(s) || (s as number) < 0) v.fail(`seeds[${i}]`, s, "a non-negative integer");
    });
    axes.push(valueAxis("seed", seeds, "training.seed"));
  }
  const total = axes.reduce((n, a) => n * a.points.length, 1);
  if (total > MAX_SWEEP_JOBS) {
    v.fail(
      "(top level)",
      `${total} jobs`,
      `at most ${MAX_SWEEP_JOBS} jobs; split the sweep into several files`,
    );
  }

  const jobs: SweepJob[] = [];
  const seen = new Map<string, string>();
  for (const combo of combinations(axes.map((a) => a.points))) {
    let config: Record<string, unknown> = structuredClone(base);
    for (const o of fixed) config = setPath(config, o.path, o.value);
    const params: Record<string, unknown> = {};
    const words: string[] = [];
    combo.forEach((point, i) => {
      const axis = axes[i]!;
      for (const o of point.overrides) config = setPath(config, o.path, o.value);
      params[axis.key] =
        axis.key === "list" ? Object.fromEntries(point.overrides.map((o) => [o.path, o.value])) : point.label;
      if (axis.points.length > 1)
        words.push(axis.key === "list" ? point.label : `${axis.key}=${point.label}`);
    });
    const name = words.join(" ") || "base";
    delete config.output;
    config = absolutePaths(config, baseDir);
    // the CLI's own validator, with a placeholder output (the worker sets the real one)
    parseTrainConfig(
      { ...config, output: "job" },
      { source: `${where.source} (job ${name})`, configDir: baseDir, cwd: where.cwd },
    );
    const id = jobId(config);
    const twin = seen.get(id);
    if (twin !== undefined) {
      v.fail(
        "(top level)",
        `jobs "${twin}" and "${name}"`,
        "every job to differ (they give the same config)",
      );
    }
    seen.set(id, name);
    jobs.push({ id, name, params: rawParams(params), config });
  }
  return jobs;
}

/**
 * The deterministic id of a train config: `job-` + 16 hex digits of the SHA-256 of its
 * canonical JSON (keys sorted), ignoring `output`.
 *
 * @example
 * ```ts
 * jobId({ training: { lr: 1e-3, seed: 1 } }) === jobId({ training: { seed: 1, lr: 1e-3 } }); // true
 * ```
 */
export function jobId(config: Readonly<Record<string, unknown>>): string {
  const { output: _output, ...rest } = config;
  return `job-${createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 16)}`;
}

interface Override {
  readonly path: string;
  readonly value: unknown;
}
interface Point {
  readonly label: string;
  readonly overrides: readonly Override[];
}

async function loadBase(
  v: ConfigValidator,
  raw: unknown,
  where: { readonly dir: string },
): Promise<{ base: Record<string, unknown>; baseDir: string }> {
  if (typeof raw === "string" && raw !== "") {
    const path = isAbsolute(raw) ? raw : resolve(where.dir, raw);
    const base = await readConfigFile(path);
    if (!isRecord(base)) return v.fail("base", raw, "a train config file holding an object");
    if (base.stages !== undefined)
      v.fail("base", raw, "a one-stage train config (a sweep job has no stages)");
    return { base, baseDir: dirname(path) };
  }
  if (isRecord(raw)) return { base: raw, baseDir: where.dir };
  return v.fail("base", raw, 'a train config file (e.g. "train.json") or an inline train config object');
}

function list(v: ConfigValidator, at: string, raw: unknown): readonly unknown[] {
  if (!Array.isArray(raw) || raw.length === 0) return v.fail(at, raw, "a non-empty list");
  return raw;
}

function valueAxis(key: string, values: readonly unknown[], path: string): { key: string; points: Point[] } {
  return { key, points: values.map((value) => ({ label: show(value), overrides: [{ path, value }] })) };
}

function overrideSet(v: ConfigValidator, at: string, raw: unknown): Override[] {
  const o = v.object(at, raw);
  if (Object.keys(o).length === 0) v.fail(at, o, "at least one dot.path: value");
  return Object.entries(o).map(([path, value]) => {
    checkPath(v, `${at}.${path}`, path);
    return { path, value };
  });
}

function checkPath(v: ConfigValidator, at: string, path: string): void {
  if (!DOT_PATH.test(path) || path.split(".").some((s) => FORBIDDEN_SEGMENTS.has(s))) {
    v.fail(at, path, "a config key path such as training.lr or data.maxRows.train");
  }
  if (path === "output" || path.startsWith("output.")) {
    v.fail(at, path, "any key but output (the worker writes each job to STORAGE/<job id>)");
  }
}

function* combinations<T>(axes: readonly (readonly T[])[]): Generator<T[]> {
  if (axes.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = axes;
  for (const x of first!) for (const tail of combinations(rest)) yield [x, ...tail];
}

function setPath(root: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split(".");
  let node = root;
  for (const k of keys.slice(0, -1)) {
    if (!isRecord(node[k])) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = structuredClone(value);
  return root;
}

/**
 * Makes the input paths of a train config absolute (they resolve against its folder). A
 * `model.path` / `tokenizer` that names no folder here and reads as a Hugging Face Hub id
 * (`org/name[@revision]`) stays as it is: each worker resolves it in its own Hub cache.
 */
function absolutePaths(config: Record<string, unknown>, dir: string): Record<string, unknown> {
  const abs = (p: unknown): unknown =>
    typeof p === "string" && p !== "" && !isAbsolute(p) ? resolve(dir, p) : p;
  const model = (p: unknown): unknown =>
    typeof p === "string" && hubReferenceOf(p, existsSync(resolve(dir, p))) !== undefined ? p : abs(p);
  const out = { ...config };
  if (isRecord(out.model) && out.model.path !== undefined)
    out.model = { ...out.model, path: model(out.model.path) };
  if (out.tokenizer !== undefined) out.tokenizer = model(out.tokenizer);
  const data = (d: unknown): unknown => {
    if (!isRecord(d)) return d;
    return {
      ...d,
      baseDir: abs(d.baseDir ?? "."),
      ...(typeof d.config === "string" ? { config: abs(d.config) } : {}),
    };
  };
  if (out.data !== undefined) out.data = data(out.data);
  if (Array.isArray(out.tasks))
    out.tasks = out.tasks.map((t) => (isRecord(t) ? { ...t, data: data(t.data) } : t));
  return out;
}

function rawParams(p: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isRecord(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function show(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
