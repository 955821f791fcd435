import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// Strategies and pre-trained folders through the CLI: LoRA runs save adapted weights + PEFT
// files and evaluate to the same numbers; a trained model folder loads as `model.path`;
// `info` counts match hand-computed values.
const QUICK = [...smallRunFlags({ train: 64 })];

async function run(args: string[]): Promise<{ json: Record<string, unknown>; err: string }> {
  const io = captureIo({ cwd: REPO });
  const code = await runCli([...args, "--json"], io);
  expect(code, io.err()).toBe(EXIT.ok);
  return { json: JSON.parse(io.out()) as Record<string, unknown>, err: io.err() };
}

interface Evaluation {
  loss: number;
  metrics: Record<string, number>;
}

describe("strategies and pre-trained models through the CLI", () => {
  it("LoRA: trains 0.2% of the parameters, saves adapted weights and PEFT files, evaluates to the same loss", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-lora-"));
    const { json } = await run([
      "train",
      "examples/sst2-tiny.json",
      ...QUICK,
      "--max-steps",
      "2",
      "--set",
      'strategy={"method":"lora","r":8}',
      "--output",
      out,
    ]);
    expect(json).toMatchObject({
      strategy: "lora",
      savedAs: "adapted",
      adapter: join(out, "adapter"),
      parameters: { trainable: 4226 },
    });
    const config = JSON.parse(await readFile(join(out, "adapter", "adapter_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config.peft_type).toBe("LORA");
    expect((await stat(join(out, "adapter", "adapter_model.safetensors"))).size).toBeGreaterThan(4226 * 4);
    const trained = json.evaluation as Evaluation;
    const evaluated = (await run(["evaluate", out])).json as unknown as Evaluation;
    expect(evaluated.loss).toBeCloseTo(trained.loss, 5);
    expect(evaluated.metrics.accuracy).toBeCloseTo(trained.metrics.accuracy!, 5);
  });

  it("bottleneck adapters and prefix tuning: adapter folders in their formats, evaluation reproduced", async () => {
    const cases = [
      { strategy: '{"method":"adapter","architecture":"houlsby"}', format: "tunekit-bottleneck/1" },
      { strategy: '{"method":"prefix","numVirtualTokens":4}', format: "PREFIX_TUNING" },
    ];
    for (const c of cases) {
      const out = await mkdtemp(join(tmpdir(), "tunekit-adapter-"));
      const { json } = await run([
        "train",
        "examples/rte-tiny.json",
        ...QUICK,
        "--max-steps",
        "2",
        "--set",
        `strategy=${c.strategy}`,
        "--output",
        out,
      ]);
      expect(json.savedAs).toBe("adapted");
      const config = JSON.parse(
        await readFile(join(out, "adapter", "adapter_config.json"), "utf8"),
      ) as Record<string, unknown>;
      expect(config.format ?? config.peft_type).toBe(c.format);
      const evaluated = (await run(["evaluate", out])).json as unknown as Evaluation;
      expect(evaluated.loss).toBeCloseTo((json.evaluation as Evaluation).loss, 5);
    }
  });

  it("a trained model folder loads as model.path: same labels keep the head, other labels get a fresh one", async () => {
    const first = await mkdtemp(join(tmpdir(), "tunekit-base-"));
    const a = await run([
      "train",
      "examples/sst2-tiny.json",
      ...QUICK,
      "--max-steps",
      "2",
      "--output",
      first,
    ]);
    const second = await mkdtemp(join(tmpdir(), "tunekit-cont-"));
    const model = join(first, "model");
    // one step at a negligible learning rate: the loaded model's evaluation is unchanged
    const b = await run([
      "train",
      "examples/sst2-tiny.json",
      ...QUICK,
      "--max-steps",
      "1",
      "--set",
      `model={"path":"${model}"}`,
      "--set",
      "training.lr=1e-12",
      "--output",
      second,
    ]);
    expect(b.json.randomModel).toBe(false);
    expect(b.err).toMatch(/loaded \d+ tensors from/);
    expect(b.err).not.toContain("freshly initialised");
    expect((b.json.evaluation as Evaluation).loss).toBeCloseTo((a.json.evaluation as Evaluation).loss, 4);
    const third = await mkdtemp(join(tmpdir(), "tunekit-sst5-"));
    const c = await run([
      "train",
      "examples/sst5-3class-tiny.json",
      ...QUICK,
      "--max-steps",
      "1",
      "--set",
      `model={"path":"${model}"}`,
      "--output",
      third,
    ]);
    expect(c.err).toContain("freshly initialised: classifier.weight, classifier.bias");
    expect(c.json.labels).toEqual(["negative", "neutral", "positive"]);
  });

  it("a pre-trained folder whose vocabulary is smaller than the tokenizer's: a data error naming the first token without an embedding", async () => {
    const io = captureIo({ cwd: REPO });
    const code = await runCli(
      [
        "train",
        "examples/sst2-tiny.json",
        ...QUICK,
        "--set",
        "training.maxLength=16",
        "--set",
        'model={"path":"../../shared/reference/bert-tiny-parity"}',
      ],
      io,
    );
    expect(code).toBe(EXIT.runtimeError);
    // (paths given with --set resolve against the config file's folder, like the file's own)
    expect(io.err()).toMatch(
      /token "\[CLS\]" \(id 101\) has no embedding: the model's vocab_size is 64 but the tokenizer has 30522 ids/,
    );
    expect(io.err()).toContain("model.resizeEmbeddings: true");
  });

  it("info counts parameters of a Hugging Face folder and compares methods (hand-computed)", async () => {
    // bert-tiny-parity: V=64, H=32, P=16, T=2, 2 layers, I=64, 3 labels.
    const embeddings = 64 * 32 + 16 * 32 + 2 * 32 + 2 * 32;
    const layer = 4 * (32 * 32 + 32) + 2 * 64 + (32 * 64 + 64) + (64 * 32 + 32);
    const total = embeddings + 2 * layer + (32 * 32 + 32) + (32 * 3 + 3);
    const { json } = await run(["info", "../shared/reference/bert-tiny-parity"]);
    expect((json.parameters as { total: number }).total).toBe(total);
    expect(json.architecture).toMatchObject({
      layers: 2,
      hidden: 32,
      heads: 4,
      vocab: 64,
      labels: ["LABEL_0", "LABEL_1", "LABEL_2"],
    });

    const cmp = await run([
      "info",
      "examples/sst2-tiny.json",
      "--strategy",
      "full",
      "--strategy",
      "head-only",
      "--strategy",
      '{"method":"lora","r":8}',
      "--strategy",
      "bitfit",
    ]);
    const rows = cmp.json.strategies as { method: string; trainable: number; added: number }[];
    const head = 64 * 2 + 2;
    const loraAdded = 2 * 2 * (8 * 64 + 64 * 8); // layers × {query, value} × (A + B)
    expect(rows.map((r) => [r.method, r.trainable, r.added])).toEqual([
      ["full", 2066114, 0],
      ["head-only", head, 0],
      ["lora", loraAdded + head, loraAdded],
      ["bitfit", 1666, 0],
    ]);
    const text = captureIo({ cwd: REPO });
    expect(await runCli(["info", "examples/sst2-tiny.json", "--strategy", "lora"], text)).toBe(EXIT.ok);
    expect(text.out()).toContain("RANDOM initialisation");
    expect(text.out()).toMatch(
      /per method \(base model: 2,066,114 parameters\):\nmethod\s+trainable\s+% of base\s+added/,
    );
  });
});
