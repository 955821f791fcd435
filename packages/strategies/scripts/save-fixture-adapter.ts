// Saves a LoRA adapter of the parity fixture's base model with tunekit's saveAdapter,
// using the fixture's r / lora_alpha / target_modules (reference.json) and the fixture's
// LoRA tensors, so that peft_roundtrip.py can compare names and shapes with PEFT's.
//
// usage: npx tsx --conditions=@tunekit/source packages/strategies/scripts/save-fixture-adapter.ts OUT_DIR [FIXTURE_DIR]
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadBertCheckpoint, readSafetensorsFile } from "@tunekit/core";
import { lora, saveAdapter } from "../src/index.js";

const [out, fixture = "../shared/reference/bert-tiny-parity"] = process.argv.slice(2);
if (!out) throw new Error("usage: save-fixture-adapter.ts OUT_DIR [FIXTURE_DIR]");
const ref = JSON.parse(await readFile(join(fixture, "reference.json"), "utf8"));
const { model } = await loadBertCheckpoint(fixture, { task: "sequence-classification" });
const adapted = lora({
  r: ref.lora.r,
  alpha: ref.lora.lora_alpha,
  targetModules: ref.lora.target_modules,
  modulesToSave: ["classifier"],
}).apply(model);
const { tensors } = await readSafetensorsFile(join(fixture, "reference.safetensors"));
for (const [path, p] of adapted.namedParameters()) {
  const t = tensors.get(`lora.base_model.model.${path}`);
  if (t) p.value = t;
}
const saved = await saveAdapter(adapted, out, { baseModelNameOrPath: fixture });
console.log(`wrote ${saved.keys.length} tensors (${saved.weightsBytes} bytes) to ${out}`);
