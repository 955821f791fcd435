import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { loadTokenizer, readSafetensorsFile } from "@tunekit/core";
import type { AnyBertModel } from "@tunekit/core/models";
import { loadAdapterFolder, maxOutputDifference } from "@tunekit/strategies";
import { describe, expect, it } from "vitest";
import { MERGE_PROBE_SENTENCES } from "./commands/merge.js";
import { EXIT, runCli } from "./run-cli.js";
import { loadAdaptedRun } from "./setup/adapted-run.js";
import { buildModel } from "./setup/model-setup.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// `tunekit merge` and `tunekit export-adapter` on tiny random BERTs trained for 2 steps.
const QUICK = [
  ...smallRunFlags({ train: 32 }),
  // a large lr so 2 steps move the adapter far from its (often identity) initialisation
  "--set",
  "training.lr=0.05",
  "--max-steps",
  "2",
];

async function cli(args: string[], expected: number = EXIT.ok) {
  const io = captureIo({ cwd: REPO });
  const code = await runCli([...args, "--json"], io);
  expect(code, io.err()).toBe(expected);
  return { json: JSON.parse(io.out()) as Record<string, unknown>, err: io.err() };
}

async function trainRun(strategy: string): Promise<{ dir: string; loss: number }> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-merge-"));
  const { json } = await cli([
    "train",
    "examples/sst2-tiny.json",
    ...QUICK,
    "--set",
    `strategy=${strategy}`,
    "--output",
    dir,
  ]);
  return { dir, loss: (json.evaluation as { loss: number }).loss };
}

describe("tunekit merge", () => {
  for (const strategy of [
    '{"method":"lora","r":4,"targetModules":["query","value","dense"]}',
    "dora",
    "ia3",
  ]) {
    it(`${strategy}: the merged plain folder evaluates to the adapter run's loss (within 1e-5)`, async () => {
      const run = await trainRun(strategy);
      const out = await mkdtemp(join(tmpdir(), "tunekit-merged-"));
      const own = await cli(
        ["merge", join(run.dir, "model"), "--out", join(run.dir, "model")],
        EXIT.usageError,
      );
      expect(own.err).toContain("is the run's own folder");
      const merged = (await cli(["merge", run.dir, "--out", out])).json;
      expect(merged.mergedModules as number).toBeGreaterThan(0);
      expect(merged.maxAbsDifference as number).toBeLessThan(1e-5);
      expect(merged.unloadedMaxAbsDifference as number).toBeLessThan(1e-5);
      // a plain Hugging Face folder: no adapter tensors, BERT names only
      const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
      expect(config.architectures).toEqual(["BertForSequenceClassification"]);
      expect((await stat(join(out, "tokenizer.json"))).isFile()).toBe(true);
      const evaluated = (await cli(["evaluate", run.dir, "--model", out])).json;
      expect(Math.abs((evaluated.loss as number) - run.loss)).toBeLessThan(1e-5);
      const { tensors } = await readSafetensorsFile(join(out, "model.safetensors"));
      const names = [...tensors.keys()];
      expect(names).toContain("bert.encoder.layer.0.attention.self.query.weight");
      expect(names).toContain("classifier.weight");
      expect(names.filter((n) => /lora|ia3|base_layer|modules_to_save/.test(n))).toEqual([]);
    });
  }

  it("refuses methods that cannot be merged (exit 2, names the ones that can) and a missing --out", async () => {
    const run = await trainRun('{"method":"houlsby"}');
    const out = await mkdtemp(join(tmpdir(), "tunekit-merged-"));
    const { json, err } = await cli(["merge", run.dir, "--out", out], EXIT.usageError);
    expect(json.error).toMatchObject({ code: "CONFIG_INVALID" });
    expect(err).toContain('trained with strategy "houlsby"');
    expect(err).toContain("lora, rslora, dora, ia3");
    expect((await cli(["merge", run.dir], EXIT.usageError)).err).toContain("merge needs --out DIR");
  });
});

describe("tunekit export-adapter", () => {
  const cases = [
    { strategy: '{"method":"lora","r":4}', format: "peft", key: "peft_type", value: "LORA" },
    {
      strategy: '{"method":"prompt","numVirtualTokens":3}',
      format: "peft",
      key: "peft_type",
      value: "PROMPT_TUNING",
    },
    { strategy: '{"method":"pfeiffer"}', format: "tunekit", key: "format", value: "tunekit-bottleneck/1" },
  ];
  for (const c of cases) {
    it(`${c.strategy}: ${c.format} folder that loadAdapterFolder loads onto the base to the run's outputs`, async () => {
      const run = await trainRun(c.strategy);
      const out = await mkdtemp(join(tmpdir(), "tunekit-export-"));
      const { json } = await cli(["export-adapter", run.dir, "--out", out, "--format", c.format]);
      expect(json).toMatchObject({ method: JSON.parse(c.strategy).method, format: c.format });
      const config = JSON.parse(await readFile(join(out, "adapter_config.json"), "utf8")) as Record<
        string,
        unknown
      >;
      expect(config[c.key]).toBe(c.value);

      // round trip: the base model (same random init) + the exported folder = the trained run
      const adapted = await loadAdaptedRun(run.dir, REPO, () => true, "");
      const tokenizer = await loadTokenizer(adapted.config.tokenizer);
      const { model: base } = await buildModel(adapted.config.model, {
        task: adapted.record.task,
        labels: adapted.record.labels,
        vocabSize: tokenizer.vocabSize,
        padId: tokenizer.padId,
        maxLength: 32,
      });
      const loaded = (await loadAdapterFolder(base, out)) as AnyBertModel;
      const enc = tokenizer.encodeBatch(MERGE_PROBE_SENTENCES);
      const probe = {
        input_ids: enc.inputIds,
        attention_mask: enc.attentionMask,
        token_type_ids: enc.tokenTypeIds,
      };
      const backend = await createOnnxBackend();
      try {
        expect(await maxOutputDifference(loaded, adapted.model, backend, probe)).toBeLessThan(1e-6);
      } finally {
        backend.dispose();
      }
      // and the adapter matters: the bare base model's outputs differ
      const bare = (
        await buildModel(adapted.config.model, {
          task: adapted.record.task,
          labels: adapted.record.labels,
          vocabSize: tokenizer.vocabSize,
          padId: tokenizer.padId,
          maxLength: 32,
        })
      ).model;
      const backend2 = await createOnnxBackend();
      try {
        expect(await maxOutputDifference(bare, adapted.model, backend2, probe)).toBeGreaterThan(1e-4);
      } finally {
        backend2.dispose();
      }
    });
  }

  it("a --format the method has not, and a full run, are usage/config errors (exit 2)", async () => {
    const lora = await trainRun('{"method":"lora","r":4}');
    const out = await mkdtemp(join(tmpdir(), "tunekit-export-"));
    const wrong = await cli(
      ["export-adapter", lora.dir, "--out", out, "--format", "tunekit"],
      EXIT.usageError,
    );
    expect(wrong.err).toContain('strategy "lora" has no tunekit-bottleneck/1 format; expected --format peft');
    const full = await trainRun('"full"');
    const refused = await cli(["export-adapter", full.dir, "--out", out], EXIT.usageError);
    expect(refused.err).toContain("already a plain Hugging Face folder");
  });
});
