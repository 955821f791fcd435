// The instruction-tuning example: npm run example:instruct [-- MODEL_DIR] [options]
// (see README.md beside this file). Prints the results table and writes the run folder.
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { saveAdapter } from "@tunekit/strategies";
import { runExperiment } from "./experiment.js";
import { resultsMarkdown } from "./results-table.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const USAGE = `usage: npm run example:instruct -- [MODEL_DIR] [options]
MODEL_DIR   a Llama-family / GPT-2 folder with tokenizer.json (default examples/models/llama-4l-h256)
--out DIR            run folder (default runs/instruction-tuning)
--tasks A,B,C        tasks instruction-tuned on (default sst2,subj,mrpc)
--held-out T         task kept out of instruction tuning (default cr)
--train-rows N       training rows per task (default 320)
--dev-rows N         evaluation rows per task (default 64)
--rank R --alpha A   LoRA rank and scaling (default 8, 16)
--lr LR              peak learning rate (default 0.01)
--batch-size B       training batch size (default 16)
--epochs E           epochs over the training rows (default 1)
--max-new-tokens N   generated tokens at most (default 4)
--seed S             sampling of rows and training (default 1)
--format F           plain (default) or chat: how the LoRAs see instructions (chat: the model's chat_template)`;

function int(name: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} is ${JSON.stringify(v)}; expected an integer ≥ ${min}\n${USAGE}`);
  return n;
}

function num(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} is ${JSON.stringify(v)}; expected a number > 0\n${USAGE}`);
  return n;
}

function instructionFormat(v: string | undefined): "plain" | "chat" {
  if (v === undefined || v === "plain" || v === "chat") return v ?? "plain";
  throw new Error(`--format is ${JSON.stringify(v)}; expected plain or chat\n${USAGE}`);
}

async function main(argv: readonly string[]): Promise<void> {
  const started = performance.now();
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: "string" },
      tasks: { type: "string" },
      "held-out": { type: "string" },
      "train-rows": { type: "string" },
      "dev-rows": { type: "string" },
      rank: { type: "string" },
      alpha: { type: "string" },
      lr: { type: "string" },
      "batch-size": { type: "string" },
      epochs: { type: "string" },
      "max-new-tokens": { type: "string" },
      seed: { type: "string" },
      format: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const modelDir = resolve(positionals[0] ?? join(ROOT, "examples/models/llama-4l-h256"));
  const out = resolve(values.out ?? join(ROOT, "runs/instruction-tuning"));
  const rank = int("rank", values.rank, 8);
  const backend = await createOnnxBackend();
  try {
    const { result, instructionTuned } = await runExperiment({
      modelDir,
      dataDir: join(ROOT, "examples/data"),
      baseDir: ROOT,
      trainTasks: (values.tasks ?? "sst2,subj,mrpc").split(",").map((t) => t.trim()),
      heldOut: values["held-out"] ?? "cr",
      trainRows: int("train-rows", values["train-rows"], 320),
      devRows: int("dev-rows", values["dev-rows"], 64),
      lora: {
        r: rank,
        alpha: num("alpha", values.alpha, 2 * rank),
        targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        lr: num("lr", values.lr, 1e-2),
        batchSize: int("batch-size", values["batch-size"], 16),
        epochs: int("epochs", values.epochs, 1),
        maxLength: 256,
        seed: int("seed", values.seed, 1, 0),
      },
      generation: { batchSize: 48, maxNewTokens: int("max-new-tokens", values["max-new-tokens"], 4) },
      backend,
      seed: int("seed", values.seed, 1, 0),
      instructionFormat: instructionFormat(values.format),
      log: (line) => console.error(line),
    });
    await mkdir(out, { recursive: true });
    const adapter = join(out, "adapter");
    await saveAdapter(instructionTuned, adapter, { baseModelNameOrPath: modelDir });
    const wall = (performance.now() - started) / 1000;
    const table = `${resultsMarkdown(result)}\n`;
    await writeFile(
      join(out, "results.json"),
      `${JSON.stringify({ ...result, wallSeconds: wall }, null, 2)}\n`,
    );
    await writeFile(join(out, "results.md"), table);
    console.log(`\n${table}`);
    console.log(
      `whole command ${wall.toFixed(1)} s; results in ${relative(process.cwd(), out) || "."}/results.{md,json}; instruction-tuned adapter in ${relative(process.cwd(), adapter)}`,
    );
  } finally {
    backend.dispose();
  }
}

await main(process.argv.slice(2));
