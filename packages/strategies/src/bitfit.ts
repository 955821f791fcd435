import { type Strategy, TunekitError } from "@tunekit/core";
import { type FreezeOptions, trainOnly } from "./freeze.js";
import { modulesToSavePaths } from "./peft/modules-to-save.js";

/**
 * BitFit (Ben Zaken et al., 2022): only the bias terms train (every parameter named
 * `….bias`, LayerNorm biases included) plus the head; weights are frozen. Trained biases
 * are fresh Parameter objects, so the base model keeps its values.
 *
 * @example
 * ```ts
 * const adapted = bitfit().apply(model);
 * ```
 */
export function bitfit(options: FreezeOptions = {}): Strategy {
  const head = [...(options.head ?? ["classifier"])];
  if (head.some((h) => typeof h !== "string" || h === "")) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `bitfit: head must be a list of module names, got ${JSON.stringify(head)}`,
    );
  }
  return {
    method: "bitfit",
    options: { head },
    apply(model) {
      // an explicit head that names no module is a mistake (the default fits models without a classifier)
      const missing =
        options.head === undefined ? [] : head.filter((h) => modulesToSavePaths(model, [h]).length === 0);
      if (missing.length > 0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `bitfit: head ${JSON.stringify(missing)} names no module of the model; expected module names such as "classifier"`,
        );
      }
      return trainOnly(model, (path) => path.endsWith(".bias") || path === "bias", head);
    },
  };
}
