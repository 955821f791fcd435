import type { Executable } from "../backend/backend.js";
import { TunekitError } from "../errors.js";
import type { Graph } from "../ir/graph.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { TrainStepRunnerOptions } from "./train-step-runner-types.js";
import type { InputSpec, TrainStep } from "./train-step.js";
import { buildEvalStep, buildTrainStep } from "./train-step.js";
import { newValueName } from "./train-step-names.js";

/**
 * A training step compiled for one batch shape and phase: the traced step and its executable.
 *
 * @example
 * ```ts
 * const { step, exe } = await compileTrainStep(options, specs, "update", { accumulation: 1, keepOnDevice: false });
 * ```
 */
export interface CompiledTrainStep {
  readonly step: TrainStep;
  readonly exe: Executable;
}

/**
 * A forward pass compiled for one batch shape: its executable and the trainable parameters it
 * reads (fed by name each call).
 *
 * @example
 * ```ts
 * const { exe, trainableNames } = await compileEvalStep(options, specs, undefined, trainable);
 * ```
 */
export interface CompiledEvalStep {
  readonly trainableNames: readonly string[];
  readonly exe: Executable;
}

/** Frozen parameters' values, bound as compile-time constants. */
const constantsOf = (graph: Graph, frozen: readonly string[]): Record<string, HostTensor> =>
  Object.fromEntries(frozen.map((n) => [n, graph.parameters.get(n)!.value]));

/**
 * Traces and compiles one training step (`phase` `"update"` or `"accumulate"`) for a batch
 * shape. With `keepOnDevice`, the outputs fed back to the next step (new parameters and state,
 * or new accumulators) are compiled to stay on the backend's device.
 *
 * @example
 * ```ts
 * const { step, exe } = await compileTrainStep(options, specs, "update", { accumulation: 1, keepOnDevice: false });
 * ```
 */
export async function compileTrainStep(
  o: TrainStepRunnerOptions,
  specs: Record<string, InputSpec>,
  phase: "update" | "accumulate",
  how: { readonly accumulation: number; readonly keepOnDevice: boolean },
): Promise<CompiledTrainStep> {
  const step = buildTrainStep({
    params: o.params,
    forward: o.forward,
    inputSpecs: specs,
    optimizer: o.optimizer,
    gradientAccumulation: how.accumulation,
    phase,
    dropout: o.dropout ?? false,
    ...(o.optimizerOnHost ? { optimizerOnHost: true } : {}),
    ...(o.clipNorm === undefined ? {} : { clipNorm: o.clipNorm }),
  });
  const extras = new Set(o.stepOutputs === "loss" ? step.extraOutputNames : []);
  const fedBack = phase === "update" ? [...step.trainableNames, ...step.stateNames] : step.accumulatorNames;
  const exe = await o.backend.compile(step.graph, {
    constants: constantsOf(step.graph, step.frozenNames),
    ...(how.keepOnDevice ? { keepOnDevice: fedBack.map(newValueName) } : {}),
    ...(extras.size > 0 ? { outputs: [...step.graph.outputs.keys()].filter((n) => !extras.has(n)) } : {}),
  });
  return { step, exe };
}

/**
 * Traces and compiles the forward pass alone for a batch shape, computing only `outputs` when
 * given (an unknown name is an `INVALID_ARGUMENT` listing what the forward returns).
 *
 * @example
 * ```ts
 * const { exe } = await compileEvalStep(options, specs, ["loss"], new Set(["classifier.weight"]));
 * ```
 */
export async function compileEvalStep(
  o: TrainStepRunnerOptions,
  specs: Record<string, InputSpec>,
  outputs: readonly string[] | undefined,
  trainable: ReadonlySet<string>,
): Promise<CompiledEvalStep> {
  const { graph, outputNames } = buildEvalStep({ forward: o.forward, inputSpecs: specs });
  const unknown = outputs?.filter((n) => !outputNames.includes(n)) ?? [];
  if (unknown.length > 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `TrainStepRunner.evaluate: the forward has no output ${unknown.map((n) => `"${n}"`).join(", ")}; it returns ${outputNames.join(", ")}`,
    );
  }
  const used = [...graph.params.keys()];
  const exe = await o.backend.compile(graph, {
    constants: constantsOf(
      graph,
      used.filter((n) => !trainable.has(n)),
    ),
    ...(outputs === undefined ? {} : { outputs }),
  });
  return { exe, trainableNames: used.filter((n) => trainable.has(n)) };
}
