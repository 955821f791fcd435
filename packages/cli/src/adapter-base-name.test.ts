import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// Adapters name their base model by Hub id or folder name, never by this machine's absolute path:
// a tiny random BERT is trained for one step and saved as a plain folder named "tiny-base", then
// LoRA trains on it as a pre-trained model.
const QUICK = [...smallRunFlags({ train: 16 }), "--max-steps", "1"];

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const io = captureIo({ cwd: REPO });
  expect(await runCli([...args, "--json"], io), io.err()).toBe(EXIT.ok);
  return JSON.parse(io.out()) as Record<string, unknown>;
}

async function baseRecorded(dir: string): Promise<unknown> {
  const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  return config.base_model_name_or_path;
}

describe("base_model_name_or_path of adapter folders", () => {
  it("is the base folder's name or its Hub id, and --base-model sets it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-base-name-"));
    await cli(["train", "examples/sst2-tiny.json", ...QUICK, "--output", join(dir, "tiny-base")]);
    const base = join(dir, "tiny-base", "model");
    const lora = [
      "--set",
      'strategy={"method":"lora","r":2}',
      "--set",
      `model={"path":${JSON.stringify(base)}}`,
    ];
    await cli(["train", "examples/sst2-tiny.json", ...QUICK, ...lora, "--output", join(dir, "lora")]);
    // the run's own adapter folder and export-adapter's default: the folder's name
    expect(await baseRecorded(join(dir, "lora", "adapter"))).toBe("model");
    const exported = await cli(["export-adapter", join(dir, "lora"), "--out", join(dir, "out")]);
    expect(exported.baseModel).toBe("model");
    expect(await baseRecorded(join(dir, "out"))).toBe("model");
    // an explicit name wins, on export and on train
    await cli([
      "export-adapter",
      join(dir, "lora"),
      "--out",
      join(dir, "named"),
      "--base-model",
      "me/tiny-bert",
    ]);
    expect(await baseRecorded(join(dir, "named"))).toBe("me/tiny-bert");
    // a base folder whose config.json records a Hub id (as transformers writes it) gives that id
    const configPath = join(base, "config.json");
    const config = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, _name_or_path: "prajjwal1/bert-tiny" }));
    await cli(["export-adapter", join(dir, "lora"), "--out", join(dir, "hub")]);
    expect(await baseRecorded(join(dir, "hub"))).toBe("prajjwal1/bert-tiny");
    await cli([
      "train",
      "examples/sst2-tiny.json",
      ...QUICK,
      ...lora,
      "--base-model",
      "org/base",
      "--output",
      join(dir, "lora2"),
    ]);
    expect(await baseRecorded(join(dir, "lora2", "adapter"))).toBe("org/base");
  });
});
