import { mkdir, mkdtemp, open, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { copyTokenizerFiles, writeJson } from "./run-files.js";

describe("final run files are written atomically", () => {
  it("writeJson replaces metrics.json by rename: a reader of the old file still reads it whole", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-files-"));
    const path = join(dir, "metrics.json");
    await writeJson(path, { accuracy: 0.5, note: "old".repeat(100) });
    const reader = await open(path, "r");
    try {
      await writeJson(path, { accuracy: 0.9 });
      // A write in place (truncate, then write) would show the reader the new bytes, or none.
      const old = JSON.parse((await reader.readFile()).toString("utf8"));
      expect(old.accuracy).toBe(0.5);
    } finally {
      await reader.close();
    }
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ accuracy: 0.9 });
    expect(await readdir(dir)).toEqual(["metrics.json"]); // no temporary file left
  });

  it("copyTokenizerFiles replaces each file by rename and fails with a typed error, leaving no temporary file", async () => {
    const from = await mkdtemp(join(tmpdir(), "tunekit-tok-"));
    const to = await mkdtemp(join(tmpdir(), "tunekit-model-"));
    await writeFile(join(from, "vocab.txt"), "[PAD]\n[UNK]\nnew\n");
    await writeFile(join(from, "tokenizer.json"), "{}");
    await writeFile(join(to, "vocab.txt"), "[PAD]\n[UNK]\nold\n");
    const reader = await open(join(to, "vocab.txt"), "r");
    try {
      expect(await copyTokenizerFiles(from, to)).toEqual(["tokenizer.json", "vocab.txt"]);
      expect((await reader.readFile()).toString("utf8")).toBe("[PAD]\n[UNK]\nold\n");
    } finally {
      await reader.close();
    }
    expect(await readFile(join(to, "vocab.txt"), "utf8")).toBe("[PAD]\n[UNK]\nnew\n");

    // a target that cannot be replaced (a non-empty folder of that name): IO_ERROR with a code
    const blocked = await mkdtemp(join(tmpdir(), "tunekit-model-"));
    await mkdir(join(blocked, "vocab.txt", "x"), { recursive: true });
    const e = await copyTokenizerFiles(from, blocked).catch((err: unknown) => err);
    expect(isTunekitError(e, "IO_ERROR")).toBe(true);
    expect((e as Error).message).toContain("vocab.txt");
    expect((await readdir(blocked)).sort()).toEqual(["tokenizer.json", "vocab.txt"]);
  });
});
