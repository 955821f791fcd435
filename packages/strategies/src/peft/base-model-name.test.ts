import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseModelName, isHubModelId } from "./base-model-name.js";

async function folder(name: string, config?: string): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "tunekit-base-")), name);
  await mkdir(dir);
  if (config !== undefined) await writeFile(join(dir, "config.json"), config);
  return dir;
}

describe("base model names for adapter files", () => {
  it("tells Hub ids from local paths", () => {
    for (const id of ["bert-base-uncased", "prajjwal1/bert-tiny", "google-bert/bert-base-cased", "a.b_c-1"]) {
      expect(isHubModelId(id), id).toBe(true);
    }
    for (const path of [
      "/home/me/bert",
      "./bert",
      "../bert",
      "a/b/c",
      "C:\\models\\bert",
      "",
      "a/../b",
      ".bert",
    ]) {
      expect(isHubModelId(path), path).toBe(false);
    }
  });

  it("takes the Hub id transformers recorded in config.json", async () => {
    const dir = await folder("snapshot", JSON.stringify({ _name_or_path: "prajjwal1/bert-tiny" }));
    expect(await baseModelName(dir)).toBe("prajjwal1/bert-tiny");
  });

  it("falls back to the folder's name, never an absolute path", async () => {
    expect(
      await baseModelName(await folder("bert-ner", JSON.stringify({ _name_or_path: "/srv/models/x" }))),
    ).toBe("bert-ner");
    expect(await baseModelName(await folder("no-name", JSON.stringify({ hidden_size: 4 })))).toBe("no-name");
    expect(await baseModelName(await folder("broken", "{ not json"))).toBe("broken");
    expect(await baseModelName(await folder("null-config", "null"))).toBe("null-config");
    expect(await baseModelName(await folder("missing"))).toBe("missing");
  });

  it("names a Hugging Face cache snapshot folder by its repository id", async () => {
    const root = await mkdtemp(join(tmpdir(), "tunekit-base-"));
    const snapshot = join(root, "models--BAAI--bge-small-en-v1.5", "snapshots", "a".repeat(40));
    await mkdir(snapshot, { recursive: true });
    await writeFile(join(snapshot, "config.json"), JSON.stringify({ _name_or_path: "other/base" }));
    expect(await baseModelName(snapshot)).toBe("BAAI/bge-small-en-v1.5");
    const single = join(root, "models--bert-base-uncased", "snapshots", "b".repeat(40));
    await mkdir(single, { recursive: true });
    expect(await baseModelName(single)).toBe("bert-base-uncased");
    // not a commit folder: the usual rules
    const other = join(root, "models--x--y", "snapshots", "main");
    await mkdir(other, { recursive: true });
    expect(await baseModelName(other)).toBe("main");
  });
});
