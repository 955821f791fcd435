export type { CountingRowsOptions } from "./causal-lm-fit.js";
export { countingRows, fitLosses } from "./causal-lm-fit.js";
export type { ConformanceCase, FeedSpec, VjpConformanceCase } from "./conformance-case.js";
export { DEFAULT_ATOL, DEFAULT_RTOL } from "./conformance-case.js";
export { conformanceCases } from "./conformance-cases.js";
export type { Tolerance } from "./conformance-compare.js";
export {
  caseTolerance,
  compareOutputs,
  conformanceFeeds,
  randomHostTensor,
  runConformanceCase,
  runOnce,
} from "./conformance-compare.js";
export {
  buildVjpGraph,
  missingForwardCoverage,
  missingVjpCoverage,
  runVjpConformanceCase,
} from "./conformance-run.js";
export { vjpConformanceCases } from "./conformance-vjp-cases.js";
export type { BackendConformanceOptions } from "./conformance.js";
export { describeBackendConformance } from "./conformance.js";
export { describeDeviceResidency } from "./describe-device-residency.js";
export { toyClassifier, toyClassifierBatch } from "./toy-classifier.js";
export { describeGenerationParity, readGenerationFixture } from "./describe-generation.js";
export { describeMultiTaskTraining } from "./describe-multi-task.js";
export { describeTrainerResume } from "./describe-trainer-resume.js";
export {
  describeFixtureTrainingAgreement,
  FIXTURE_TRAINING_TOLERANCES,
  worstRelativeLossDifference,
} from "./describe-fixture-training.js";
export type { FixtureTrainingOptions, FixtureTrainingResult } from "./fixture-training.js";
export type { HostileOutcome } from "./hostile-input.js";
export { mutateBytes, mutateJson, mutations, randomJsonValue, runHostileCase } from "./hostile-input.js";
export { parityFixtureBatches, trainParityFixture } from "./fixture-training.js";
export type { ParityGroup, ParityReport } from "./parity.js";
export {
  checkParityFolder,
  describeParity,
  findRepoRoot,
  formatParityReport,
  PARITY_GROUPS,
  PARITY_TOLERANCES,
  parityFixtureFolders,
} from "./parity.js";
export { committedParityFixtureFolders, DEFAULT_PARITY_FIXTURES } from "./parity-fixtures.js";
export type { ParityAdamwHyperparameters } from "./parity-adamw.js";
export { parityAdamwStep } from "./parity-adamw.js";
export { applyParityLora, ParityLoraLinear } from "./parity-lora.js";
export type { ParityModelFamily } from "./parity-models.js";
export { parityModelFamily } from "./parity-models.js";
export { encoderParityFamily } from "./parity-encoders.js";
export { globalL2Norm, maxAbsoluteError, maxRelativeError, relativeL2Error } from "./parity-metrics.js";
export {
  byteLevelTokenizer,
  byteLevelTokenizerJson,
  CHATML_TEMPLATE,
} from "../data/causal-lm/test-tokenizer.js";
export type { LoopbackHub, LoopbackRepo, LoopbackRequest } from "./hub-server.js";
export { gitBlobSha1, startHubServer } from "./hub-server.js";
