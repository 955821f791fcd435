import { mkdtemp, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { mutations } from "../testing/hostile-input.js";
import { formatModelRef, hubReferenceOf, parseModelRef } from "./model-ref.js";
import { downloadModel } from "./download-model.js";
import { resolveModel } from "./resolve-model.js";

describe("model references", () => {
  it("parses name, org/name and @revision", () => {
    expect(parseModelRef("bert-base-uncased")).toEqual({ repoId: "bert-base-uncased", revision: "main" });
    expect(parseModelRef("BAAI/bge-small-en-v1.5@v1.0")).toEqual({
      repoId: "BAAI/bge-small-en-v1.5",
      revision: "v1.0",
    });
    expect(parseModelRef("org/m@refs/pr/1")).toEqual({ repoId: "org/m", revision: "refs/pr/1" });
    expect(formatModelRef(parseModelRef("org/m@v2"))).toBe("org/m@v2");
    expect(formatModelRef(parseModelRef("org/m"))).toBe("org/m");
  });

  it("rejects malformed references with INVALID_ARGUMENT naming the text", () => {
    for (const bad of [
      "",
      "a/b/c",
      "org/-x",
      "org/a--b",
      "org/a..b",
      "org/x@",
      "org/x@../y",
      "a b",
      "org/x@a//b",
    ]) {
      let err: unknown;
      try {
        parseModelRef(bad);
      } catch (e) {
        err = e;
      }
      expect(isTunekitError(err, "INVALID_ARGUMENT"), bad).toBe(true);
      expect((err as Error).message).toContain("org/name");
    }
  });

  it("an existing path wins; path-looking text is never a Hub reference", () => {
    expect(hubReferenceOf("org/name", true)).toBeUndefined();
    expect(hubReferenceOf("org/name", false)).toEqual({ repoId: "org/name", revision: "main" });
    for (const path of [
      "./org/name",
      "../x",
      "/abs/x",
      "~/x",
      "a/b/c",
      "C:\\models",
      "models\\bert",
      "",
      "train.json",
      "runs/x.yaml",
      "c.YML",
    ]) {
      expect(hubReferenceOf(path, false), path).toBeUndefined();
    }
  });

  it("hostile text never crashes", () => {
    for (const text of mutations(new TextEncoder().encode("org/name@main"), 200, 7).map((m) =>
      new TextDecoder().decode(m.bytes),
    )) {
      try {
        hubReferenceOf(text, false);
        parseModelRef(text);
      } catch (e) {
        expect(isTunekitError(e, "INVALID_ARGUMENT")).toBe(true);
      }
    }
    expect(() => parseModelRef(`org/${"a".repeat(100_000)}`)).toThrow(/not a valid name/);
  });

  it("resolveModel: an existing folder is returned as it is; a missing path is IO_ERROR", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-ref-"));
    await mkdir(join(dir, "org", "name"), { recursive: true });
    expect(await resolveModel("org/name", { baseDir: dir })).toBe(join(dir, "org", "name"));
    const err = await resolveModel("./missing/model", { baseDir: dir }).catch((e: unknown) => e);
    expect(isTunekitError(err, "IO_ERROR")).toBe(true);
    expect((err as Error).message).toContain("looks like a path");
    // a missing two-part path is asked for on the Hub; the error says no local folder exists either
    const settings = { endpoint: "http://127.0.0.1:9", cacheDir: join(dir, "cache"), offline: true };
    const miss = await resolveModel("models/bert-typo", { baseDir: dir, settings }).catch((e: unknown) => e);
    expect(isTunekitError(miss, "HUB_OFFLINE_MISS")).toBe(true);
    expect((miss as Error).message).toContain(`no local folder ${join(dir, "models", "bert-typo")}`);
    // a reference object is checked like text
    const bad = await downloadModel({ repoId: "../../etc", revision: "main" }, { settings }).catch(
      (e: unknown) => e,
    );
    expect(isTunekitError(bad, "INVALID_ARGUMENT")).toBe(true);
  });
});
