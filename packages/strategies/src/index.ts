// @tunekit/strategies: adaptation strategies as pure transforms of a module tree.

// --- LoRA family, IA3, BitFit, freezing, PEFT files, merge, multi-adapter, report ---
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
export { baseModelName, isHubModelId } from "./peft/base-model-name.js";
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
export { adapterTaskFields, adapterTaskType } from "./peft/peft-task-type.js";
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
  layerRestrictedTargets,
  matchesTargetModule,
  targetModulesToJson,
} from "./peft/target-modules.js";
export { DECODER_PEFT_DEFAULTS, decoderModelType, fanInFanOut } from "./peft/decoder-defaults.js";
export { ENCODER_PEFT_DEFAULTS, encoderModelType, peftDefaultsFor } from "./peft/encoder-defaults.js";
export {
  checkMerge,
  maxOutputDifference,
  mergeAdapter,
  mergeAndUnload,
  probeOutput,
  unmergeAdapter,
} from "./merge.js";
export {
  loadAdapters,
  MultiAdapterModel,
  traceMixedForward,
} from "./multi-adapter/multi-adapter-model.js";
export type { AdapterForwardContext, AdapterRouting } from "./multi-adapter/multi-lora-layers.js";
export { AdapterDict, MultiHeadLinear, MultiLoraLinear } from "./multi-adapter/multi-lora-layers.js";
export type { StrategyReport, StrategyReportRow } from "./report.js";
export { formatStrategyReport, strategyLabel, strategyReport } from "./report.js";

// --- bottleneck adapters, Stack/Fusion, prefix and prompt tuning ---
export type { BottleneckAdapterFileConfig, SaveBottleneckAdapterOptions } from "./adapters/adapter-file.js";
export {
  BOTTLENECK_FORMAT,
  bottleneckAdapterContents,
  loadBottleneckAdapter,
  parseBottleneckAdapterConfig,
  saveBottleneckAdapter,
} from "./adapters/adapter-file.js";
export type { AdapterCompositionOptions } from "./adapters/adapter-composition.js";
export { adapterComposition, adapterFusion } from "./adapters/adapter-composition.js";
export { AdapterFusionLayer } from "./adapters/adapter-fusion-layer.js";
export type { AdapterSiteKind } from "./adapters/adapter-site.js";
export { AdapterSite, adapterSites, bertLayerPaths, ModuleTable } from "./adapters/adapter-site.js";
export type {
  AdapterNonLinearity,
  AdapterPlacement,
  BottleneckAdapterOptions,
} from "./adapters/bottleneck-adapter.js";
export {
  ADAPTER_NON_LINEARITIES,
  BottleneckAdapter,
  bottleneckSize,
  MIN_REDUCTION_FACTOR,
} from "./adapters/bottleneck-adapter.js";
export type {
  AdapterArchitecture,
  AdapterArchitectureSpec,
  BottleneckOptions,
  ResolvedBottleneckOptions,
} from "./adapters/bottleneck-strategies.js";
export {
  ADAPTER_ARCHITECTURES,
  bertModelOf,
  bottleneckAdapter,
  houlsbyAdapter,
  parallelAdapter,
  pfeifferAdapter,
} from "./adapters/bottleneck-strategies.js";
export type { AdapterSetup, FuseBlock, StackBlock } from "./adapters/composition.js";
export { Fuse, fusionName, Stack, setupAdapterNames, setupFusions } from "./adapters/composition.js";
export type { AdapterFolderKind } from "./adapters/adapter-folder.js";
export { adapterFolderKind, loadAdapterFolder, saveAdapterFolder } from "./adapters/adapter-folder.js";
export { assignTensorsStrictly } from "./adapters/strict-tensors.js";
export type { FusionFileConfig } from "./adapters/fusion-file.js";
export { FUSION_FORMAT, loadAdapterFusion, saveAdapterFusion } from "./adapters/fusion-file.js";
export type { PrefixEncoderOptions } from "./prefix/prefix-encoder.js";
export { PrefixEncoder } from "./prefix/prefix-encoder.js";
export { PrefixTunedEncoder } from "./prefix/prefix-tuned-encoder.js";
export type { PrefixTuningOptions } from "./prefix/prefix-tuning.js";
export { prefixTunedEncoderOf, prefixTuning } from "./prefix/prefix-tuning.js";
export type { PeftTaskType, PromptLearningSaveOptions } from "./prompt/prompt-learning-peft.js";
export {
  foldedPrefix,
  loadPromptLearningAdapter,
  PROMPT_EMBEDDINGS_KEY,
  PROMPT_LEARNING_HEAD_PREFIX,
  peftTaskType,
  promptLearningContents,
  promptLearningStrategyFromConfig,
  savePromptLearningAdapter,
} from "./prompt/prompt-learning-peft.js";
export type { PromptTuningInit, PromptTuningOptions, PromptInitTokenizer } from "./prompt/prompt-tuning.js";
export { DropVirtualTokens, promptEmbeddingsOf, promptTuning } from "./prompt/prompt-tuning.js";
export { PromptWordEmbeddings } from "./prompt/prompt-word-embeddings.js";

