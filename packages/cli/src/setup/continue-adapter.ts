import { join } from "node:path";
import { type Module, readSafetensorsFile, TunekitError } from "@tunekit/core";
import {
  ADAPTER_WEIGHTS_FILE,
  adapterRecordOf,
  assignAdapterTensors,
  readAdapterConfig,
} from "@tunekit/strategies";

/**
 * `tunekit train --adapter DIR`: starts the config's LoRA-family / IA3 strategy from a PEFT
 * adapter folder's weights (a run's `adapter/`, or one PEFT wrote), so training continues it.
 * The folder's `peft_type` must match the strategy and every tensor must fit (strict: missing,
 * unexpected or mis-shaped tensors are a `CHECKPOINT_MISMATCH` error listing them, e.g. another
 * rank `r`). Returns a line for the log.
 *
 * @example
 * ```ts
 * const model = strategy.apply(base);
 * note(await continueAdapter(model, "runs/sst2-lora/adapter"));
 * ```
 */
export async function continueAdapter(adapted: Module, dir: string): Promise<string> {
  const record = adapterRecordOf(adapted);
  if (record === undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `--adapter ${dir}: the config's strategy has no PEFT adapter to start from; --adapter continues a lora / rslora / dora / ia3 strategy (set strategy to the adapter's method and options)`,
    );
  }
  const { peftType } = await readAdapterConfig(dir, () => {});
  if (peftType !== record.peftType) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `--adapter ${dir} holds a ${peftType} adapter but the config's strategy makes a ${record.peftType} one; set strategy to the adapter's method`,
    );
  }
  const path = join(dir, ADAPTER_WEIGHTS_FILE);
  const { tensors } = await readSafetensorsFile(path);
  assignAdapterTensors(adapted, tensors, path);
  return `adapter weights from ${dir} (${tensors.size} tensors): training continues them`;
}
