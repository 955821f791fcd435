import { TunekitError } from "../errors.js";
import { adamw } from "./adamw.js";
import type { Optimizer, OptimizerConfig } from "./optimizer.js";
import { sgd } from "./sgd.js";

/**
 * Rebuilds an optimizer from its JSON config (e.g. from a checkpoint). A config whose
 * `decayFilter` is `"custom"` needs the same filter function passed again as `decayFilter`.
 *
 * @example
 * ```ts
 * const opt = optimizerFromConfig(JSON.parse(JSON.stringify(adamw().config)));
 * ```
 */
export function optimizerFromConfig(
  config: OptimizerConfig,
  decayFilter?: (name: string) => boolean,
): Optimizer {
  const filter = config.decayFilter === "custom" ? decayFilter : config.decayFilter;
  if (filter === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `optimizerFromConfig: config.decayFilter is "custom"; pass the filter function as the second argument`,
    );
  }
  switch (config.type) {
    case "adamw":
      return adamw({ ...config, decayFilter: filter });
    case "sgd":
      return sgd({ ...config, decayFilter: filter });
    default:
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `optimizerFromConfig: unknown type ${JSON.stringify((config as { type?: unknown }).type)}; expected "adamw" or "sgd"`,
      );
  }
}
