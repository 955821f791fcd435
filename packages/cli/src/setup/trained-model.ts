import { mkdir } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  type CausalLm,
  loadTokenizer,
  type Module,
  readSafetensorsFile,
  type Strategy,
  saveBertCheckpoint,
  saveCausalLmCheckpoint,
  type TrainerModel,
  writeSafetensorsFile,
} from "@tunekit/core";
import {
  Gpt2LMHeadModel,
  LlamaForCausalLM,
  MultiTaskModel,
  type ResolvedTaskHead,
  saveMultiTaskCheckpoint,
  stateDict,
} from "@tunekit/core/models";
import { assignWeights, modelConfigJson } from "@tunekit/core/trainer";
import { writeFileAtomic } from "@tunekit/core/io";
import type { CliTask, TrainConfig } from "../config/train-config.js";
import { createStrategy } from "../strategy-config.js";
import { buildMultiTaskModel } from "./mixture-setup.js";
import { type BertHead, buildModel } from "./model-setup.js";

/**
 * Sub-folder of a run folder with the adapter files (`adapter_config.json` + weights).
 *
 * @example
 * ```ts
 * const adapterDir = join("runs/sst2-lora", ADAPTER_DIR);
 * ```
 */
export const ADAPTER_DIR = "adapter";

/**
 * How a trained model was saved: `plain` (a Hugging Face BERT folder any BERT loader reads)
 * or `adapted` (the strategy's module tree: the weights need the same model spec and
 * strategy to load; see {@link loadAdaptedModel}).
 *
 * @example
 * ```ts
 * const saved: SavedModel = { kind: "adapted", adapter: "runs/x/adapter" };
 * ```
 */
export interface SavedModel {
  readonly kind: "plain" | "adapted";
  /** Folder of PEFT adapter files, when the strategy has them. */
  readonly adapter?: string;
}

/**
 * Saves a trained model to `dir`: a Hugging Face folder when the strategy kept BERT's
 * parameters (full, head-only, BitFit), else the adapted weights with the base config (and,
 * for PEFT strategies such as LoRA and IA3, `adapter_config.json` + `adapter_model.safetensors`
 * in `adapterDir` via `@tunekit/strategies`' `saveAdapterFolder`; bottleneck adapters in its
 * `tunekit-bottleneck` format). A decoder (Llama / Mistral / Qwen2) is saved with
 * `saveCausalLmCheckpoint`; adapted, its folder holds the base weights (frozen, as loaded) and
 * `adapterDir` the adapter, so `tunekit generate DIR --adapter ADAPTER_DIR` runs it (a
 * strategy without adapter files leaves its weights in `DIR/adapted-model.safetensors`).
 *
 * @example
 * ```ts
 * const saved = await saveTrainedModel({ base, adapted, strategy, dir: "runs/x/model", adapterDir: "runs/x/adapter" });
 * ```
 */
export async function saveTrainedModel(o: {
  readonly base: BertHead | MultiTaskModel | CausalLm;
  readonly adapted: Module;
  readonly strategy: Strategy;
  readonly dir: string;
  readonly adapterDir: string;
  /** Recorded as the adapter's `base_model_name_or_path` (a Hub id or a folder name, not a local path). */
  readonly baseModelName?: string | undefined;
}): Promise<SavedModel> {
  const baseNames = o.base.namedParameters().map(([n]) => n);
  const adaptedNames = o.adapted.namedParameters().map(([n]) => n);
  if (baseNames.join("\n") === adaptedNames.join("\n")) {
    // The adapted tree shares the base's Parameter objects, so the base holds the trained values.
    if (o.base instanceof MultiTaskModel) await saveMultiTaskCheckpoint(o.base, o.dir);
    else if (isCausalLm(o.base)) await saveCausalLmCheckpoint(o.base, o.dir);
    else await saveBertCheckpoint(o.base, o.dir);
    return { kind: "plain" };
  }
  if (isCausalLm(o.base)) {
    await saveCausalLmCheckpoint(o.base, o.dir);
    const adapter = await trySaveAdapter(o.adapted, o.adapterDir, o.baseModelName);
    if (adapter !== undefined) return { kind: "adapted", adapter };
    const path = join(o.dir, DECODER_ADAPTED_FILE);
    await writeSafetensorsFile(path, stateDict(o.adapted), { format: "pt" });
    return { kind: "adapted" };
  }
  await mkdir(o.dir, { recursive: true });
  await writeFileAtomic(join(o.dir, "config.json"), `${JSON.stringify(modelConfigJson(o.base), null, 2)}\n`);
  await writeSafetensorsFile(join(o.dir, "model.safetensors"), stateDict(o.adapted), { format: "pt" });
  const adapter = await trySaveAdapter(o.adapted, o.adapterDir, o.baseModelName);
  return adapter === undefined ? { kind: "adapted" } : { kind: "adapted", adapter };
}

