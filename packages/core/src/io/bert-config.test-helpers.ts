import { isTunekitError } from "../errors.js";
import { parseBertConfig } from "./hf-config.js";

/**
 * The message of the `CONFIG_INVALID` error `parseBertConfig(json)` throws; fails the test
 * when it accepts the config or throws anything else.
 *
 * @example
 * ```ts
 * expect(bertConfigError({ model_type: "bert" })).toContain("vocab_size");
 * ```
 */
export function bertConfigError(json: unknown): string {
  try {
    parseBertConfig(json);
  } catch (e) {
    if (isTunekitError(e, "CONFIG_INVALID")) return e.message;
    throw e;
  }
  throw new Error("expected CONFIG_INVALID, but the config was accepted");
}
