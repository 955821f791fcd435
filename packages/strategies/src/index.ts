// @tunekit/strategies: adaptation strategies as pure transforms of a module tree.

// --- part 1: LoRA family, IA3, BitFit, freezing, PEFT files, merge, multi-adapter, report ---
export type { LoraLinearOptions } from "./lora/lora-linear.js";
export { LoraLinear, plainLinear } from "./lora/lora-linear.js";
export type { LoraOptions, ResolvedLoraOptions } from "./lora/lora.js";
export { DEFAULT_LORA_TARGET_MODULES, lora, loraPeftConfig, resolveLoraOptions } from "./lora/lora.js";
export { kaimingUniformA, loraDelta, mergedLoraWeight, rowNorms } from "./lora/lora-math.js";
export { LORA_PEFT_TYPE } from "./lora/lora-peft.js";
export { stopGradientNonNegative } from "./lora/stop-gradient.js";
export { Ia3Linear } from "./ia3/ia3-linear.js";
export type { Ia3Options, ResolvedIa3Options } from "./ia3/ia3.js";
export {
  DEFAULT_IA3_FEEDFORWARD_MODULES,
  DEFAULT_IA3_TARGET_MODULES,
  ia3,
  ia3PeftConfig,
} from "./ia3/ia3.js";
export { IA3_PEFT_TYPE } from "./ia3/ia3-peft.js";
export { bitfit } from "./bitfit.js";
export type { FreezeOptions } from "./freeze.js";
export { fullFineTuning, headOnly, lastNLayers, trainableByPattern, trainOnly } from "./freeze.js";
export type { AdapterRecord } from "./peft/adapter-record.js";
export { adapterRecordOf, adapterTensors, PEFT_KEY_PREFIX, recordAdapter } from "./peft/adapter-record.js";
export { ConfigFields } from "./peft/config-fields.js";
export type { InjectedAdapter } from "./peft/inject-adapter.js";
export { injectAdapter } from "./peft/inject-adapter.js";
export type { AdapterConfig, LoadAdapterOptions } from "./peft/load-adapter.js";
export {
  assignAdapterTensors,
  BUILTIN_PEFT_TYPES,
  loadAdapter,
  parseAdapterConfig,
  readAdapterConfig,
} from "./peft/load-adapter.js";
export { DEFAULT_MODULES_TO_SAVE, isUnderModule, modulesToSavePaths } from "./peft/modules-to-save.js";
export type { PeftTypeHandler } from "./peft/peft-types.js";
export { COMMON_PEFT_FIELDS, registeredPeftTypes, registerPeftType } from "./peft/peft-types.js";
export type { SaveAdapterOptions, SavedAdapter } from "./peft/save-adapter.js";
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  saveAdapter,
  serializeAdapter,
} from "./peft/save-adapter.js";
export type { TargetModules, TargetSelection } from "./peft/target-modules.js";
export {
  findTargetLinears,
  layerIndexOf,
  matchesTargetModule,
  targetModulesToJson,
} from "./peft/target-modules.js";
export { maxOutputDifference, mergeAdapter, mergeAndUnload, probeOutput, unmergeAdapter } from "./merge.js";
export {
  loadAdapters,
  MultiAdapterModel,
  traceMixedForward,
} from "./multi-adapter/multi-adapter-model.js";
export type { AdapterForwardContext, AdapterRouting } from "./multi-adapter/multi-lora-layers.js";
export { AdapterDict, MultiHeadLinear, MultiLoraLinear } from "./multi-adapter/multi-lora-layers.js";
export type { StrategyReport, StrategyReportRow } from "./report.js";
export { formatStrategyReport, strategyLabel, strategyReport } from "./report.js";

// --- part 2: bottleneck adapters, Stack/Fusion, prefix and prompt tuning (added by part 2) ---