// --- HyperFormer / HyperFormer++: hypernetwork-generated adapters shared by a task mixture ---
export type { GeneratedAdapter } from "./hyperformer/adapter-generators.js";
export { AdapterGenerators, gatherAdapter } from "./hyperformer/adapter-generators.js";
export type { HyperFormerVariant, HypernetworkConfig, SiteAdapters } from "./hyperformer/hypernetwork.js";
export { HYPERFORMER_POSITIONS, HyperFormerHypernetwork } from "./hyperformer/hypernetwork.js";
export { HyperFormerEncoder } from "./hyperformer/hyperformer-encoder.js";
export { applyGeneratedAdapter, HyperFormerSite } from "./hyperformer/hyperformer-site.js";
export type { HyperFormerOptions, ResolvedHyperFormerOptions } from "./hyperformer/hyperformer-strategy.js";
export {
  HYPERFORMER_DEFAULTS,
  hyperformer,
  hyperformerEncoderOf,
  hyperformerPlusPlus,
  hyperformerStrategy,
  hypernetworkOf,
  isHeadPath,
  resolveHyperFormerOptions,
} from "./hyperformer/hyperformer-strategy.js";
export type { RowAdapters } from "./hyperformer/row-adapters.js";
export { resolveTaskIds } from "./hyperformer/row-adapters.js";
export { checkTaskList, checkTaskName, TaskEmbeddings } from "./hyperformer/task-embeddings.js";
export type { TaskProjectorOptions } from "./hyperformer/task-projector.js";
export { TaskProjector } from "./hyperformer/task-projector.js";
export type { HyperFormerFileConfig, SaveHyperFormerOptions } from "./hyperformer/hyperformer-file.js";
export {
  HYPERFORMER_FILES,
  HYPERFORMER_FORMAT,
  hyperformerContents,
  loadHyperFormer,
  parseHyperFormerConfig,
  readHyperFormerConfig,
  saveHyperFormer,
} from "./hyperformer/hyperformer-file.js";
export type { ExportTaskAdapterOptions } from "./hyperformer/hyperformer-export.js";
export {
  exportHyperFormerTaskAdapter,
  hyperformerTaskAdapterContents,
} from "./hyperformer/hyperformer-export.js";
export type { AddHyperFormerTaskOptions } from "./hyperformer/add-task.js";
export { addHyperFormerTask, taskHeadParameters } from "./hyperformer/add-task.js";
export type { HyperFormerTaskFileConfig } from "./hyperformer/task-file.js";
export { HYPERFORMER_TASK_FILES, loadHyperFormerTask, saveHyperFormerTask } from "./hyperformer/task-file.js";
export type { HyperFormerParameterReport } from "./hyperformer/hyperformer-report.js";
export { formatHyperFormerReport, hyperformerParameterReport } from "./hyperformer/hyperformer-report.js";

// --- task adapters: a frozen base with one adapter per task, rows routed by task_ids ---
export type {
  ResolvedTaskAdaptersOptions,
  TaskAdapterSpec,
  TaskAdaptersOptions,
} from "./task-adapters/task-adapters-options.js";
export { resolveTaskAdaptersOptions } from "./task-adapters/task-adapters-options.js";
export {
  taskAdapterParameters,
  taskAdapters,
  taskAdaptersBase,
  taskAdaptersOf,
  taskSeed,
} from "./task-adapters/task-adapters.js";
export { routedSum, taskIdsOf } from "./task-adapters/task-routing.js";
export type { TaskLoraLinearOptions } from "./task-adapters/task-lora-linear.js";
export { TaskLoraLinear } from "./task-adapters/task-lora-linear.js";
export { TaskIa3Linear } from "./task-adapters/task-ia3-linear.js";
export { TaskAdapterSite } from "./task-adapters/task-adapter-site.js";
export { saveTaskAdapter, taskAdapterModel } from "./task-adapters/task-adapter-export.js";
export type { TaskAdaptersParameterReport } from "./task-adapters/task-adapters-report.js";
export {
  formatTaskAdaptersReport,
  taskAdaptersParameterReport,
} from "./task-adapters/task-adapters-report.js";
