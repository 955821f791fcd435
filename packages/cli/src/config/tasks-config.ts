import {
  type MixtureBatching,
  TASK_SAMPLING_STRATEGIES,
  type TaskSamplingOptions,
  type TaskSamplingStrategy,
} from "@tunekit/core/data";
import { type CliTask, type DataSpec, parseData } from "./train-config.js";
import type { ConfigValidator } from "./validate.js";

/**
 * One task of a `tasks` mixture in a train config: its name (names its head), data set,
 * optional task kind (else inferred from the data), loss weight and score metric.
 *
 * @example
 * ```ts
 * const t: TaskSpec = { name: "stsb", data: { configPath: "data/stsb.json", baseDir: ".", maxRows: {}, evalSplit: "validation" } };
 * ```
 */
export interface TaskSpec {
  readonly name: string;
  readonly data: DataSpec;
  readonly task?: Exclude<CliTask, "causal-lm">;
  readonly lossWeight?: number;
  readonly metric?: string;
}

/**
 * A train config's multi-task part: `tasks`, `sampling` and `batching`.
 *
 * @example
 * ```ts
 * const m: MixtureSpec = { tasks, sampling: { strategy: "temperature", temperature: 2 }, batching: "mixed" };
 * ```
 */
export interface MixtureSpec {
  readonly tasks: readonly TaskSpec[];
  readonly sampling?: TaskSamplingOptions;
  readonly batching?: MixtureBatching;
}

/** The tasks a mixture's heads learn (a decoder trains on one data set). */
const MIXTURE_TASKS: readonly Exclude<CliTask, "causal-lm">[] = [
  "sequence-classification",
  "regression",
  "token-classification",
];
const TASK_KEYS = ["name", "data", "task", "lossWeight", "metric"];

/**
 * Parses `tasks` (an array of `{ name, data, task?, lossWeight?, metric? }`), `sampling` and
 * `batching` of a train config; every error names the key path, e.g. `tasks[1].data.config`.
 *
 * @example
 * ```ts
 * const mixture = parseMixture(v, raw.tasks, raw.sampling, raw.batching, input);
 * ```
 */
export function parseMixture(
  v: ConfigValidator,
  rawTasks: unknown,
  rawSampling: unknown,
  rawBatching: unknown,
  input: (p: string) => string,
): MixtureSpec {
  if (!Array.isArray(rawTasks) || rawTasks.length === 0) {
    v.fail(
      "tasks",
      rawTasks,
      'a non-empty list of tasks, e.g. [{ "name": "sst2", "data": { "config": "data/sst2.json" } }]',
    );
  }
  const names = new Set<string>();
  const tasks = (rawTasks as unknown[]).map((raw, i): TaskSpec => {
    const at = `tasks[${i}]`;
    const t = v.object(at, raw);
    v.knownKeys(at, t, TASK_KEYS);
    const name = v.string(`${at}.name`, t.name);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
      v.fail(`${at}.name`, name, "1-64 letters, digits, '_' or '-' (it names the task's head)");
    }
    if (names.has(name)) v.fail(`${at}.name`, name, "a name no other task has");
    names.add(name);
    const task = v.oneOf(`${at}.task`, t.task, MIXTURE_TASKS, true);
    const data = parseData(v, t.data, input, `${at}.data`);
    if (data.causalLm !== undefined)
      v.fail(
        `${at}.data.jsonl`,
        "{...}",
        "a data set config or data.tokens: a mixture trains BERT heads, not a decoder",
      );
    const lossWeight = v.number(`${at}.lossWeight`, t.lossWeight, { min: 0, example: 1 }, true);
    const metric = v.string(`${at}.metric`, t.metric, true);
    return {
      name,
      data,
      ...(task === undefined ? {} : { task }),
      ...(lossWeight === undefined ? {} : { lossWeight }),
      ...(metric === undefined ? {} : { metric }),
    };
  });
  const batching = v.oneOf("batching", rawBatching, ["per-task", "mixed"], true);
  const s = v.object("sampling", rawSampling, true);
  let sampling: TaskSamplingOptions | undefined;
  if (s !== undefined) {
    v.knownKeys("sampling", s, ["strategy", "temperature", "cap"]);
    const strategy = v.oneOf<TaskSamplingStrategy>(
      "sampling.strategy",
      s.strategy,
      TASK_SAMPLING_STRATEGIES,
      true,
    );
    // JSON has no Infinity: T = ∞ is sampling.strategy "uniform"
    const t = v.number(
      "sampling.temperature",
      s.temperature,
      { min: 0, exclusiveMin: true, example: 2 },
      true,
    );
    if (t !== undefined && strategy !== undefined && strategy !== "temperature") {
      v.fail("sampling.temperature", t, 'nothing unless sampling.strategy is "temperature"');
    }
    const cap = v.positiveInt("sampling.cap", s.cap, true, 20000);
    sampling = {
      ...(strategy === undefined ? {} : { strategy }),
      ...(t === undefined ? {} : { temperature: t }),
      ...(cap === undefined ? {} : { cap }),
    };
  }
  return {
    tasks,
    ...(sampling === undefined ? {} : { sampling }),
    ...(batching === undefined ? {} : { batching }),
  };
}
