import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CausalLm } from "@tunekit/core";
import { adapterFolderKind, loadAdapter, loadPromptLearningAdapter } from "@tunekit/strategies";

/**
 * Applies a PEFT adapter folder to a causal LM for `generate` / `chat`: prompt or prefix tuning
 * (`PROMPT_TUNING`, `PREFIX_TUNING`) through `loadPromptLearningAdapter`, LoRA / IA3 and the
 * other PEFT types through `loadAdapter` (unknown config fields go to `onWarning`; a missing or
 * broken `adapter_config.json` gets `loadAdapter`'s typed error).
 *
 * @example
 * ```ts
 * const model = await loadDecoderAdapter(base, "runs/chat/adapter", (w) => console.warn(w));
 * ```
 */
export async function loadDecoderAdapter(
  base: CausalLm,
  dir: string,
  onWarning: (message: string) => void,
): Promise<CausalLm> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
  } catch {
    json = undefined;
  }
  if (json !== undefined && adapterFolderKind(json) === "peft-prompt-learning") {
    return loadPromptLearningAdapter(base, dir);
  }
  return loadAdapter(base, dir, { onWarning });
}
