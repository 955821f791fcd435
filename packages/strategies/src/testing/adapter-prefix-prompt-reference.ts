import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BertForSequenceClassification,
  type HostTensor,
  loadBertCheckpoint,
  readSafetensorsFile,
  type Strategy,
} from "@tunekit/core";
import { houlsbyAdapter, parallelAdapter, pfeifferAdapter } from "../adapters/bottleneck-strategies.js";
import { prefixTuning } from "../prefix/prefix-tuning.js";
import { promptTuning } from "../prompt/prompt-tuning.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Test support: the shared tiny parity BERT folder and the PyTorch references of bottleneck adapters, prefix and prompt tuning. */
export const PARITY_FOLDER = resolve(here, "../../../../../shared/reference/bert-tiny-parity");
export const REFERENCE_FILE = resolve(here, "../../fixtures/adapter-prefix-prompt-reference.safetensors");

/** The cases of `fixtures/adapter-prefix-prompt-reference.safetensors` and the strategies that reproduce them. */
export const REFERENCE_CASES: Record<string, () => Strategy> = {
  houlsby: () => houlsbyAdapter({ name: "a", reductionFactor: 4 }),
  pfeiffer: () => pfeifferAdapter({ name: "a", reductionFactor: 4 }),
  parallel: () => parallelAdapter({ name: "a", reductionFactor: 4 }),
  prefix: () => prefixTuning({ numVirtualTokens: 4 }),
  prefix_projection: () => prefixTuning({ numVirtualTokens: 4, projection: true, encoderHiddenSize: 16 }),
  prompt: () => promptTuning({ numVirtualTokens: 4 }),
};

/** A loaded case: the adapted model with the case's parameter values, inputs and references. */
export interface ReferenceCase {
  readonly model: BertForSequenceClassification;
  readonly batch: Record<string, HostTensor>;
  readonly logits: HostTensor;
  readonly loss: number;
  /** Reference gradients by parameter path. */
  readonly grads: Map<string, HostTensor>;
  readonly tensors: Map<string, HostTensor>;
}

/** Loads the base model, applies the case's strategy and sets the case's parameters. */
export async function loadReferenceCase(name: string): Promise<ReferenceCase> {
  const { tensors } = await readSafetensorsFile(REFERENCE_FILE);
  const { tensors: ref } = await readSafetensorsFile(`${PARITY_FOLDER}/reference.safetensors`);
  const { model: base } = await loadBertCheckpoint(PARITY_FOLDER, { task: "sequence-classification" });
  const model = REFERENCE_CASES[name]!().apply(base);
  const grads = new Map<string, HostTensor>();
  for (const [key, value] of tensors) {
    if (key.startsWith(`${name}.param.`))
      model.getParameter(key.slice(`${name}.param.`.length)).value = value;
    if (key.startsWith(`${name}.grad.`)) grads.set(key.slice(`${name}.grad.`.length), value);
  }
  const batch = Object.fromEntries(
    ["input_ids", "attention_mask", "token_type_ids", "labels"].map((k) => [k, ref.get(k)!]),
  );
  return {
    model,
    batch,
    logits: tensors.get(`${name}.logits`)!,
    loss: tensors.get(`${name}.loss`)!.data[0]!,
    grads,
    tensors,
  };
}

/** `max|a - b| / max|b|`. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return a.length === b.length ? num / den : Number.POSITIVE_INFINITY;
}

/** `‖a - b‖₂ / ‖b‖₂`. */
export function relativeL2Error(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return a.length === b.length ? Math.sqrt(num / den) : Number.POSITIVE_INFINITY;
}
