export type {
  ForwardFn,
  ForwardOutputs,
  InputSpec,
  TrainableParameterLike,
  TrainStep,
  TrainStepOptions,
} from "./train-step.js";
export { buildEvalStep, buildTrainStep } from "./train-step.js";
export {
  accumulatorInputName,
  GRAD_NORM_OUTPUT,
  GRAD_SQUARES_OUTPUT,
  gradOutputName,
  LOSS_OUTPUT,
  LR_INPUT,
  newValueName,
  SEED_INPUT,
  STEP_INPUT,
  sparseGradOutputNames,
  stateInputName,
} from "./train-step-names.js";
export type { TrainStepResult, TrainStepRunnerOptions, TrainStepState } from "./train-step-runner.js";
export { TrainStepRunner } from "./train-step-runner.js";
