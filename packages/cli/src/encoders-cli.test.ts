import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// tunekit train on the other BERT-architecture encoders: the tiny DistilBERT and ELECTRA parity
// fixtures (made with transformers; 16 positions, so 12 tokens) with LoRA on PEFT's default
// targets for each, 2 steps; the saved model keeps its architecture.
const QUICK = [...smallRunFlags({ train: 16, maxLength: 12 }), "--max-steps", "2"];

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const io = captureIo({ cwd: REPO });
  expect(await runCli([...args, "--json"], io), io.err()).toBe(EXIT.ok);
  return JSON.parse(io.out().trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe("tunekit train on DistilBERT and ELECTRA folders", () => {
  for (const [folder, type, target, shown] of [
    ["distilbert-2l-h24-3labels-b3-seq9", "distilbert", "q_lin", "DistilBERT"],
    ["electra-2l-h32-e16-3labels-b3-seq9", "electra", "query", "ELECTRA"],
  ] as const) {
    it(`${type}: trains LoRA on ${target} and saves a ${type} folder`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `tunekit-${type}-`));
      const model = join(REPO, "fixtures/parity", folder);
      await cli([
        "train",
        "examples/sst2-tiny.json",
        ...QUICK,
        "--set",
        'strategy={"method":"lora","r":2}',
        "--set",
        `model={"path":${JSON.stringify(model)},"resizeEmbeddings":true}`,
        "--output",
        join(dir, "run"),
      ]);
      const adapter = JSON.parse(
        await readFile(join(dir, "run", "adapter", "adapter_config.json"), "utf8"),
      ) as {
        target_modules: string[];
      };
      expect(adapter.target_modules).toContain(target);
      const saved = JSON.parse(await readFile(join(dir, "run", "model", "config.json"), "utf8")) as Record<
        string,
        unknown
      >;
      expect(saved.model_type).toBe(type);
      const info = (await cli(["info", model])) as { architecture: Record<string, unknown> };
      expect(info.architecture.modelType).toBe(type);
      const io = captureIo({ cwd: REPO });
      expect(await runCli(["info", model], io), io.err()).toBe(EXIT.ok);
      expect(io.out()).toContain(`${shown}: 2 layers`);
    }, 120_000);
  }
});
