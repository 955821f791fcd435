import type { ConfigFields } from "../peft/config-fields.js";
import type { PeftTypeHandler } from "../peft/peft-types.js";
import { ia3 } from "./ia3.js";

/**
 * Reads a PEFT `IA3Config` (`peft_type: "IA3"`) into an {@link ia3} strategy.
 * `fan_in_fan_out` (true for GPT-2's Conv1D layers) needs nothing: tunekit keeps those
 * weights `[out, in]` and the scaling vectors have the same shapes either way.
 *
 * @example
 * ```ts
 * const strategy = IA3_PEFT_TYPE.strategyFromConfig(new ConfigFields(json, "adapter_config.json"));
 * ```
 */
export const IA3_PEFT_TYPE: PeftTypeHandler = {
  peftType: "IA3",
  knownFields: [
    "target_modules",
    "feedforward_modules",
    "layers_to_transform",
    "layers_pattern",
    "modules_to_save",
    "fan_in_fan_out",
    "init_ia3_weights",
    "exclude_modules",
  ],
  strategyFromConfig(f: ConfigFields) {
    f.boolean("fan_in_fan_out", false);
    f.unsupportedUnless(
      "layers_pattern",
      [[], "layer", ["layer"], "layers", ["layers"], "h", ["h"]],
      "tunekit's layer lists are BERT's `layer`, Llama's `layers` and GPT-2's `h`",
    );
    f.unsupportedUnless("exclude_modules", [[]], "exclude_modules is not supported");
    const layers = f.layerIndices("layers_to_transform");
    // absent or null: the model's own PEFT defaults (picked by ia3() from the architecture it reports)
    const targets = f.namesOrRegex("target_modules");
    const feedforward = f.namesOrRegex("feedforward_modules");
    return ia3({
      ...(targets === undefined ? {} : { targetModules: targets }),
      ...(feedforward === undefined ? {} : { feedforwardModules: feedforward }),
      ...(layers === undefined ? {} : { layersToTransform: layers }),
      modulesToSave: f.stringList("modules_to_save") ?? [],
    });
  },
};
