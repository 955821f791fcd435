import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { readSafetensorsFile, writeSafetensorsFile } from "@tunekit/core";
import { writeFileAtomic } from "@tunekit/core/io";
import { applyOverrides, type CommandContext, type ConfigOverride } from "../command.js";
import { ConfigValidator, isRecord } from "../config/validate.js";
import { formatTable } from "../format-table.js";
import { EXIT, runCli } from "../run-cli.js";
import { isDecoderFolder } from "../config/causal-lm-config.js";
import { MERGEABLE_METHODS } from "../setup/adapted-run.js";
import { MODEL_DIR, RUN_FILE, writeJson } from "../setup/run-files.js";

const STAGE_KEYS = [
  "name",
  "description",
  "data",
  "task",
  "tasks",
  "sampling",
  "batching",
  "strategy",
  "training",
];
/** Strategies whose trained model is a plain BERT folder the next stage starts from. */
const PLAIN_METHODS = ["full", "head-only", "bitfit"];

/** One stage's outcome, as `stages.json` records it. */
interface StageResult {
  readonly stage: number;
  readonly name: string;
  readonly output: string;
  readonly strategy: string;
  readonly steps: number;
  readonly metric: string | undefined;
  readonly score: number | undefined;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * `tunekit train` on a config with `stages`: each stage is a train config of its own (its
 * `data` / `tasks`, `strategy` and `training` over the top level's), run in order into
 * `OUTPUT/stage-<i>-<name>`; stage i+1 starts from stage i's model (a LoRA / IA3 stage is
 * merged first). Prints each stage's metrics and how much of stage 1's score the final
 * encoder forgot (stage 1's head on the final encoder, on stage 1's evaluation split).
 *
 * @example
 * ```ts
 * if (isRecord(raw) && raw.stages !== undefined) return runStages(ctx, raw, path, overrides, flags);
 * ```
 */
export async function runStages(
  ctx: CommandContext,
  raw: Record<string, unknown>,
  path: string,
  overrides: readonly ConfigOverride[],
  flags: { readonly resume: boolean; readonly overwrite: boolean },
): Promise<number> {
  const started = performance.now();
  const v = new ConfigValidator(path);
  const configDir = dirname(path);
  const top = applyOverrides(
    raw,
    overrides.filter((o) => o.path[0] === "output"),
  ) as Record<string, unknown>;
  const stages = top.stages;
  if (!Array.isArray(stages) || stages.length < 2) {
    v.fail(
      "stages",
      stages,
      'a list of at least 2 stages, e.g. [{ "name": "intermediate", "data": ... }, { "name": "target", "data": ... }]',
    );
  }
  for (const key of ["data", "task", "tasks", "sampling", "batching"]) {
    if (top[key] !== undefined)
      v.fail(key, top[key], "to be left out when stages is given (each stage has its own data)");
  }
  const output = resolve(ctx.io.cwd, v.string("output", top.output));
  const note = (line: string): void => ctx.io.stderr(`${line}\n`);
  const specs = (stages as unknown[]).map((s, i) => {
    const stage = v.object(`stages[${i}]`, s);
    v.knownKeys(`stages[${i}]`, stage, STAGE_KEYS);
    const name = v.string(`stages[${i}].name`, stage.name ?? `stage${i + 1}`);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
      v.fail(`stages[${i}].name`, name, "1-64 letters, digits, '_' or '-'");
    const strategy = stage.strategy ?? top.strategy ?? "full";
    const method =
      typeof strategy === "string" ? strategy : isRecord(strategy) ? String(strategy.method) : "?";
    if (
      i < (stages as unknown[]).length - 1 &&
      !PLAIN_METHODS.includes(method) &&
      !MERGEABLE_METHODS.includes(method)
    ) {
      v.fail(
        `stages[${i}].strategy`,
        strategy,
        `a strategy the next stage can start from: ${[...PLAIN_METHODS, ...MERGEABLE_METHODS].join(", ")} (adapter modules of other methods are only for the last stage)`,
      );
    }
    if (decoderStage(top.model, stage, configDir)) {
      v.fail(
        `stages[${i}]`,
        "{...}",
        "BERT stages: a decoder (a Llama-family model.path, task causal-lm or data.jsonl) trains in one run without stages",
      );
    }
    return { name, method, stage };
  });

  await mkdir(output, { recursive: true });
  const results: StageResult[] = [];
  let modelPath: unknown = absolutePaths({ model: top.model }, configDir).model;
  for (const [i, { name, method, stage }] of specs.entries()) {
    const dir = join(output, `stage-${i + 1}-${name}`);
    const { stages: _s, description: _d, ...base } = top;
    const { name: _n, description: _sd, training, ...own } = stage;
    const merged = applyOverrides(
      {
        ...base,
        ...own,
        model: modelPath,
        training: {
          ...(isRecord(base.training) ? base.training : {}),
          ...(isRecord(training) ? training : {}),
        },
        output: dir,
      },
      overrides.filter((o) => o.path[0] !== "output"),
    );
    const stageConfig = join(output, `stage-${i + 1}-${name}.config.json`);
    await writeFileAtomic(
      stageConfig,
      `${JSON.stringify(absolutePaths(merged as Record<string, unknown>, configDir), null, 2)}\n`,
    );
    const done =
      flags.resume && (await exists(join(dir, "metrics.json"))) && (await exists(join(dir, RUN_FILE)));
    if (done) {
      note(
        `stage ${i + 1}/${specs.length} ${name}: already trained (${relative(ctx.io.cwd, dir) || "."}), skipped`,
      );
    } else {
      note(`\n== stage ${i + 1}/${specs.length}: ${name} (${method}) ==`);
      const args = [
        "train",
        stageConfig,
        "--json",
        ...(flags.resume ? ["--resume"] : []),
        ...(flags.overwrite ? ["--overwrite"] : []),
      ];
      const code = await runCli(args, { ...ctx.io, stdout: () => {} });
      if (code !== EXIT.ok) {
        note(
          `stage ${i + 1} (${name}) failed; fix it and continue with --resume (finished stages are skipped)`,
        );
        return code;
      }
    }
    const summary = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")) as {
      steps: number;
      best: { metric: string } | null;
      savedAs: "plain" | "adapted";
      evaluation: { metrics: Record<string, number> } | null;
    };
    const metric = summary.best?.metric ?? mainMetric(summary.evaluation?.metrics);
    results.push({
      stage: i + 1,
      name,
      output: dir,
      strategy: method,
      steps: summary.steps,
      metric,
      score: metric === undefined ? undefined : summary.evaluation?.metrics[metric],
      metrics: summary.evaluation?.metrics ?? {},
    });
    let next = join(dir, MODEL_DIR);
    if (summary.savedAs === "adapted" && i < specs.length - 1) {
      next = join(dir, "merged");
      const code = await runCli(["merge", dir, "--out", next, "--json"], { ...ctx.io, stdout: () => {} });
      if (code !== EXIT.ok) return code;
      note(`stage ${i + 1}: ${method} merged into ${relative(ctx.io.cwd, next)} for the next stage`);
    }
    modelPath = { path: next };
  }
  const forgetting = await measureForgetting(ctx, results, note);
  const seconds = (performance.now() - started) / 1000;
  const report = { ok: true, command: "train", stages: results, forgetting, seconds };
  await writeJson(join(output, "stages.json"), report);
  if (ctx.json) {
    ctx.io.stdout(`${JSON.stringify(report)}\n`);
    return EXIT.ok;
  }
  const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(4));
  const rows = results.map((r) => [
    String(r.stage),
    r.name,
    r.strategy,
    String(r.steps),
    r.metric ?? "-",
    fmt(r.score),
  ]);
  ctx.io.stdout(
    `trained ${results.length} stages in ${seconds.toFixed(1)}s\n\n${formatTable([["stage", "name", "strategy", "steps", "metric", "score"], ...rows])}\n`,
  );
  if (forgetting !== undefined) {
    ctx.io.stdout(
      `\nstage 1 (${results[0]!.name}) ${forgetting.metric}: ${fmt(forgetting.after)} after stage 1, ${fmt(forgetting.final)} with the final encoder and stage 1's head: ${fmt(forgetting.forgotten)} forgotten\n`,
    );
  }
  ctx.io.stdout(`stages saved in ${relative(ctx.io.cwd, output) || "."}; summary in stages.json\n`);
  return EXIT.ok;
}

