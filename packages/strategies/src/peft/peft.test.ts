import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createReferenceBackend,
  isTunekitError,
  readSafetensorsFile,
  writeSafetensorsFile,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { ia3 } from "../ia3/ia3.js";
import { lora } from "../lora/lora.js";
import { probeOutput } from "../merge.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { loadAdapter, parseAdapterConfig } from "./load-adapter.js";
import { saveAdapter } from "./save-adapter.js";

const backend = createReferenceBackend();
const tmp = () => mkdtemp(join(tmpdir(), "tunekit-peft-"));
const Q = "bert.encoder.layer.0.attention.self.query";

describe("saveAdapter / loadAdapter (PEFT format)", () => {
  it("LoRA: PEFT keys and config fields; a round trip reproduces the logits", async () => {
    const base = tinyBert();
    const adapted = lora({ r: 4, alpha: 8, dropout: 0.1, layersToTransform: [1] }).apply(base);
    randomizeParameters(adapted, /lora_B|classifier/, 3, 2);
    const dir = await tmp();
    const saved = await saveAdapter(adapted, dir, { baseModelNameOrPath: "tiny-bert" });
    const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(config).toMatchObject({
      peft_type: "LORA",
      task_type: "SEQ_CLS",
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.1,
      target_modules: ["query", "value"],
      use_rslora: false,
      use_dora: false,
      modules_to_save: ["classifier"],
      layers_to_transform: [1],
      bias: "none",
      fan_in_fan_out: false,
      base_model_name_or_path: "tiny-bert",
      inference_mode: true,
    });
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    const keys = [...tensors.keys()].sort();
    expect(keys).toEqual(
      [
        "base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight",
        "base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight",
        "base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight",
        "base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight",
        "base_model.model.classifier.bias",
        "base_model.model.classifier.weight",
      ].sort(),
    );
    expect(saved.keys.length).toBe(6);
    expect(
      tensors.get("base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight")!.shape,
    ).toEqual([4, 8]);
    const loaded = await loadAdapter(tinyBert(), dir);
    const batch = probeBatch();
    const a = await probeOutput(adapted, backend, batch);
    expect(maxAbsDiff(await probeOutput(loaded, backend, batch), a)).toBe(0);
    expect(maxAbsDiff(await probeOutput(base, backend, batch), a)).toBeGreaterThan(1e-4);
  });

  it("DoRA / rsLoRA: lora_magnitude_vector key (PEFT's name) and use_dora/use_rslora round trip", async () => {
    const adapted = lora({ r: 2, alpha: 4, useDora: true, useRslora: true }).apply(tinyBert());
    randomizeParameters(adapted, /lora_B|lora_magnitude/, 5, 0.5);
    const dir = await tmp();
    await saveAdapter(adapted, dir);
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    expect(tensors.get(`base_model.model.${Q}.lora_magnitude_vector`)!.shape).toEqual([8]);
    const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect([config.use_dora, config.use_rslora]).toEqual([true, true]);
    const loaded = await loadAdapter(tinyBert(), dir);
    const batch = probeBatch();
    expect(
      maxAbsDiff(await probeOutput(loaded, backend, batch), await probeOutput(adapted, backend, batch)),
    ).toBe(0);
  });

  it("IA3: ia3_l keys with PEFT's shapes ([out, 1] for key/value, [1, in] for feed-forward)", async () => {
    const adapted = ia3().apply(tinyBert());
    randomizeParameters(adapted, /ia3_l/, 5, 0.3);
    const dir = await tmp();
    await saveAdapter(adapted, dir);
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    const l0 = "base_model.model.bert.encoder.layer.0";
    expect(tensors.get(`${l0}.attention.self.key.ia3_l`)!.shape).toEqual([8, 1]);
    expect(tensors.get(`${l0}.attention.self.value.ia3_l`)!.shape).toEqual([8, 1]);
    expect(tensors.get(`${l0}.output.dense.ia3_l`)!.shape).toEqual([1, 12]);
    expect(tensors.get(`${l0}.attention.output.dense.ia3_l`)!.shape).toEqual([1, 8]);
    const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(config).toMatchObject({ peft_type: "IA3", feedforward_modules: ["output.dense"] });
    const loaded = await loadAdapter(tinyBert(), dir);
    const batch = probeBatch();
    expect(
      maxAbsDiff(await probeOutput(loaded, backend, batch), await probeOutput(adapted, backend, batch)),
    ).toBe(0);
  });

  it("strict: missing, unexpected and mis-shaped keys are CHECKPOINT_MISMATCH errors listing names and shapes", async () => {
    const adapted = lora({ r: 4 }).apply(tinyBert());
    const dir = await tmp();
    await saveAdapter(adapted, dir);
    const file = join(dir, "adapter_model.safetensors");
    const { tensors } = await readSafetensorsFile(file);
    const broken = new Map(tensors);
    broken.delete(`base_model.model.${Q}.lora_A.weight`);
    broken.set(
      "base_model.model.bert.pooler.dense.lora_A.weight",
      tensors.get(`base_model.model.${Q}.lora_B.weight`)!,
    );
    broken.set("base_model.model.classifier.weight", tensors.get(`base_model.model.${Q}.lora_B.weight`)!);
    await writeSafetensorsFile(file, broken);
    const err = await loadAdapter(tinyBert(), dir).catch((e: unknown) => e);
    expect(isTunekitError(err, "CHECKPOINT_MISMATCH")).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain(`missing (1): base_model.model.${Q}.lora_A.weight`);
    expect(msg).toContain("unexpected (1): base_model.model.bert.pooler.dense.lora_A.weight float32[8, 4]");
    expect(msg).toContain(
      "shape mismatch: base_model.model.classifier.weight: adapter file has float32[8, 4], model expects float32[3, 8]",
    );
  });

  it("unknown config fields are warnings; hostile configs are CONFIG_INVALID errors", () => {
    const warnings: string[] = [];
    const ok = parseAdapterConfig(
      JSON.stringify({
        peft_type: "LORA",
        r: 2,
        lora_alpha: 4,
        target_modules: ["query"],
        shiny_new_field: 1,
      }),
      "a.json",
      (m) => warnings.push(m),
    );
    expect(ok.strategy.method).toBe("lora");
    expect(ok.strategy.options).toMatchObject({ r: 2, alpha: 4 });
    expect(warnings).toEqual(['a.json: unknown field "shiny_new_field" for peft_type LORA is ignored']);
    const bad: [string, RegExp][] = [
      ["{not json", /not valid JSON/],
      ["[1, 2]", /must hold a JSON object, got an array/],
      ["null", /got null/],
      ['{"peft_type": "LOHA"}', /"LOHA" is not supported; expected one of "LORA", "IA3"/],
      ["{}", /"peft_type" is missing/],
      ['{"peft_type": "LORA", "r": -3}', /"r" must be a positive integer.*got number -3/],
      ['{"peft_type": "LORA", "r": 1e300}', /"r" must be a positive integer/],
      ['{"peft_type": "LORA", "lora_alpha": "16"}', /"lora_alpha" must be a finite number.*got string/],
      [
        '{"peft_type": "LORA", "target_modules": [1, 2]}',
        /"target_modules" must be a list of non-empty strings/,
      ],
      ['{"peft_type": "LORA", "target_modules": "(("}', /valid regular expression/],
      ['{"peft_type": "LORA", "use_dora": "yes"}', /"use_dora" must be true or false/],
      ['{"peft_type": "LORA", "bias": "all"}', /"bias" must be "none"/],
      ['{"peft_type": "LORA", "fan_in_fan_out": "yes"}', /"fan_in_fan_out" must be true or false/],
      [
        '{"peft_type": "LORA", "layers_to_transform": [-1]}',
        /"layers_to_transform" must be a non-negative integer/,
      ],
      [
        '{"peft_type": "LORA", "__proto__": {"r": 3}, "lora_dropout": 2}',
        /"lora_dropout" must be a finite number in \[0/,
      ],
      ['{"peft_type": "IA3", "modules_to_save": "classifier"}', /"modules_to_save" must be a list/],
    ];
    for (const [text, re] of bad) {
      let err: unknown;
      try {
        parseAdapterConfig(text, "adapter_config.json", () => {});
      } catch (e) {
        err = e;
      }
      expect(isTunekitError(err, "CONFIG_INVALID"), text).toBe(true);
      expect((err as Error).message, text).toMatch(re);
      expect((err as Error).message, text).toContain("adapter_config.json");
    }
  });

  it("a missing folder is an IO_ERROR; saving a plain model is an INVALID_ARGUMENT", async () => {
    const err = await loadAdapter(tinyBert(), "/nonexistent/adapter").catch((e: unknown) => e);
    expect(isTunekitError(err, "IO_ERROR")).toBe(true);
    const err2 = await saveAdapter(tinyBert(), await tmp()).catch((e: unknown) => e);
    expect(isTunekitError(err2, "INVALID_ARGUMENT")).toBe(true);
    expect((err2 as Error).message).toMatch(/saveBertCheckpoint/);
  });

  it("a target_modules regex string is read as PEFT does (full match)", async () => {
    const dir = await tmp();
    const adapted = lora({ r: 2, targetModules: /.*\.self\.key/ }).apply(tinyBert());
    await saveAdapter(adapted, dir);
    const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(config.target_modules).toBe(".*\\.self\\.key");
    await writeFile(join(dir, "x"), "");
    const loaded = await loadAdapter(tinyBert(), dir);
    expect(
      loaded
        .namedParameters()
        .filter(([n]) => n.endsWith("lora_A.weight"))
        .map(([n]) => n),
    ).toEqual([
      "bert.encoder.layer.0.attention.self.key.lora_A.weight",
      "bert.encoder.layer.1.attention.self.key.lora_A.weight",
    ]);
  });
});
