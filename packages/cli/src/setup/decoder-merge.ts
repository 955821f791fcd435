import { readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import {
  type Backend,
  type CausalLm,
  type HostTensor,
  hostTensor,
  loadCausalLmCheckpoint,
  saveCausalLmCheckpoint,
  TunekitError,
} from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { isCausalLmConfigJson, stateDict } from "@tunekit/core/models";
import { loadAdapter, mergeAndUnload } from "@tunekit/strategies";
import { copyTokenizerFiles } from "./run-files.js";

/**
 * A decoder to merge: the base model folder and the PEFT adapter folder (LoRA or IA3).
 *
 * @example
 * ```ts
 * const t: DecoderMergeTarget = { baseDir: "runs/chat/model", adapterDir: "runs/chat/adapter" };
 * ```
 */
export interface DecoderMergeTarget {
  readonly baseDir: string;
  readonly adapterDir: string;
}

async function isCausalLmFolder(dir: string): Promise<boolean> {
  const text = await readFile(join(dir, "config.json"), "utf8").catch(() => undefined);
  if (text === undefined) return false;
  try {
    return isCausalLmConfigJson(JSON.parse(text));
  } catch {
    return false;
  }
}

const isFile = async (path: string): Promise<boolean> =>
  (await stat(path).catch(() => undefined))?.isFile() ?? false;

/**
 * What `tunekit merge` merges when `target` is a decoder: a causal-LM run folder of `tunekit
 * train` (`model/` holding the base, `adapter/` the PEFT adapter) or its `model/` folder, or a
 * causal-LM model folder with `adapterFlag`. Undefined when `target` is not a causal LM (the
 * BERT path handles it).
 *
 * @example
 * ```ts
 * await decoderMergeTarget("runs/chat", process.cwd(), undefined); // { baseDir: ".../model", adapterDir: ".../adapter" }
 * ```
 */
export async function decoderMergeTarget(
  target: string,
  cwd: string,
  adapterFlag: string | undefined,
): Promise<DecoderMergeTarget | undefined> {
  const path = resolve(cwd, target);
  if (adapterFlag !== undefined) {
    if (!(await isCausalLmFolder(path))) return undefined;
    return { baseDir: path, adapterDir: resolve(cwd, adapterFlag) };
  }
  for (const [base, adapter] of [
    [join(path, "model"), join(path, "adapter")],
    [path, join(dirname(path), "adapter")],
  ] as const) {
    if (basename(base) === "model" && (await isCausalLmFolder(base))) {
      if (!(await isFile(join(adapter, "adapter_config.json")))) {
        throw new TunekitError(
          "CONFIG_INVALID",
          `${target} holds a causal LM without adapter files (${join(adapter, "adapter_config.json")} is missing): ` +
            "only a LoRA or IA3 run has an adapter to merge; a full fine-tuning run's model/ is already a plain folder",
        );
      }
      return { baseDir: base, adapterDir: adapter };
    }
  }
  return undefined;
}

/**
 * Next-token logits of a causal LM on a probe batch (`input_ids`, `attention_mask`), eval mode.
 *
 * @example
 * ```ts
 * const logits = await decoderProbe(model, backend, probe);
 * ```
 */
export async function decoderProbe(
  model: CausalLm,
  backend: Backend,
  probe: Readonly<Record<string, HostTensor>>,
): Promise<Float32Array> {
  const [b, s] = probe.input_ids!.shape as [number, number];
  const g = new Graph();
  const { logits } = model.forward({
    inputIds: g.input("input_ids", "int32", [b, s]),
    attentionMask: g.input("attention_mask", "int32", [b, s]),
  });
  g.output("logits", logits);
  const exe = await backend.compile(g, { constants: stateDict(model) });
  try {
    const out = await exe.run({ input_ids: probe.input_ids!, attention_mask: probe.attention_mask! });
    return Float32Array.from(out.logits!.data as Float32Array);
  } finally {
    exe.dispose();
  }
}

/**
 * Merges a decoder's PEFT LoRA / IA3 adapter into its base weights and writes a plain Hugging
 * Face folder (config, weights, the base folder's tokenizer files) to `out`. Returns the
 * number of merged layers, the method and the largest logit difference between the adapted
 * and the merged model on a probe batch (token ids `3 ..`, two rows, one right-padded).
 *
 * @example
 * ```ts
 * const r = await mergeDecoder({ baseDir, adapterDir }, "runs/chat-merged", backend);
 * ```
 */
export async function mergeDecoder(
  target: DecoderMergeTarget,
  out: string,
  backend: Backend,
  onWarning: (message: string) => void,
): Promise<{ mergedModules: number; peftType: string; maxAbsDifference: number; files: string[] }> {
  const { model: base } = await loadCausalLmCheckpoint(target.baseDir);
  const adapted = await loadAdapter(base, target.adapterDir, { onWarning });
  const peftType = String(
    (
      JSON.parse(await readFile(join(target.adapterDir, "adapter_config.json"), "utf8")) as {
        peft_type?: unknown;
      }
    ).peft_type,
  );
  const merged = mergeAndUnload(adapted);
  const vocab = base.generationSpec.vocabSize;
  const s = 8;
  const ids = Int32Array.from({ length: 2 * s }, (_, i) => 3 + ((i * 7) % Math.max(1, vocab - 3)));
  const mask = Int32Array.from({ length: 2 * s }, (_, i) => (i >= s + 5 ? 0 : 1));
  const probe = {
    input_ids: hostTensor("int32", [2, s], ids),
    attention_mask: hostTensor("int32", [2, s], mask),
  };
  const [a, m] = [await decoderProbe(adapted, backend, probe), await decoderProbe(merged, backend, probe)];
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - m[i]!));
  await saveCausalLmCheckpoint(merged, out);
  const tokenizerFiles = await copyTokenizerFiles(target.baseDir, out);
  for (const extra of ["vocab.json", "merges.txt", "generation_config.json"]) {
    if (await isFile(join(target.baseDir, extra)))
      tokenizerFiles.push(...(await copyExtra(target.baseDir, out, extra)));
  }
  return {
    mergedModules: countAdapters(adapted),
    peftType,
    maxAbsDifference: worst,
    files: ["config.json", "model.safetensors", ...tokenizerFiles],
  };
}

async function copyExtra(from: string, to: string, name: string): Promise<string[]> {
  await writeFile(join(to, name), await readFile(join(from, name)));
  return [name];
}

function countAdapters(model: CausalLm): number {
  return model.namedParameters().filter(([n]) => /\.(lora_A\.weight|ia3_l)$/.test(n)).length;
}
