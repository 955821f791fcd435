import type { ConfigFields } from "../peft/config-fields.js";
import type { PeftTypeHandler } from "../peft/peft-types.js";
import { lora } from "./lora.js";

/** PEFT 0.20's fields of LoRA variants tunekit does not build; null or false in a plain LoRA file. */
const LORA_VARIANT_FIELDS = [
  "alora_invocation_tokens",
  "arrow_config",
  "kasa_config",
  "lora_ga_config",
  "monteclora_config",
  "use_bdlora",
  "velora_config",
] as const;

/**
 * Reads a PEFT `LoraConfig` (`adapter_config.json` with `peft_type: "LORA"`) into a
 * {@link lora} strategy. Unsupported settings that would change the math (`bias` other than
 * `"none"`, per-module `rank_pattern` / `alpha_pattern`, `layers_pattern`) are
 * `CONFIG_INVALID` errors rather than silently different adapters. `fan_in_fan_out` (true for
 * GPT-2's Conv1D layers) needs nothing: tunekit keeps every such weight as `[out, in]`, and
 * the adapter tensors have the same shapes either way.
 *
 * @example
 * ```ts
 * const strategy = LORA_PEFT_TYPE.strategyFromConfig(new ConfigFields(json, "adapter_config.json"));
 * ```
 */
export const LORA_PEFT_TYPE: PeftTypeHandler = {
  peftType: "LORA",
  knownFields: [
    "r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "layers_to_transform",
    "layers_pattern",
    "use_rslora",
    "use_dora",
    "modules_to_save",
    "bias",
    "fan_in_fan_out",
    "init_lora_weights",
    "rank_pattern",
    "alpha_pattern",
    "megatron_config",
    "megatron_core",
    "loftq_config",
    "layer_replication",
    "exclude_modules",
    "lora_bias",
    "use_qalora",
    "qalora_group_size",
    "eva_config",
    "corda_config",
    "trainable_token_indices",
    "runtime_config",
    "target_parameters",
    // newer PEFT LoRA variants, off (null / false) in a plain LoRA file
    ...LORA_VARIANT_FIELDS,
    "ensure_weight_tying",
  ],
  strategyFromConfig(f: ConfigFields) {
    f.unsupportedUnless("bias", ["none"], "bias training is not supported with LoRA files");
    f.boolean("fan_in_fan_out", false);
    f.unsupportedUnless("rank_pattern", [{}], "per-module ranks are not supported");
    f.unsupportedUnless("alpha_pattern", [{}], "per-module alphas are not supported");
    f.unsupportedUnless(
      "layers_pattern",
      [[], "layer", ["layer"], "layers", ["layers"], "h", ["h"]],
      "tunekit's layer lists are BERT's `layer`, Llama's `layers` and GPT-2's `h`",
    );
    f.unsupportedUnless("lora_bias", [false], "LoRA bias terms are not supported");
    f.unsupportedUnless("layer_replication", [[]], "layer replication is not supported");
    f.unsupportedUnless("exclude_modules", [[]], "exclude_modules is not supported");
    f.unsupportedUnless("target_parameters", [[]], "target_parameters is not supported");
    for (const field of LORA_VARIANT_FIELDS) {
      f.unsupportedUnless(field, [null, false], `${field} (a LoRA variant) is not supported`);
    }
    const layers = f.layerIndices("layers_to_transform");
    const saved = f.stringList("modules_to_save");
    // absent or null: the model's own PEFT default (picked by lora() from the architecture it reports)
    const targets = f.namesOrRegex("target_modules");
    return lora({
      r: f.positiveInt("r", 8),
      alpha: f.number("lora_alpha", 8, -1e9, 1e9),
      dropout: f.number("lora_dropout", 0, 0, 0.999999),
      ...(targets === undefined ? {} : { targetModules: targets }),
      ...(layers === undefined ? {} : { layersToTransform: layers }),
      useRslora: f.boolean("use_rslora", false),
      useDora: f.boolean("use_dora", false),
      // null / absent: no saved modules (PEFT writes the SEQ_CLS head names it used)
      modulesToSave: saved ?? [],
    });
  },
};
