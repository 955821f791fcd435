import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "./run-cli.js";
import { cliRun } from "./testing/cli-run.js";
import { REPO } from "./testing/small-run.js";

// One rule for a tokenizer with more ids than the model's vocab_size, in train, evaluate and
// predict: load with a warning; a text that produces such an id is DATA_INVALID naming the
// token; model.resizeEmbeddings: true grows the embeddings. Model: core's 30-token BERT
// fixture (pytorch_model.bin only); tokenizer: its vocab.txt plus 3 added special tokens.
const MODEL = join(REPO, "packages/core/src/io/fixtures/bert-tiny-bin");
let dir = "";
let tokenizer = "";
let plainData = "";
let newTokenData = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-vocab-size-"));
  tokenizer = join(dir, "tokenizer");
  await mkdir(tokenizer);
  for (const f of ["vocab.txt", "tokenizer_config.json"]) await copyFile(join(MODEL, f), join(tokenizer, f));
  await writeFile(
    join(tokenizer, "special_tokens_map.json"),
    JSON.stringify({ additional_special_tokens: ["[NEW1]", "[NEW2]", "[NEW3]"] }),
  );
  const rows = (extra: string) =>
    [
      "sentence\tlabel",
      ...Array.from(
        { length: 16 },
        (_, i) => `${i % 2 ? "good fun" : "dull plot"} film ${i % 5 === 4 ? extra : ""}\t${i % 2}`,
      ),
    ].join("\n");
  for (const [name, extra] of [
    ["plain", "!"],
    ["new-token", "[NEW1]"],
  ] as const) {
    await writeFile(join(dir, `${name}.tsv`), `${rows(extra)}\n`);
    const config = {
      name,
      format: "tsv",
      header: true,
      columns: { text: "sentence", label: "label" },
      labels: ["negative", "positive"],
      labelMap: { "0": "negative", "1": "positive" },
      splits: { train: join(dir, `${name}.tsv`), validation: join(dir, `${name}.tsv`) },
    };
    await writeFile(join(dir, `${name}.json`), JSON.stringify(config));
  }
  plainData = join(dir, "plain.json");
  newTokenData = join(dir, "new-token.json");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function train(data: string, output: string, model: Record<string, unknown> = { path: MODEL }) {
  return [
    "train",
    "examples/sst2-tiny.json",
    "--set",
    `model=${JSON.stringify(model)}`,
    "--set",
    `tokenizer=${tokenizer}`,
    "--set",
    `data=${JSON.stringify({ config: data })}`,
    "--set",
    "training.maxLength=16",
    "--set",
    "training.batchSize=8",
    "--max-steps",
    "2",
    "--output",
    output,
  ];
}

describe("a tokenizer with more ids than the model's vocab_size", () => {
  it("train loads with a warning and trains when no extra id occurs; evaluate/predict name the token when one does", async () => {
    const run = join(dir, "run-plain");
    const { err } = await cliRun(train(plainData, run));
    expect(err).toContain(
      `warning: the tokenizer has 33 ids but ${MODEL}/config.json has vocab_size 30: ids 30..32 have no embedding, and a text that produces one is an error`,
    );
    const evalConfig = join(dir, "eval-new-token.json");
    await writeFile(
      evalConfig,
      JSON.stringify({
        model: { path: MODEL },
        tokenizer,
        data: { config: newTokenData },
        training: { maxLength: 16, batchSize: 8, epochs: 1 },
        output: run,
      }),
    );
    const evaluated = await cliRun(["evaluate", evalConfig], EXIT.runtimeError);
    expect(evaluated.err).toContain('validation split row 5: token "[NEW1]" (id 30) has no embedding');
    const input = join(dir, "input.txt");
    await writeFile(input, "good film\nfun [NEW2] film\n");
    const predicted = await cliRun(
      ["predict", run, "--input", input, "--out", join(dir, "p.csv")],
      EXIT.runtimeError,
    );
    expect(predicted.err).toContain(
      'input row 2: token "[NEW2]" (id 31) has no embedding: the model\'s vocab_size is 30 but the tokenizer has 33 ids',
    );
  });

  it("train refuses data with an extra id, naming it; model.resizeEmbeddings: true grows the embeddings and every command agrees", async () => {
    const refused = await cliRun(train(newTokenData, join(dir, "run-refused")), EXIT.runtimeError);
    expect(refused.err).toContain(
      'train split row 5: token "[NEW1]" (id 30) has no embedding: the model\'s vocab_size is 30 but the tokenizer has 33 ids. ' +
        "Use the tokenizer the model was trained with, or train with model.resizeEmbeddings: true",
    );
    const run = join(dir, "run-resized");
    const { err } = await cliRun(train(newTokenData, run, { path: MODEL, resizeEmbeddings: true }));
    expect(err).toContain("resized the word embeddings from 30 to 33 rows");
    const saved = JSON.parse(await readFile(join(run, "model", "config.json"), "utf8")) as {
      vocab_size: number;
    };
    expect(saved.vocab_size).toBe(33);
    await cliRun(["evaluate", run]);
    const input = join(dir, "input2.txt");
    await writeFile(input, "fun [NEW3] film\n");
    await cliRun(["predict", run, "--input", input, "--out", join(dir, "p2.csv")]);
    expect((await readFile(join(dir, "p2.csv"), "utf8")).split("\n").length).toBeGreaterThan(1);
  });
});
