import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// The real CLI on data shaped like AdvGLUE (one JSON document, an object of splits) and AG News
// (quoted CSV without a header, title and description joined), with SST-2 dev sentences.
async function sentences(n: number): Promise<{ sentence: string; label: number }[]> {
  const lines = (await readFile(join(REPO, "../shared/data/sst2/dev.tsv"), "utf8"))
    .split("\n")
    .slice(1, n + 1);
  return lines.map((l) => {
    const [sentence, label] = l.split("\t");
    return { sentence: sentence!.trim(), label: Number(label) };
  });
}

interface Summary {
  readonly labels: string[];
  readonly evaluation: { readonly rows: number };
}

async function train(dir: string, dataConfig: object): Promise<Summary> {
  await writeFile(join(dir, "data.json"), JSON.stringify(dataConfig));
  const io = captureIo({ cwd: REPO });
  const args = [
    "train",
    "examples/sst2-tiny.json",
    ...smallRunFlags({}),
    "--set",
    `data.config=${JSON.stringify(join(dir, "data.json"))}`,
    "--set",
    `data.baseDir=${JSON.stringify(dir)}`,
    "--max-steps",
    "1",
    "--output",
    join(dir, "run"),
    "--json",
  ];
  expect(await runCli(args, io), io.err()).toBe(EXIT.ok);
  return JSON.parse(io.out()) as Summary;
}

describe("data formats through tunekit train", () => {
  it("a JSON document with splits (AdvGLUE's layout), each split read through its field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-json-cli-"));
    const rows = await sentences(60);
    await writeFile(
      join(dir, "sst2.json"),
      JSON.stringify({ train: rows.slice(0, 40), dev: rows.slice(40) }, null, 2),
    );
    const summary = await train(dir, {
      name: "sst2-json",
      format: "json",
      labels: [0, 1],
      columns: { text: "sentence", label: "label" },
      splits: {
        train: { files: "sst2.json", field: "train" },
        validation: { files: "sst2.json", field: "dev" },
      },
    });
    expect(summary.labels).toEqual(["0", "1"]);
    expect(summary.evaluation.rows).toBe(20);
    // the same file as JSON Lines: the error names the format it is
    await writeFile(
      join(dir, "data.json"),
      JSON.stringify({
        format: "jsonl",
        columns: { text: "sentence", label: "label" },
        splits: { train: "sst2.json" },
      }),
    );
    const io = captureIo({ cwd: REPO });
    const args = [
      "train",
      "examples/sst2-tiny.json",
      "--set",
      `data.config=${JSON.stringify(join(dir, "data.json"))}`,
    ];
    expect(
      await runCli(
        [...args, "--set", `data.baseDir=${JSON.stringify(dir)}`, "--output", join(dir, "r2")],
        io,
      ),
    ).toBe(EXIT.runtimeError);
    expect(io.err()).toContain('this is a JSON document, not JSON Lines: set "format": "json" and "field"');
    expect(io.err()).toContain("train, dev");
  });

  it("quoted CSV without a header and two text columns joined (AG News' layout)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-agnews-cli-"));
    const rows = await sentences(48);
    const csv = (part: typeof rows) =>
      part
        .map((r, i) => {
          const words = r.sentence.split(" ");
          const title = words.slice(0, 3).join(" ").replaceAll('"', '""');
          const body = words.slice(3).join(" ").replaceAll('"', '""');
          return `"${r.label + 1}","${title}","${body}${i % 5 === 0 ? ', ""quoted""' : ""}"`;
        })
        .join("\n");
    await writeFile(join(dir, "train.csv"), `${csv(rows.slice(0, 32))}\n`);
    await writeFile(join(dir, "test.csv"), `${csv(rows.slice(32))}\n`);
    const summary = await train(dir, {
      name: "news",
      format: "csv",
      header: false,
      labels: ["1", "2"],
      columns: { text: [1, 2], label: 0, separator: ". " },
      splits: { train: "train.csv", validation: "test.csv" },
    });
    expect(summary.labels).toEqual(["1", "2"]);
    expect(summary.evaluation.rows).toBe(16);
  });
});