/** Stage 1's score with its own head on the last stage's encoder (weights `bert.*`). */
async function measureForgetting(
  ctx: CommandContext,
  results: readonly StageResult[],
  note: (line: string) => void,
): Promise<{ metric: string; after: number; final: number; forgotten: number } | undefined> {
  const first = results[0]!;
  const last = results.at(-1)!;
  if (first.metric === undefined || first.score === undefined || first.metric === "macro") return undefined;
  const lastModel = (await exists(join(last.output, "merged")))
    ? join(last.output, "merged")
    : join(last.output, MODEL_DIR);
  const lastRun = JSON.parse(await readFile(join(last.output, RUN_FILE), "utf8")) as { model: string };
  if (lastRun.model !== "plain" && lastModel === join(last.output, MODEL_DIR)) {
    note(
      `note: the last stage keeps adapter modules (${last.strategy}): forgetting of stage 1 is not measured`,
    );
    return undefined;
  }
  const probe = join(dirname(last.output), "stage-1-head-probe");
  const stage1 = (await readSafetensorsFile(join(first.output, MODEL_DIR, "model.safetensors"))).tensors;
  const final = (await readSafetensorsFile(join(lastModel, "model.safetensors"))).tensors;
  const mixed = new Map(stage1);
  for (const [k, t] of final) if (k.startsWith("bert.") && mixed.has(k)) mixed.set(k, t);
  await mkdir(probe, { recursive: true });
  await writeFileAtomic(
    join(probe, "config.json"),
    await readFile(join(first.output, MODEL_DIR, "config.json"), "utf8"),
  );
  await writeSafetensorsFile(join(probe, "model.safetensors"), Object.fromEntries(mixed), { format: "pt" });
  const out: string[] = [];
  const code = await runCli(["evaluate", first.output, "--model", probe, "--json"], {
    ...ctx.io,
    stdout: (s: string) => void out.push(s),
  });
  if (code !== EXIT.ok) return undefined;
  const r = JSON.parse(out.join("")) as { metrics: Record<string, number> };
  const after = first.score;
  const finalScore = r.metrics[first.metric]!;
  return { metric: first.metric, after, final: finalScore, forgotten: after - finalScore };
}

