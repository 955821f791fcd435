import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CausalLm,
  createReferenceBackend,
  type HostTensor,
  loadCausalLmCheckpoint,
  readSafetensorsFile,
} from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { stateDict } from "@tunekit/core/models";
import { findRepoRoot } from "@tunekit/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPromptLearningAdapter, savePromptLearningAdapter } from "../prompt/prompt-learning-peft.js";
import { loadAdapter } from "./load-adapter.js";
import { saveAdapter } from "./save-adapter.js";

// Decoder adapters written by Python PEFT 0.20 itself (scripts/make_peft_decoder_fixture.py:
// LoRA on GPT-2's Conv1D c_attn, IA3 with PEFT's GPT-2 and Llama defaults, IA3 limited to one
// layer by a target_modules regex) load with loadAdapter and give PEFT's logits (float64
// reference backend against PyTorch float64 stored as float32); saved again, they have PEFT's
// config fields and tensor names and shapes.
const root = findRepoRoot()!;
const FIXTURES = join(root, "fixtures", "peft-decoders");
const CASES = ["gpt2-lora-c_attn", "gpt2-ia3", "llama-ia3", "llama-ia3-layer1"];
const PROMPT_CASES = ["gpt2-prompt", "llama-prompt", "gpt2-prefix", "llama-prefix"];

let tmp = "";
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "tunekit-peft-decoders-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function adapterFiles(
  dir: string,
): Promise<{ config: Record<string, unknown>; tensors: Map<string, HostTensor> }> {
  const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
  return { config, tensors };
}

async function logitsOf(model: CausalLm, expected: Map<string, HostTensor>): Promise<HostTensor> {
  const ids = expected.get("input_ids")!;
  const [b, s] = ids.shape as [number, number];
  const g = new Graph();
  const { logits } = model.forward({
    inputIds: g.input("input_ids", "int32", [b, s]),
    attentionMask: g.input("attention_mask", "int32", [b, s]),
  });
  g.output("logits", logits);
  const exe = await createReferenceBackend().compile(g, { constants: stateDict(model) });
  const out = await exe.run({ input_ids: ids, attention_mask: expected.get("attention_mask")! });
  exe.dispose();
  return out.logits!;
}

function maxRelative(ours: HostTensor, ref: HostTensor): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ref.data.length; i++) scale = Math.max(scale, Math.abs(Number(ref.data[i])));
  for (let i = 0; i < ref.data.length; i++) {
    worst = Math.max(worst, Math.abs(Number(ours.data[i]) - Number(ref.data[i])) / scale);
  }
  return worst;
}

describe("PEFT decoder adapters (made by Python PEFT)", () => {
  for (const name of CASES) {
    it(`${name}: loads with PEFT's logits and saves PEFT's fields, names and shapes`, async () => {
      const dir = join(FIXTURES, name);
      const peft = await adapterFiles(dir);
      const { tensors: expected } = await readSafetensorsFile(join(dir, "expected.safetensors"));
      const { model: base } = await loadCausalLmCheckpoint(
        join(root, String(peft.config.base_model_name_or_path)),
      );
      const warnings: string[] = [];
      const adapted = await loadAdapter(base, dir, { onWarning: (m) => warnings.push(m) });
      expect(warnings.filter((w) => !/"(peft_version|auto_mapping)"/.test(w))).toEqual([]);
      const baseLogits = await logitsOf(base, expected);
      const logits = await logitsOf(adapted, expected);
      expect(logits.shape).toEqual(expected.get("logits")!.shape);
      // the adapter changes the logits, and ours are PEFT's
      expect(maxRelative(baseLogits, expected.get("logits")!)).toBeGreaterThan(1e-2);
      expect(maxRelative(logits, expected.get("logits")!)).toBeLessThan(1e-5);

      const out = join(tmp, name);
      await saveAdapter(adapted, out);
      const ours = await adapterFiles(out);
      for (const key of [
        "peft_type",
        "task_type",
        "target_modules",
        "feedforward_modules",
        "fan_in_fan_out",
        "r",
        "lora_alpha",
      ]) {
        expect(ours.config[key], key).toEqual(peft.config[key]);
      }
      expect(ours.config).not.toHaveProperty("layers_to_transform", expect.anything());
      const shapes = (m: Map<string, HostTensor>): Record<string, readonly number[]> =>
        Object.fromEntries([...m].map(([k, t]) => [k, t.shape]).sort());
      expect(shapes(ours.tensors)).toEqual(shapes(peft.tensors));
    });
  }

  for (const name of PROMPT_CASES) {
    it(`${name}: the virtual tokens load with PEFT's logits and save PEFT's fields`, async () => {
      const dir = join(FIXTURES, name);
      const peft = await adapterFiles(dir);
      const { tensors: expected } = await readSafetensorsFile(join(dir, "expected.safetensors"));
      const { model: base } = await loadCausalLmCheckpoint(
        join(root, String(peft.config.base_model_name_or_path)),
      );
      const adapted = await loadPromptLearningAdapter(base, dir);
      expect(adapted.parameters().filter((p) => p.trainable)).toHaveLength(1);
      const logits = await logitsOf(adapted, expected);
      expect(logits.shape).toEqual(expected.get("logits")!.shape);
      expect(maxRelative(logits, expected.get("logits")!)).toBeLessThan(1e-5);

      const out = join(tmp, name);
      await savePromptLearningAdapter(adapted, out, {
        baseModelNameOrPath: String(peft.config.base_model_name_or_path),
      });
      const ours = await adapterFiles(out);
      for (const key of [
        "peft_type",
        "task_type",
        "token_dim",
        "num_attention_heads",
        "num_layers",
        "num_virtual_tokens",
        "num_transformer_submodules",
        "encoder_hidden_size",
        "prefix_projection",
        "modules_to_save",
      ]) {
        expect(ours.config[key], key).toEqual(peft.config[key]);
      }
      expect(ours.tensors.get("prompt_embeddings")!.data).toEqual(
        peft.tensors.get("prompt_embeddings")!.data,
      );
    });
  }
});
