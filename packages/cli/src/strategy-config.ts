import {
  freezeAll,
  isTunekitError,
  type Module,
  type Strategy,
  type StrategyOptions,
  setTrainable,
  TunekitError,
} from "@tunekit/core";
import { unfreezeAll } from "@tunekit/core/models";
import { ConfigValidator } from "./config/validate.js";

/**
 * The `strategy` block of a config: a method name and its options (passed through to the
 * strategy factory, which validates them).
 *
 * @example
 * ```ts
 * const s: StrategySpec = { method: "lora", options: { r: 8, alpha: 16, targetModules: ["query", "value"] } };
 * ```
 */
export interface StrategySpec {
  readonly method: string;
  readonly options: StrategyOptions;
}

/**
 * Methods the CLI implements itself.
 *
 * @example
 * ```ts
 * BUILTIN_METHODS; // ["full", "head-only"]
 * ```
 */
export const BUILTIN_METHODS = ["full", "head-only"] as const;

/**
 * Config method name → export of `@tunekit/strategies` (a factory `(options) => Strategy`)
 * and options merged under the config's. This table is the one place that maps config names
 * to the strategies package; methods not listed fall back to the camel-cased method name
 * (`my-method` → `myMethod`).
 *
 * @example
 * ```ts
 * STRATEGY_EXPORTS.rslora; // { export: "lora", defaults: { useRslora: true } }
 * ```
 */
export const STRATEGY_EXPORTS: Readonly<
  Record<
    string,
    {
      readonly export: string;
      readonly defaults?: StrategyOptions;
      /** An option passed as the factory's first argument instead (with its default). */
      readonly positional?: { readonly key: string; readonly default: string };
      /** The factory takes the mixture's task names as `tasks` (filled in from a `tasks` config). */
      readonly taskNames?: boolean;
    }
  >
> = {
  lora: { export: "lora" },
  rslora: { export: "lora", defaults: { useRslora: true } },
  dora: { export: "lora", defaults: { useDora: true } },
  ia3: { export: "ia3" },
  bitfit: { export: "bitfit" },
  adapter: { export: "bottleneckAdapter", positional: { key: "architecture", default: "pfeiffer" } },
  "bottleneck-adapter": {
    export: "bottleneckAdapter",
    positional: { key: "architecture", default: "pfeiffer" },
  },
  houlsby: { export: "houlsbyAdapter" },
  pfeiffer: { export: "pfeifferAdapter" },
  "parallel-adapter": { export: "parallelAdapter" },
  prefix: { export: "prefixTuning" },
  "prefix-tuning": { export: "prefixTuning" },
  prompt: { export: "promptTuning" },
  "prompt-tuning": { export: "promptTuning" },
  "hyperformer++": { export: "hyperformerPlusPlus", taskNames: true },
  hyperformer: { export: "hyperformer", taskNames: true },
  "task-adapters": { export: "taskAdapters", taskNames: true },
};

/**
 * Every method name the config accepts (built-in first).
 *
 * @example
 * ```ts
 * KNOWN_METHODS.includes("lora"); // true
 * ```
 */
export const KNOWN_METHODS: readonly string[] = [...BUILTIN_METHODS, ...Object.keys(STRATEGY_EXPORTS)];

/**
 * Parses the `strategy` block: `"full"`, or `{ "method": "lora", ...options }`.
 *
 * @example
 * ```ts
 * parseStrategySpec(new ConfigValidator("train.json"), { method: "lora", r: 8 });
 * // { method: "lora", options: { r: 8 } }
 * ```
 */
export function parseStrategySpec(v: ConfigValidator, raw: unknown): StrategySpec {
  const allowed = `one of ${KNOWN_METHODS.map((m) => `"${m}"`).join(", ")}`;
  if (typeof raw === "string") {
    if (!KNOWN_METHODS.includes(raw)) v.fail("strategy", raw, allowed);
    return { method: raw, options: {} };
  }
  const obj = v.object("strategy", raw);
  const method = obj.method;
  if (typeof method !== "string" || !KNOWN_METHODS.includes(method))
    v.fail("strategy.method", method, allowed);
  const { method: _m, ...options } = obj;
  if (method === "full" && Object.keys(options).length > 0) {
    v.knownKeys("strategy", options, []);
  }
  if (method === "head-only") {
    v.knownKeys("strategy", options, ["trainable"]);
    const t = options.trainable;
    if (t !== undefined && !(Array.isArray(t) && t.every((x) => typeof x === "string" && x !== ""))) {
      v.fail("strategy.trainable", t, 'a list of parameter-name patterns, e.g. ["bert.pooler"]');
    }
  }
  return { method, options };
}

/**
 * What some strategies need besides their options: the run's tokenizer (prompt tuning's
 * `"init": { "text": "…" }` embeds that text's tokens).
 *
 * @example
 * ```ts
 * const strategy = await createStrategy(spec, "train.json", { tokenizer: await loadTokenizer(dir) });
 * ```
 */