function mainMetric(metrics: Readonly<Record<string, number>> | undefined): string | undefined {
  if (metrics === undefined) return undefined;
  return ["macro", "accuracy", "pearson"].find((m) => metrics[m] !== undefined);
}

/** Whether a stage would train a decoder (refused: stages chain BERT models). */
function decoderStage(model: unknown, stage: Record<string, unknown>, configDir: string): boolean {
  const path = isRecord(model) && typeof model.path === "string" ? resolve(configDir, model.path) : undefined;
  return (
    (path !== undefined && isDecoderFolder(path)) ||
    stage.task === "causal-lm" ||
    (isRecord(stage.data) && stage.data.jsonl !== undefined)
  );
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** A stage config with every path absolute (resolved against the original config's folder). */
function absolutePaths(raw: Record<string, unknown>, configDir: string): Record<string, unknown> {
  const abs = (p: unknown): unknown => (typeof p === "string" && !isAbsolute(p) ? resolve(configDir, p) : p);
  const data = (d: unknown): unknown => {
    if (!isRecord(d)) return d;
    return {
      ...d,
      baseDir: abs(d.baseDir ?? "."),
      ...(typeof d.config === "string" ? { config: abs(d.config) } : {}),
    };
  };
  const out: Record<string, unknown> = { ...raw };
  if (isRecord(raw.model) && typeof raw.model.path === "string")
    out.model = { ...raw.model, path: abs(raw.model.path) };
  if (raw.tokenizer !== undefined) out.tokenizer = abs(raw.tokenizer);
  if (raw.data !== undefined) out.data = data(raw.data);
  if (Array.isArray(raw.tasks))
    out.tasks = raw.tasks.map((t) => (isRecord(t) ? { ...t, data: data(t.data) } : t));
  return out;
}
