import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { writeSafetensorsFile } from "../../io/safetensors-file.js";
import { assignDecoderWeights, readDecoderWeights } from "../causal-lm/decoder-weights.js";
import { stateDict } from "../../modules/state-dict.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import { type Gpt2Config, gpt2ConfigToJson, readGpt2Config } from "./gpt2-config.js";
import { conv1dToHf } from "./gpt2-layers.js";
import { Gpt2LMHeadModel } from "./gpt2-model.js";
import { gpt2ParameterCount } from "./gpt2-parameter-count.js";

/**
 * What {@link loadGpt2Weights} did: parameters loaded, and checkpoint entries deliberately not
 * used (the causal-mask buffers `attn.bias` / `attn.masked_bias`, an `lm_head.weight` copy of
 * the tied embeddings).
 *
 * @example
 * ```ts
 * const { report } = await loadGpt2Checkpoint(dir);
 * console.info(report.loaded.length, "tensors loaded; ignored:", report.ignored.length);
 * ```
 */
export interface Gpt2CheckpointReport {
  readonly loaded: string[];
  readonly ignored: string[];
}

const CONV1D_WEIGHT = /^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;

/**
 * Whether a GPT-2 parameter name is a Conv1D weight, stored `[in, out]` in Hugging Face
 * checkpoints and `[out, in]` in tunekit (see `Conv1D`).
 *
 * @example
 * ```ts
 * isGpt2Conv1DWeight("transformer.h.0.attn.c_attn.weight"); // true
 * ```
 */
export function isGpt2Conv1DWeight(name: string): boolean {
  return CONV1D_WEIGHT.test(name);
}

/**
 * A tensor of a GPT-2 state dict in Hugging Face's layout: Conv1D weights transposed to
 * `[in, out]`, everything else as is.
 *
 * @example
 * ```ts
 * const hf = gpt2TensorToHf("transformer.h.0.attn.c_attn.weight", w); // [24, 72] for a [72, 24] weight
 * ```
 */
export function gpt2TensorToHf(name: string, t: HostTensor): HostTensor {
  if (!isGpt2Conv1DWeight(name) || t.shape.length !== 2) return t;
  const [rows, cols] = t.shape as [number, number];
  return hostTensor("float32", [cols, rows], conv1dToHf(t.data as Float32Array, rows, cols));
}

/**
 * Assigns checkpoint tensors (Hugging Face names and layout) to a {@link Gpt2LMHeadModel}:
 * Conv1D weights are transposed from `[in, out]`. Keys of a bare `GPT2Model` (without
 * `transformer.`, as the hub's `gpt2` stores them) are accepted; mask buffers and, with tied
 * embeddings, a stored `lm_head.weight` are ignored (reported). Missing parameters, unexpected
 * keys and shape mismatches throw `CHECKPOINT_MISMATCH` listing every name and shape (in
 * Hugging Face's layout); nothing is assigned on error.
 *
 * @example
 * ```ts
 * const { tensors } = await readModelWeights(dir);
 * loadGpt2Weights(model, tensors);
 * ```
 */
export function loadGpt2Weights(
  model: Gpt2LMHeadModel,
  tensors: ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>,
): Gpt2CheckpointReport {
  return assignDecoderWeights(model, tensors, {
    architecture: "GPT2LMHeadModel",
    stack: "transformer",
    ignorable: (key) =>
      /(^|\.)attn\.(bias|masked_bias)$/.test(key) ||
      (key === "lm_head.weight" && model.gpt2Config.tieWordEmbeddings),
    toHf: gpt2TensorToHf,
    // the transpose is its own inverse: [in, out] -> [out, in]
    fromHf: (name, value) => (isGpt2Conv1DWeight(name) ? transposeBack(value) : value),
    hint: "check that config.json and the weights belong together (n_embd, n_inner, n_positions, vocab_size)",
  });
}

function transposeBack(t: HostTensor): HostTensor {
  const [rows, cols] = t.shape as [number, number];
  return hostTensor("float32", [cols, rows], conv1dToHf(t.data as Float32Array, rows, cols));
}

/**
 * A loaded GPT-2: the model, its parsed config, and what was loaded.
 *
 * @example
 * ```ts
 * const { model, config } = await loadGpt2Checkpoint("models/gpt2");
 * ```
 */
export interface LoadedGpt2 {
  readonly model: Gpt2LMHeadModel;
  readonly config: Gpt2Config;
  readonly report: Gpt2CheckpointReport;
}

/**
 * Builds a `GPT2LMHeadModel` from a Hugging Face folder (`config.json` + `model.safetensors`,
 * sharded safetensors or `pytorch_model.bin`, see `readModelWeights`; float16 / bfloat16 become
 * float32) and loads its weights (see {@link loadGpt2Weights}). NaN or infinite weights are
 * `CHECKPOINT_INVALID`; a config much larger than the stored weights is `CHECKPOINT_MISMATCH`
 * before anything is allocated.
 *
 * @example
 * ```ts
 * const { model } = await loadGpt2Checkpoint("models/gpt2");
 * const { logits } = model.forward({ inputIds }); // [B, S, vocab]
 * ```
 */
export async function loadGpt2Checkpoint(folder: string): Promise<LoadedGpt2> {
  const config = await readGpt2Config(folder);
  const tensors = await readDecoderWeights(folder, "gpt2", gpt2ParameterCount(config));
  const model = new Gpt2LMHeadModel(config);
  const report = loadGpt2Weights(model, tensors);
  return { model, config, report };
}

/**
 * Writes `model` as a Hugging Face folder: `config.json` (with `architectures`) and
 * `model.safetensors` with Hugging Face names and layout (Conv1D weights `[in, out]`, no
 * `lm_head.weight` when tied), which {@link loadGpt2Checkpoint} and transformers read back.
 *
 * @example
 * ```ts
 * await saveGpt2Checkpoint(model, "runs/gpt2/model");
 * ```
 */
export async function saveGpt2Checkpoint(model: Gpt2LMHeadModel, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const json = { ...gpt2ConfigToJson(model.gpt2Config), torch_dtype: "float32" };
  await writeFileAtomic(join(folder, "config.json"), `${JSON.stringify(json, null, 2)}\n`);
  const tensors: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(stateDict(model))) {
    Object.defineProperty(tensors, name, {
      value: gpt2TensorToHf(name, t),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  await writeSafetensorsFile(join(folder, "model.safetensors"), tensors, { format: "pt" });
}
