import { copyFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { loadBertCheckpoint, readSafetensorsFile } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { EXIT } from "./run-cli.js";
import { cliRun, testDir } from "./testing/cli-run.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// `tunekit convert` and a pytorch_model.bin-only checkpoint with a vocab.txt-only tokenizer,
// on core's fixtures (made with PyTorch 1.13 by packages/core/src/io/fixtures/make_torch_checkpoints.py).
const FIXTURES = join(REPO, "packages/core/src/io/fixtures");
const BIN_MODEL = join(FIXTURES, "bert-tiny-bin"); // config.json, pytorch_model.bin, vocab.txt, ...
const tmp = testDir("tunekit-convert-");

describe("tunekit convert", () => {
  it("writes model.safetensors with exactly the .bin's tensors and copies config and tokenizer files", async () => {
    const out = join(tmp.path, "converted");
    const { out: stdout } = await cliRun(["convert", BIN_MODEL, "--output", out, "--json"]);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      ok: true,
      command: "convert",
      tensors: 42,
      dtype: "float32",
      maxAbsDifference: 0,
      copied: ["config.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"],
    });
    expect((await readdir(out)).sort()).toEqual([
      "config.json",
      "model.safetensors",
      "special_tokens_map.json",
      "tokenizer_config.json",
      "vocab.txt",
    ]);
    const written = (await readSafetensorsFile(join(out, "model.safetensors"))).tensors;
    const reference = (await readSafetensorsFile(join(FIXTURES, "bert-tiny-reference.safetensors"))).tensors;
    expect(new Set(written.keys())).toEqual(new Set(reference.keys()));
    for (const [name, t] of reference) expect(written.get(name)?.data, name).toEqual(t.data);
    const { report } = await loadBertCheckpoint(out, { task: "sequence-classification" });
    expect(report.initialized).toEqual([]);
  });

  it("prints what it did; --dtype float16 halves the file and reports the rounding", async () => {
    const out = join(tmp.path, "half");
    const { out: text } = await cliRun([
      "convert",
      "packages/core/src/io/fixtures/bert-tiny-sharded",
      "-o",
      out,
      "--dtype",
      "float16",
    ]);
    expect(text).toMatch(
      /^converted 42 tensors \(5,570 values\) from packages\/core\/src\/io\/fixtures\/bert-tiny-sharded\/pytorch_model\.bin\.index\.json \(2 shards\) to .*half\/model\.safetensors \(float16, max rounding [0-9.]+e-[0-9]+\)\ncopied config\.json\n$/,
    );
  });

  it("refuses a checkpoint whose pickle calls os.system, naming the global; usage errors exit 2", async () => {
    const hostile = join(tmp.path, "hostile");
    await mkdir(hostile, { recursive: true });
    await copyFile(join(FIXTURES, "hostile.bin"), join(hostile, "pytorch_model.bin"));
    const { err } = await cliRun(
      ["convert", hostile, "--output", join(tmp.path, "never")],
      EXIT.runtimeError,
    );
    expect(err).toContain(
      'global "posix.system" is not allowed: this reader only rebuilds tensors and never runs code',
    );
    expect(await readdir(tmp.path)).not.toContain("never");
    expect((await cliRun(["convert", BIN_MODEL], EXIT.usageError)).err).toContain(
      "convert needs --output DIR",
    );
    expect((await cliRun(["convert", tmp.path, "-o", join(tmp.path, "x")], EXIT.runtimeError)).err).toContain(
      "holds no model weights: expected one of model.safetensors, model.safetensors.index.json, pytorch_model.bin",
    );
  });
});

describe("a pytorch_model.bin-only checkpoint with a vocab.txt-only tokenizer", () => {
  it("trains and evaluates with tunekit train (no safetensors, no tokenizer.json anywhere)", async () => {
    const output = join(tmp.path, "run");
    const { out } = await cliRun([
      "train",
      "examples/sst2-tiny.json",
      ...smallRunFlags({ train: 32, maxLength: 16 }),
      "--set",
      `model=${JSON.stringify({ path: BIN_MODEL })}`,
      "--set",
      `tokenizer=${BIN_MODEL}`,
      "--max-steps",
      "2",
      "--output",
      output,
      "--json",
    ]);
    const result = JSON.parse(out) as { ok: boolean; evaluation: { loss: number } };
    expect(result.ok).toBe(true);
    expect(Number.isFinite(result.evaluation.loss)).toBe(true);
    expect(await readdir(join(output, "model"))).toContain("vocab.txt");
  });
});
