import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { TrainStepState } from "./train-step-runner-types.js";
import { accumulatorInputName } from "./train-step-names.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

/**
 * Checks a {@link TrainStepState} against the runner it is restored into: step counters,
 * optimizer state names (`<param>::<slot>`), accumulator names, and every tensor's shape
 * and dtype against its parameter's. Throws `CHECKPOINT_MISMATCH` naming what differs.
 *
 * @example
 * ```ts
 * checkTrainStepState(state, { accumulation: 1, stateNames: ["w::m", "w::v"], shapes: new Map([["w", [2, 3]]]) });
 * ```
 */
export function checkTrainStepState(
  state: TrainStepState,
  expected: {
    readonly accumulation: number;
    readonly stateNames: readonly string[];
    readonly shapes: ReadonlyMap<string, readonly number[]>;
  },
): void {
  const step = state.step;
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(state.microStep) || state.microStep < 0) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `TrainStepRunner.setState: step and microStep must be non-negative integers, got ${step} and ${state.microStep}`,
    );
  }
  if (state.microStep >= expected.accumulation) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `TrainStepRunner.setState: microStep ${state.microStep} must be below gradientAccumulation ${expected.accumulation}`,
    );
  }
  const names = [...expected.stateNames].sort();
  const got = Object.keys(state.optimizer).sort();
  if (names.join("\n") !== got.join("\n")) {
    const missing = names.filter((n) => !(n in state.optimizer));
    const extra = got.filter((n) => !expected.stateNames.includes(n));
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `TrainStepRunner.setState: optimizer state names differ; missing: ${missing.join(", ") || "(none)"}; unexpected: ${extra.join(", ") || "(none)"}`,
    );
  }
  const shapes = expected.shapes;
  const checkShape = (name: string, t: HostTensor, param: string): void => {
    const want = shapes.get(param);
    if (!want || t.dtype !== "float32" || fmt(t.shape) !== fmt(want)) {
      throw new TunekitError(
        "CHECKPOINT_MISMATCH",
        `TrainStepRunner.setState: "${name}" is ${t.dtype}${fmt(t.shape)}, expected float32${fmt(want ?? [])}`,
      );
    }
  };
  for (const name of got) checkShape(name, state.optimizer[name]!, name.slice(0, name.lastIndexOf("::")));
  for (const [name, t] of Object.entries(state.accumulators)) {
    const param = name.slice(0, name.lastIndexOf("::"));
    if (accumulatorInputName(param) !== name || !shapes.has(param)) {
      throw new TunekitError(
        "CHECKPOINT_MISMATCH",
        `TrainStepRunner.setState: unknown accumulator "${name}"`,
      );
    }
    checkShape(name, t, param);
  }
}