const isCausalLm = (m: unknown): m is CausalLm =>
  m instanceof LlamaForCausalLM || m instanceof Gpt2LMHeadModel;

/** A decoder's adapted weights when its strategy has no adapter file format. */
const DECODER_ADAPTED_FILE = "adapted-model.safetensors";

/**
 * The line `tunekit train` prints about an adapted model: where its weights are and how to run
 * it (a decoder: `tunekit generate` with `--adapter`; BERT: evaluate/predict from the run).
 *
 * @example
 * ```ts
 * note(adaptedModelNote({ method: "lora", decoder: true, modelDir, adapter, cwd }));
 * ```
 */
export function adaptedModelNote(o: {
  readonly method: string;
  readonly decoder: boolean;
  readonly modelDir: string;
  readonly adapter: string | undefined;
  readonly cwd: string;
}): string {
  const dir = relative(o.cwd, o.modelDir) || ".";
  const adapter = o.adapter === undefined ? undefined : relative(o.cwd, o.adapter) || ".";
  if (o.decoder) {
    return adapter === undefined
      ? `note: strategy ${o.method} has no adapter file format: ${dir} holds the base model and ${join(dir, DECODER_ADAPTED_FILE)} the adapted weights`
      : `note: strategy ${o.method}: ${dir} holds the base model, ${adapter} the PEFT adapter; run it with: tunekit generate ${dir} --adapter ${adapter} --prompt "..."`;
  }
  return (
    `note: strategy ${o.method} changes the model's structure: ${dir} holds the adapted weights ` +
    `(tunekit evaluate/predict rebuild it from this run's config)${adapter ? `; PEFT adapter files in ${adapter}` : ""}`
  );
}

/**
 * Rebuilds an adapted model saved by {@link saveTrainedModel}: the config's model (random
 * weights are overwritten) with its strategy applied, then the saved weights assigned.
 *
 * @example
 * ```ts
 * const model = await loadAdaptedModel(config, "runs/x/model", { task: "sequence-classification", labels: ["neg", "pos"] });
 * ```
 */
export async function loadAdaptedModel(
  config: TrainConfig,
  dir: string,
  run: {
    readonly task: CliTask;
    readonly labels: readonly string[];
    readonly tasks?: readonly ResolvedTaskHead[] | undefined;
  },
): Promise<{ readonly model: TrainerModel; readonly strategy: Strategy }> {
  const tokenizer = await loadTokenizer(config.tokenizer);
  const sizes = {
    vocabSize: tokenizer.vocabSize,
    padId: tokenizer.padId,
    maxLength: config.training.maxLength,
  };
  const built =
    run.tasks === undefined
      ? await buildModel(config.model, { task: run.task, labels: run.labels, ...sizes })
      : await buildMultiTaskModel(config.model, run.tasks, { ...sizes, seed: 0 });
  const strategy = await createStrategy(config.strategy, config.source, {
    tokenizer,
    ...(config.mixture === undefined ? {} : { tasks: config.mixture.tasks.map((x) => x.name) }),
  });
  const adapted = strategy.apply(built.model) as Module & TrainerModel;
  const path = join(dir, "model.safetensors");
  const { tensors } = await readSafetensorsFile(path);
  assignWeights(adapted, tensors, path);
  return { model: adapted, strategy };
}

async function trySaveAdapter(
  model: Module,
  dir: string,
  baseModelName?: string,
): Promise<string | undefined> {
  let mod: Record<string, unknown>;
  try {
    const name = "@tunekit/strategies";
    mod = (await import(name)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  // saveAdapterFolder: every adapter kind (PEFT LoRA/IA3/prefix/prompt, tunekit bottleneck);
  // saveAdapter: PEFT LoRA/IA3 only (older @tunekit/strategies).
  const save = mod.saveAdapterFolder ?? mod.saveAdapter;
  if (typeof save !== "function") return undefined;
  try {
    const options = baseModelName === undefined ? {} : { baseModelNameOrPath: baseModelName };
    await (save as (m: Module, d: string, o: object) => Promise<unknown>)(model, dir, options);
    return dir;
  } catch {
    return undefined; // the strategy has no adapter file format: the adapted weights are saved anyway
  }
}
