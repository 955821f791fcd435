import { join } from "node:path";
import { Graph, type Tensor } from "../ir/graph.js";
import { readJsonFile } from "../io/read-json-file.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { traceForward } from "../models/bert/trace-forward.js";
import { gpt2TensorToHf, loadGpt2Checkpoint } from "../models/gpt2/gpt2-checkpoint.js";
import { isGpt2ConfigJson } from "../models/gpt2/gpt2-config.js";
import { loadLlamaCheckpoint } from "../models/llama/llama-checkpoint.js";
import { isLlamaConfigJson } from "../models/llama/llama-config.js";
import type { CausalLm } from "../models/causal-lm-checkpoint.js";
import type { Module } from "../modules/module.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { encoderParityFamily } from "./parity-encoders.js";

/**
 * How the parity harness builds and runs one model family: which fixture inputs it feeds,
 * how a fresh model is loaded from the folder, and how its forward (logits and loss) is
 * traced for the fixture's batch shape.
 *
 * @example
 * ```ts
 * const family = await parityModelFamily(folder); // "bert" or "decoder"
 * const model = await family.load(folder);
 * ```
 */
export interface ParityModelFamily {
  /** `"bert"` (sequence classification) or `"decoder"` (a Llama-family or GPT-2 causal LM). */
  readonly kind: "bert" | "decoder";
  /** The Hugging Face `model_type` family: `bert`, `llama` (Llama, Mistral, Qwen2) or `gpt2`. */
  readonly family: "bert" | "llama" | "gpt2";
  /** Names of the fixture inputs (in `reference.safetensors`) fed to the graph. */
  readonly inputs: readonly string[];
  load(folder: string): Promise<Module>;
  /** Traces the forward of `model` on inputs shaped like `feeds`; returns the graph, logits and loss. */
  trace(
    model: Module,
    feeds: Readonly<Record<string, HostTensor>>,
  ): { graph: Graph; logits: Tensor; loss: Tensor };
  /**
   * A parameter's value or gradient in the reference's layout (GPT-2's Conv1D weights are
   * `[in, out]` in Hugging Face, `[out, in]` in tunekit); the identity for the others.
   */
  toReferenceLayout(name: string, t: HostTensor): HostTensor;
}

const BERT: ParityModelFamily = {
  kind: "bert",
  family: "bert",
  toReferenceLayout: (_, t) => t,
  inputs: ["input_ids", "attention_mask", "token_type_ids", "labels"],
  load: async (folder) => (await loadBertCheckpoint(folder, { task: "sequence-classification" })).model,
  trace: (model, feeds) => {
    const ids = feeds.input_ids!;
    const { graph, outputs } = traceForward(
      model as Awaited<ReturnType<typeof loadBertCheckpoint<"sequence-classification">>>["model"],
      { batchSize: ids.shape[0]!, seqLength: ids.shape[1]!, labels: true },
    );
    return { graph, logits: outputs.logits!, loss: outputs.loss! };
  },
};

const traceDecoder: ParityModelFamily["trace"] = (model, feeds) => {
  const g = new Graph();
  const [b, s] = feeds.input_ids!.shape as [number, number];
  const { logits, loss } = (model as CausalLm).forward(
    {
      inputIds: g.input("input_ids", "int32", [b, s]),
      attentionMask: g.input("attention_mask", "int32", [b, s]),
      labels: g.input("labels", "int32", [b, s]),
    },
    { training: false },
  );
  g.output("logits", logits);
  g.output("loss", loss!);
  return { graph: g, logits, loss: loss! };
};

const DECODER: ParityModelFamily = {
  kind: "decoder",
  family: "llama",
  inputs: ["input_ids", "attention_mask", "labels"],
  load: async (folder) => (await loadLlamaCheckpoint(folder)).model,
  trace: traceDecoder,
  toReferenceLayout: (_, t) => t,
};

const GPT2: ParityModelFamily = {
  kind: "decoder",
  family: "gpt2",
  inputs: ["input_ids", "attention_mask", "labels"],
  load: async (folder) => (await loadGpt2Checkpoint(folder)).model,
  trace: traceDecoder,
  toReferenceLayout: gpt2TensorToHf,
};

/**
 * The model family of a parity fixture, told by its `config.json`: a Llama-family
 * `model_type` / `architectures` (llama, mistral, qwen2) or GPT-2 is a decoder fixture
 * (causal-LM loss, LoRA on the reference's target modules), anything else is read as BERT.
 *
 * @example
 * ```ts
 * (await parityModelFamily("../shared/reference/llama-tiny-parity")).kind; // "decoder"
 * ```
 */
export async function parityModelFamily(folder: string): Promise<ParityModelFamily> {
  const json = await readJsonFile(join(folder, "config.json"), {
    what: "model config",
    maxBytes: 1024 * 1024,
    invalidCode: "CONFIG_INVALID",
  });
  if (isGpt2ConfigJson(json)) return GPT2;
  return isLlamaConfigJson(json) ? DECODER : encoderParityFamily(json, BERT);
}
