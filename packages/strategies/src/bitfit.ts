import type { Strategy } from "@tunekit/core";
import { type FreezeOptions, trainOnly } from "./freeze.js";

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
  return {
    method: "bitfit",
    options: { head },
    apply(model) {
      return trainOnly(model, (path) => path.endsWith(".bias") || path === "bias", head);
    },
  };
}
