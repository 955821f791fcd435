import { TunekitError } from "../../errors.js";
import type { Module } from "../../modules/module.js";
import type { HostTensor } from "../../tensor/host-tensor.js";

/**
 * What loading a checkpoint did: parameters loaded from it, parameters freshly initialised
 * (only a classification head may be), and checkpoint entries deliberately not used
 * (pre-training heads, buffers, a pooler or head the model does not have).
 *
 * @example
 * ```ts
 * const { report } = await loadBertCheckpoint(dir, { task: "sequence-classification", numLabels: 2 });
 * if (report.initialized.length) console.warn("fresh head:", report.initialized);
 * ```
 */
export interface BertCheckpointReport {
  readonly loaded: string[];
  readonly initialized: string[];
  readonly ignored: string[];
}

/** Options of {@link loadBertWeights}. @example `loadBertWeights(model, tensors, { reinitializeHead: true })` */
export interface LoadBertWeightsOptions {
  /** Ignore the checkpoint's `classifier.*` entries and keep the fresh head (e.g. other labels). */
  readonly reinitializeHead?: boolean;
}

const HEAD = /^(pre_)?classifier\./;
/**
 * Parameters a checkpoint may lack (kept as initialised, reported): a head (a multi-task
 * model's `heads.<task>.classifier`), the pooler and the
 * next-sentence head (a masked-LM checkpoint continued as `BertForPreTraining`).
 */
const FRESH_ALLOWED =
  /^((pre_)?classifier\.|heads\.[^.]+\.classifier\.|((bert|roberta)\.)?pooler\.|cls\.seq_relationship\.)/;
/** Encoder attributes of Hugging Face task models (the first segment of their parameter names). */
const ENCODER_PREFIXES = ["bert", "roberta", "electra", "distilbert"];
/**
 * Pre-training heads of the other encoders' checkpoints, never part of a tunekit model:
 * RoBERTa's `lm_head`, ELECTRA's `discriminator_predictions` / `generator_predictions` /
 * `generator_lm_head`, DistilBERT's `vocab_transform` / `vocab_layer_norm` / `vocab_projector`.
 */
const OTHER_PRETRAINING_HEADS =
  /^(lm_head|discriminator_predictions|generator_predictions|generator_lm_head|vocab_transform|vocab_layer_norm|vocab_projector)\./;
/** The decoder of the MLM head is tied to the word embeddings (Hugging Face drops it or keeps a copy). */
const TIED_DECODER = /^cls\.predictions\.decoder\.(weight|bias)$/;
const describe = (t: HostTensor): string => `${t.dtype}[${t.shape.join(", ")}]`;

function legacyName(key: string): string {
  return key.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias");
}

/**
 * Assigns checkpoint tensors to a BERT model's parameters. Keys are accepted with and
 * without the encoder's prefix (`bert.`, or `roberta.` / `electra.` / `distilbert.` for those
 * encoders) and legacy `LayerNorm.gamma/beta`; the other encoders' pre-training heads
 * (`lm_head`, `discriminator_predictions`, `vocab_projector`, ...) are ignored. Missing parameters,
 * unexpected keys and shape or dtype mismatches throw `CHECKPOINT_MISMATCH` listing names
 * and shapes. Allowed exceptions, as in Hugging Face: a missing classification head or pooler
 * (e.g. a `BertForMaskedLM` checkpoint, which has no pooler) keeps its random initialisation
 * and is reported in `initialized`, and so does a missing next-sentence head of `BertForPreTraining`;
 * pre-training heads (`cls.*`) and a multi-task model's task heads (`heads.*`) are ignored by
 * models that lack them, and the masked-LM head's
 * `decoder` entries (tied to the word embeddings) are always ignored.
 * Nothing is assigned on error.
 *
 * @example
 * ```ts
 * const { tensors } = await readSafetensorsFile(`${dir}/model.safetensors`);
 * const report = loadBertWeights(model, tensors);
 * ```
 */
export function loadBertWeights(
  model: Module,
  tensors: ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>,
  options: LoadBertWeightsOptions = {},
): BertCheckpointReport {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const params = new Map(model.namedParameters());
  const hasPooler = [...params.keys()].some((n) => /(^|\.)pooler\./.test(n));
  const first = [...params.keys()][0]?.split(".")[0] ?? "";
  const prefix = ENCODER_PREFIXES.includes(first) ? first : "bert";
  const anyPrefix = /^(bert|roberta|electra|distilbert)\./;
  const hasHead = [...params.keys()].some((n) => HEAD.test(n));
  const hasTaskHeads = [...params.keys()].some((n) => n.startsWith("heads."));
  const assign = new Map<string, { key: string; value: HostTensor }>();
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const mismatched: string[] = [];
  const mismatchedTargets = new Set<string>();
  for (const [key, value] of entries) {
    const k = legacyName(key);
    const bare = k.replace(anyPrefix, "");
    const target = [k, bare, `${prefix}.${bare}`].find((n) => params.has(n));
    if (target === undefined) {
      const ignorable =
        (/^cls\./.test(k) && !params.has("cls.predictions.bias")) ||
        (/^cls\.seq_relationship\./.test(k) && !params.has("cls.seq_relationship.weight")) ||
        TIED_DECODER.test(k) ||
        /(^|\.)(position_ids|token_type_ids)$/.test(k) ||
        (!hasPooler && /^pooler\./.test(bare)) ||
        OTHER_PRETRAINING_HEADS.test(k) ||
        (!hasHead && HEAD.test(k)) ||
        (!hasTaskHeads && /^heads\./.test(k));
      if (ignorable) ignored.push(key);
      else unexpected.push(`${key} ${describe(value)}`);
      continue;
    }
    if (options.reinitializeHead && HEAD.test(target)) {
      ignored.push(key);
      continue;
    }
    const previous = assign.get(target);
    if (previous) {
      unexpected.push(`${key} ${describe(value)} (duplicate of ${previous.key}, both name ${target})`);
      continue;
    }
    const p = params.get(target)!;
    if (describe(p.value) !== describe(value)) {
      mismatched.push(`${key}: checkpoint has ${describe(value)}, model expects ${describe(p.value)}`);
      mismatchedTargets.add(target);
      continue;
    }
    assign.set(target, { key, value });
  }
  const initialized: string[] = [];
  const missing: string[] = [];
  for (const [name, p] of params) {
    if (assign.has(name) || mismatchedTargets.has(name)) continue;
    if (FRESH_ALLOWED.test(name)) initialized.push(name);
    else missing.push(`${name} ${describe(p.value)}`);
  }
  if (missing.length + unexpected.length + mismatched.length > 0) {
    const lines = ["checkpoint does not match the model:"];
    if (missing.length) lines.push(`  missing (${missing.length}):`, ...missing.map((m) => `    ${m}`));
    if (unexpected.length) {
      lines.push(`  unexpected (${unexpected.length}):`, ...unexpected.map((m) => `    ${m}`));
    }
    if (mismatched.length) {
      lines.push(`  shape mismatch (${mismatched.length}):`, ...mismatched.map((m) => `    ${m}`));
    }
    lines.push(
      "check that config.json and model.safetensors belong together and that the task and num_labels " +
        "match the checkpoint (use reinitializeHead to replace a classification head of another size)",
    );
    throw new TunekitError("CHECKPOINT_MISMATCH", lines.join("\n"), {
      details: { missing, unexpected, mismatched },
    });
  }
  for (const [name, { value }] of assign) params.get(name)!.value = value;
  return { loaded: [...assign.keys()], initialized, ignored };
}
