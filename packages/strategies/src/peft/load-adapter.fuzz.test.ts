import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "@tunekit/core/data";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "@tunekit/core/testing";
import { assertHostileProperty, hostileBytes, hostileJson } from "@tunekit/core/testing/properties";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBottleneckAdapter } from "../adapters/adapter-file.js";
import { loadAdapterFolder } from "../adapters/adapter-folder.js";
import { loadAdapterFusion } from "../adapters/fusion-file.js";
import { ia3 } from "../ia3/ia3.js";
import { lora } from "../lora/lora.js";
import { loadPromptLearningAdapter } from "../prompt/prompt-learning-peft.js";
import { tinyBert } from "../testing/tiny-bert.js";
import { loadAdapter } from "./load-adapter.js";
import { saveAdapter } from "./save-adapter.js";

// Hostile PEFT adapter folders: loading either works or throws a typed TunekitError (bad
// config, weights that do not fit, damaged safetensors), each case within 1 s of CPU.
const CODES = ["CONFIG_INVALID", "CHECKPOINT_MISMATCH", "SAFETENSORS_INVALID", "INVALID_ARGUMENT"] as const;

let root = "";
const configs: Record<string, Record<string, unknown>> = {};
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tunekit-peft-fuzz-"));
  for (const [name, strategy] of [
    ["lora", lora({ r: 2, alpha: 4, layersToTransform: [1] })],
    ["ia3", ia3()],
  ] as const) {
    const dir = join(root, name);
    await saveAdapter(strategy.apply(tinyBert()), dir);
    configs[name] = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function loadWithConfig(name: string, config: Uint8Array | string): Promise<unknown> {
  const dir = join(root, name);
  await writeFile(join(dir, "adapter_config.json"), config);
  return loadAdapter(tinyBert(), dir, { onWarning: () => {} });
}

describe("PEFT adapter folders under hostile input", () => {
  for (const name of ["lora", "ia3"]) {
    it(`${name}: 150 structural and 150 byte mutations of adapter_config.json load or fail typed`, async () => {
      const valid = JSON.stringify(configs[name]);
      expect(await runHostileCase("valid", () => loadWithConfig(name, valid), { codes: CODES })).toBe("ok");
      const outcomes: HostileOutcome[] = [];
      const rng = mulberry32(name.length);
      for (let i = 0; i < 150; i++) {
        const { doc, path } = mutateJson(configs[name], rng);
        const text = JSON.stringify(doc);
        outcomes.push(
          await runHostileCase(`${name} case ${i}: ${path}`, () => loadWithConfig(name, text), {
            codes: CODES,
          }),
        );
      }
      for (const { bytes, what } of mutations(new TextEncoder().encode(valid), 150, 77)) {
        outcomes.push(
          await runHostileCase(`${name} ${what}`, () => loadWithConfig(name, bytes), { codes: CODES }),
        );
      }
      expect(outcomes.filter((o) => o !== "ok").length).toBeGreaterThan(100);
      await writeFile(join(root, name, "adapter_config.json"), valid);
    });
  }

  it("crafted configs: absurd ranks, layers and targets are rejected without allocating", async () => {
    const base = configs.lora!;
    const cases: [string, Record<string, unknown>][] = [
      ["r = 1e9", { ...base, r: 1e9 }],
      ["r = 2^31", { ...base, r: 2 ** 31 }],
      ["r = 0", { ...base, r: 0 }],
      ["r = 1.5", { ...base, r: 1.5 }],
      ["lora_alpha = NaN text", { ...base, lora_alpha: "NaN" }],
      ["layers_to_transform = [1e9]", { ...base, layers_to_transform: [1e9] }],
      [
        "target_modules = 100k names",
        { ...base, target_modules: Array.from({ length: 100_000 }, (_, i) => `m${i}`) },
      ],
      ["target_modules = regex that matches nothing", { ...base, target_modules: "^$" }],
      ["peft_type __proto__", { ...base, peft_type: "__proto__" }],
    ];
    for (const [label, config] of cases) {
      const outcome = await runHostileCase(label, () => loadWithConfig("lora", JSON.stringify(config)), {
        codes: CODES,
      });
      expect(outcome, label).not.toBe("ok");
    }
    await writeFile(join(root, "lora", "adapter_config.json"), JSON.stringify(base));
  });

  it("an adapter_config.json or weights file that links to /dev/zero is a typed error, not a hang", async () => {
    const dir = join(root, "zero");
    await saveAdapter(lora({ r: 2 }).apply(tinyBert()), dir);
    await rm(join(dir, "adapter_model.safetensors"));
    await symlink("/dev/zero", join(dir, "adapter_model.safetensors"));
    expect(
      await runHostileCase("weights", () => loadAdapter(tinyBert(), dir, { onWarning: () => {} }), {
        codes: ["IO_ERROR"],
      }),
    ).toBe("IO_ERROR");
    await rm(join(dir, "adapter_config.json"));
    await symlink("/dev/zero", join(dir, "adapter_config.json"));
    expect(
      await runHostileCase("config", () => loadAdapter(tinyBert(), dir, { onWarning: () => {} }), {
        codes: ["IO_ERROR"],
      }),
    ).toBe("IO_ERROR");
    // Every adapter-folder loader reads adapter_config.json the same bounded way.
    const loaders: [string, (d: string) => Promise<unknown>][] = [
      ["loadAdapterFolder", (d) => loadAdapterFolder(tinyBert(), d)],
      ["loadBottleneckAdapter", (d) => loadBottleneckAdapter(tinyBert(), d)],
      ["loadAdapterFusion", (d) => loadAdapterFusion(tinyBert(), d)],
      ["loadPromptLearningAdapter", (d) => loadPromptLearningAdapter(tinyBert(), d)],
    ];
    for (const [label, load] of loaders) {
      expect(await runHostileCase(label, () => load(dir), { codes: ["IO_ERROR"] }), label).toBe("IO_ERROR");
    }
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases).
describe("PEFT adapter_config.json: fast-check properties", () => {
  for (const [name, seed] of [
    ["lora", 91],
    ["ia3", 92],
  ] as const) {
    it(`${name}: hostile JSON documents and hostile bytes load or fail typed`, async () => {
      const t = await assertHostileProperty(
        hostileJson(configs[name]),
        (doc) => loadWithConfig(name, JSON.stringify(doc)),
        {
          codes: CODES,
          seed,
          numRuns: 150,
        },
      );
      expect(t.CONFIG_INVALID ?? 0).toBeGreaterThan(10);
      const bytes = new TextEncoder().encode(JSON.stringify(configs[name]));
      await assertHostileProperty(hostileBytes(bytes), (b) => loadWithConfig(name, b), {
        codes: CODES,
        seed: seed + 10,
        numRuns: 100,
      });
    });
  }
});
