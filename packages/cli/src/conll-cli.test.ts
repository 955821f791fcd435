import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO } from "./testing/small-run.js";

// CoNLL-2003-shaped files (word POS chunk tag; -DOCSTART- and blank lines between sentences) as
// data.tokens, made from SST-2 dev sentences tagged PUNCT / WORD, through the real CLI.
async function conllRun(): Promise<{ dir: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-conll-"));
  const lines = (await readFile(join(REPO, "../shared/data/sst2/dev.tsv"), "utf8")).split("\n").slice(1, 97);
  const sentence = (l: string): string =>
    l
      .split("\t")[0]!
      .trim()
      .split(/\s+/)
      .map((w) => `${w} NN B-NP ${/^[^\p{L}\p{N}]+$/u.test(w) ? "PUNCT" : "WORD"}`)
      .join("\n");
  const file = (part: string[]): string =>
    `-DOCSTART- -X- -X- O\n\n${part.map((l, i) => `${sentence(l)}\n\n${i % 10 === 9 ? "-DOCSTART- -X- -X- O\n\n" : ""}`).join("")}`;
  await writeFile(join(dir, "train.txt"), file(lines.slice(0, 64)));
  await writeFile(join(dir, "dev.txt"), file(lines.slice(64)));
  const config = join(dir, "ner.json");
  await writeFile(
    config,
    JSON.stringify({
      model: { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 } },
      tokenizer: join(REPO, "../shared/tokenizers/bert-base-uncased"),
      data: { tokens: { name: "conll", splits: { train: "train.txt", validation: "dev.txt" } } },
      training: { lr: 0.005, maxSteps: 2, batchSize: 32, maxLength: 32 },
      output: join(dir, "run"),
    }),
  );
  return { dir, config };
}

describe("CoNLL token classification data", () => {
  it("trains and evaluates on CoNLL files, and info reads the config", async () => {
    const { dir, config } = await conllRun();
    const io = captureIo({ cwd: dir });
    expect(await runCli(["train", config, "--json"], io), io.err()).toBe(EXIT.ok);
    const summary = JSON.parse(io.out()) as { task: string; labels: string[]; evaluation: { rows: number } };
    expect(summary.task).toBe("token-classification");
    expect(summary.labels).toEqual(["PUNCT", "WORD"]);
    expect(summary.evaluation.rows).toBe(32);
    const info = captureIo({ cwd: dir });
    expect(await runCli(["info", config, "--json"], info), info.err()).toBe(EXIT.ok);
    expect((JSON.parse(info.out()) as { architecture: { labels: string[] } }).architecture.labels).toEqual([
      "PUNCT",
      "WORD",
    ]);
  });

  it("a ragged CoNLL file is a data error naming file:line", async () => {
    const { dir, config } = await conllRun();
    await writeFile(join(dir, "train.txt"), "EU NNP B-NP B-ORG\nrejects O\n");
    const io = captureIo({ cwd: dir });
    expect(await runCli(["train", config], io)).toBe(EXIT.runtimeError);
    expect(io.err()).toContain("train.txt:2: 2 column(s) but line 1 has 4");
  });
});
