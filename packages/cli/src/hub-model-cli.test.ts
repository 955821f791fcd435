import { lstat, mkdtemp, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoopbackHub, startHubServer } from "@tunekit/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// The README's "Fine-tune a model from the Hub" path, run against a loopback Hub: the server on
// 127.0.0.1 serves the committed 4-layer BERT (examples/models/bert-4l-h128) under the name the
// README uses, its weights as an LFS file behind a redirect to a second "CDN" server.
const NAME = "prajjwal1/bert-tiny";
const TOKEN = "hf_readme_test_token_42";
const QUICK = ["--max-steps", "2", ...smallRunFlags({ train: 32, validation: 16 })];
const ENV = ["HF_ENDPOINT", "HF_HOME", "HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let hub: LoopbackHub;
let home: string;

async function cli(args: string[], expected: number = EXIT.ok) {
  const io = captureIo({ cwd: REPO });
  const code = await runCli([...args, "--json"], io);
  expect(code, io.err()).toBe(expected);
  expect(io.out() + io.err()).not.toContain(TOKEN);
  return {
    json: expected === EXIT.ok ? (JSON.parse(io.out()) as Record<string, unknown>) : {},
    err: io.err(),
  };
}

beforeAll(async () => {
  const dir = join(REPO, "examples/models/bert-4l-h128");
  const files: Record<string, Uint8Array> = {};
  for (const f of [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
  ])
    files[f] = new Uint8Array(await readFile(join(dir, f)));
  hub = await startHubServer({
    token: TOKEN,
    repos: { [NAME]: { commit: "5".repeat(40), files, lfs: ["model.safetensors"] } },
  });
  home = await mkdtemp(join(tmpdir(), "tunekit-hf-home-"));
  for (const k of ENV) delete process.env[k];
  process.env.HF_ENDPOINT = hub.endpoint;
  process.env.HF_HOME = home;
  process.env.HF_TOKEN = TOKEN;
});

afterAll(async () => {
  await hub.close();
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("README: fine-tune a model from the Hub (loopback server)", () => {
  let out = "";
  let run = "";

  it("config errors are reported before anything is downloaded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-hub-config-"));
    const config = join(dir, "bad.json");
    await writeFile(
      config,
      JSON.stringify({
        model: { path: NAME },
        tokenizer: NAME,
        data: { config: "d.json" },
        training: { epochs: 1 },
        output: "o",
        backend: "gpu",
      }),
    );
    const bad = await cli(["train", config], EXIT.usageError);
    expect(bad.err).toContain('backend is "gpu"');
    expect(hub.requests).toEqual([]);
  });

  it("train with model.path org/name + LoRA fills huggingface_hub's cache", async () => {
    out = await mkdtemp(join(tmpdir(), "tunekit-hub-run-"));
    run = join(out, "run");
    const trained = await cli(["train", "examples/sst2-hub-lora.json", ...QUICK, "--output", run]);
    expect(trained.json).toMatchObject({ ok: true, randomModel: false, steps: 2 });
    // huggingface_hub's cache layout under HF_HOME/hub
    const snapshot = join(home, "hub", "models--prajjwal1--bert-tiny", "snapshots", "5".repeat(40));
    expect(await readFile(join(home, "hub", "models--prajjwal1--bert-tiny", "refs", "main"), "utf8")).toBe(
      "5".repeat(40),
    );
    expect((await lstat(join(snapshot, "model.safetensors"))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(snapshot, "model.safetensors"))).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    // model.path and tokenizer name the same repository: it is resolved once
    expect(hub.requests.filter((r) => r.method === "HEAD" && r.path.endsWith("/config.json"))).toHaveLength(
      1,
    );
    // the token went to the Hub, never to the CDN
    expect(hub.requests.filter((r) => r.server === "cdn")).toHaveLength(1);
    expect(hub.requests.filter((r) => r.server === "cdn" && r.authorization !== undefined)).toEqual([]);
    expect(
      hub.requests.filter((r) => r.server === "hub").every((r) => r.authorization === `Bearer ${TOKEN}`),
    ).toBe(true);
    // the run records the reference, not the cache folder
    const record = JSON.parse(await readFile(join(run, "tunekit-run.json"), "utf8")) as {
      config: { model: unknown };
    };
    expect(record.config.model).toEqual({ path: NAME });
  }, 180_000);

  it("export-adapter (PEFT, base model named by its Hub id), merge and export --format onnx", async () => {
    const adapter = join(out, "adapter");
    await cli(["export-adapter", run, "--out", adapter]);
    const adapterConfig = JSON.parse(await readFile(join(adapter, "adapter_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(adapterConfig.base_model_name_or_path).toBe(NAME);
    expect(adapterConfig.peft_type).toBe("LORA");
    const merged = await cli(["merge", run, "--out", join(out, "merged")]);
    expect(merged.json.maxAbsDifference as number).toBeLessThan(1e-4);
    await cli(["export", run, "--format", "onnx", "--out", join(out, "onnx")]);
    expect((await stat(join(out, "onnx", "onnx", "model.onnx"))).size).toBeGreaterThan(1000);
  }, 180_000);

  it("offline with the server gone: info NAME, evaluate, evaluate --model NAME, predict NAME from the cache (and convert NAME)", async () => {
    await hub.close();
    process.env.HF_HUB_OFFLINE = "1";
    const info = await cli(["info", NAME]);
    expect(JSON.stringify(info.json)).toContain('"layers":4');
    const evaluated = await cli(["evaluate", run]);
    expect(Number.isFinite(evaluated.json.loss as number)).toBe(true);
    // --model takes a Hub name too: here the base model from the cache, whose labels are not SST-2's
    const base = await cli(["evaluate", run, "--model", NAME], EXIT.runtimeError);
    expect(base.err).toContain("the model's labels [LABEL_0, LABEL_1] differ from the data set's");
    // predict / evaluate take a Hub model name as MODEL_DIR
    const input = join(out, "sentences.txt");
    await writeFile(input, "a great film\nterrible , boring\n");
    await cli(["predict", NAME, "--input", input, "--out", join(out, "predictions.jsonl")]);
    const predictions = (await readFile(join(out, "predictions.jsonl"), "utf8")).trim().split("\n");
    expect(predictions).toHaveLength(2);
    expect(["LABEL_0", "LABEL_1"]).toContain(
      (JSON.parse(predictions[0]!) as { prediction: string }).prediction,
    );
    // convert takes one too
    await cli(["convert", NAME, "--output", join(out, "converted")]);
    expect((await stat(join(out, "converted", "model.safetensors"))).size).toBeGreaterThan(1000);
    const miss = await cli(["info", "someone/not-cached"], EXIT.runtimeError);
    expect(miss.err).toContain("HF_HUB_OFFLINE");
    expect(miss.err).toContain("someone/not-cached");
  }, 180_000);

  it("offline: --set model.path=org/name@main trains from the cache", async () => {
    const again = await cli([
      "train",
      "examples/sst2-bert-4l.json",
      "--set",
      `model.path=${NAME}@main`,
      "--set",
      `tokenizer=${NAME}`,
      "--max-steps",
      "1",
      "--set",
      "data.maxRows.train=16",
      "--set",
      "data.maxRows.validation=8",
      "--set",
      "training.maxLength=16",
      "--output",
      join(out, "offline-run"),
    ]);
    expect(again.json).toMatchObject({ ok: true, randomModel: false });
  }, 180_000);
});
