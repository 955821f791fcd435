/**
 * Exports that lack TSDoc with an `@example` in packages still being written when the
 * documentation check was introduced, as `<specifier> <name>`. The check tolerates exactly
 * these names; any other undocumented export fails it. Owners: add the TSDoc, then delete
 * the entry (the build lists entries that are no longer needed).
 *
 * @example
 * ```ts
 * partitionDocGaps(findDocGaps(entryPoints), PENDING_DOC_EXPORTS).blocking; // must be []
 * ```
 */
export const PENDING_DOC_EXPORTS: readonly string[] = [
  "@tunekit/core BATCH_INPUTS",
  "@tunekit/core CHECKPOINT_FILES",
  "@tunekit/core EvalLoopOptions",
  "@tunekit/core SCHEDULE_NAMES",
  "@tunekit/core TRAINER_STATE_FORMAT",
  "@tunekit/cli BUILTIN_METHODS",
  "@tunekit/cli CLI_TASKS",
  "@tunekit/cli COMMANDS",
  "@tunekit/cli EXIT",
  "@tunekit/cli KNOWN_METHODS",
  "@tunekit/cli RUN_FILE",
  "@tunekit/cli STRATEGY_EXPORTS",
  "@tunekit/strategies ADAPTER_CONFIG_FILE",
  "@tunekit/strategies ADAPTER_WEIGHTS_FILE",
  "@tunekit/strategies AdapterDict",
  "@tunekit/strategies BUILTIN_PEFT_TYPES",
  "@tunekit/strategies COMMON_PEFT_FIELDS",
  "@tunekit/strategies DEFAULT_IA3_FEEDFORWARD_MODULES",
  "@tunekit/strategies DEFAULT_IA3_TARGET_MODULES",
  "@tunekit/strategies DEFAULT_LORA_TARGET_MODULES",
  "@tunekit/strategies DEFAULT_MODULES_TO_SAVE",
  "@tunekit/strategies PEFT_KEY_PREFIX",
];