export interface StrategyContext {
  readonly tokenizer?: { encode(text: string): { readonly ids: readonly number[] } };
  /** The task names of a `tasks` mixture, in order (hypernetwork and per-task strategies need them). */
  readonly tasks?: readonly string[];
}

/** Prompt tuning's text init in a config is `{ "text": "…" }`: the factory also needs the tokenizer. */
function withTokenizer(
  options: Record<string, unknown>,
  method: string,
  source: string,
  context: StrategyContext,
): void {
  const init = options.init;
  if (typeof init !== "object" || init === null || Array.isArray(init)) return;
  const v = new ConfigValidator(source);
  v.knownKeys("strategy.init", init as Record<string, unknown>, ["text"]);
  const text = (init as { text?: unknown }).text;
  if (typeof text !== "string" || text.trim() === "") {
    v.fail("strategy.init.text", text, 'a non-empty string, e.g. "classify the sentiment of this review"');
  }
  if (context.tokenizer === undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: strategy (${method}): init.text needs the run's tokenizer, which this command did not load; use "init": "random" here`,
    );
  }
  options.init = { text, tokenizer: context.tokenizer };
}

/**
 * Builds the {@link Strategy} for a spec: `full` (everything trainable), `head-only` (only
 * `classifier`, plus any `trainable` patterns), or the factory `@tunekit/strategies` exports
 * for the method (see {@link STRATEGY_EXPORTS}).
 *
 * @example
 * ```ts
 * const strategy = await createStrategy({ method: "head-only", options: {} });
 * const adapted = strategy.apply(model);
 * ```
 */
export async function createStrategy(
  spec: StrategySpec,
  source = "config",
  context: StrategyContext = {},
): Promise<Strategy> {
  if (spec.method === "full") {
    return {
      method: "full",
      options: {},
      apply: <M extends Module>(model: M): M => {
        unfreezeAll(model);
        return model;
      },
    };
  }
  if (spec.method === "head-only") {
    const extra = (spec.options.trainable as readonly string[] | undefined) ?? [];
    return {
      method: "head-only",
      options: { trainable: ["classifier", ...extra] },
      apply: <M extends Module>(model: M): M => {
        freezeAll(model);
        // `classifier`, or every task head's `heads.<task>.classifier` of a multi-task model
        setTrainable(model, [/(^|\.)classifier\./, ...extra], true);
        return model;
      },
    };
  }
  const entry = STRATEGY_EXPORTS[spec.method];
  const exportName = entry?.export ?? camelCase(spec.method);
  const mod = await importStrategies(spec.method);
  const factory = mod[exportName];
  if (typeof factory !== "function") {
    const available = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new TunekitError(
      "NOT_IMPLEMENTED",
      `strategy "${spec.method}": @tunekit/strategies has no export "${exportName}" (yet); ` +
        `its function exports are: ${available.join(", ") || "(none)"}; use "full" or "head-only", or another method`,
    );
  }
  const options: Record<string, unknown> = { ...entry?.defaults, ...spec.options };
  withTokenizer(options, spec.method, source, context);
  if (entry?.taskNames) {
    if (options.tasks === undefined && context.tasks === undefined) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${source}: strategy (${spec.method}) trains one model over several tasks: give the config a tasks mixture (tasks: [{ name, data }, ...])`,
      );
    }
    options.tasks ??= context.tasks;
  }
  const positional = entry?.positional;
  let first: unknown;
  if (positional !== undefined) {
    first = options[positional.key] ?? positional.default;
    delete options[positional.key];
  }
  let strategy: Strategy;
  try {
    strategy =
      positional === undefined
        ? (factory as (options: StrategyOptions) => Strategy)(options)
        : (factory as (first: unknown, options: StrategyOptions) => Strategy)(first, options);
  } catch (e) {
    // The factory validates its options: a bad value is a config error (exit code 2).
    if (isTunekitError(e, "INVALID_ARGUMENT") || isTunekitError(e, "CONFIG_INVALID")) {
      throw new TunekitError("CONFIG_INVALID", `${source}: strategy (${spec.method}): ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  }
  // Factories fill in every option they know, so a key they did not echo back is a typo.
  const known = Object.keys(strategy.options);
  const given = Object.keys(spec.options).filter((k) => k !== positional?.key);
  if (known.length > 0) {
    const v = new ConfigValidator(source);
    v.knownKeys("strategy", Object.fromEntries(given.map((k) => [k, spec.options[k]])), known);
  }
  return strategy;
}

/** `@tunekit/strategies`, loaded on demand (the CLI works without it for `full` / `head-only`). */
async function importStrategies(method: string): Promise<Record<string, unknown>> {
  const name = "@tunekit/strategies";
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (e) {
    throw new TunekitError(
      "NOT_IMPLEMENTED",
      `strategy "${method}" needs the @tunekit/strategies package, which could not be loaded (${(e as Error).message}); ` +
        `use "full" or "head-only", or install @tunekit/strategies`,
      { cause: e },
    );
  }
}

function camelCase(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
