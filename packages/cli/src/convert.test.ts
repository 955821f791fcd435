import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBertCheckpoint, readSafetensorsFile } from "@tunekit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// `tunekit convert` and a pytorch_model.bin-only checkpoint with a vocab.txt-only tokenizer,
// on core's fixtures (made with PyTorch 1.13 by packages/core/src/io/fixtures/make_torch_checkpoints.py).
const FIXTURES = join(REPO, "packages/core/src/io/fixtures");
const BIN_MODEL = join(FIXTURES, "bert-tiny-bin"); // config.json, pytorch_model.bin, vocab.txt, ...
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-convert-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], expected: number = EXIT.ok) {
  const io = captureIo({ cwd: REPO });
  const code = await runCli(args, io);
  expect(code, io.err()).toBe(expected);
  return { out: io.out(), err: io.err() };
}

describe("tunekit convert", () => {
  it("writes model.safetensors with exactly the .bin's tensors and copies config and tokenizer files", async () => {
    const out = join(dir, "converted");
    const { out: stdout } = await cli(["convert", BIN_MODEL, "--output", out, "--json"]);
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
    const out = join(dir, "half");
    const { out: text } = await cli([
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
    const hostile = join(dir, "hostile");
    await mkdir(hostile, { recursive: true });
    await copyFile(join(FIXTURES, "hostile.bin"), join(hostile, "pytorch_model.bin"));
    const { err } = await cli(["convert", hostile, "--output", join(dir, "never")], EXIT.runtimeError);
    expect(err).toContain(
      'global "posix.system" is not allowed: this reader only rebuilds tensors and never runs code',
    );
    expect(await readdir(dir)).not.toContain("never");
    expect((await cli(["convert", BIN_MODEL], EXIT.usageError)).err).toContain("convert needs --output DIR");
    expect((await cli(["convert", dir, "-o", join(dir, "x")], EXIT.runtimeError)).err).toContain(
      "holds no model weights: expected one of model.safetensors, model.safetensors.index.json, pytorch_model.bin",
    );
  });
});

describe("a pytorch_model.bin-only checkpoint with a vocab.txt-only tokenizer", () => {
  it("trains and evaluates with tunekit train (no safetensors, no tokenizer.json anywhere)", async () => {
    const output = join(dir, "run");
    const { out } = await cli([
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
