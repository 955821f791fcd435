import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { type ReadJsonFileOptions, readJsonFile } from "./read-json-file.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function file(content: string | Uint8Array): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "tunekit-json-"));
  dirs.push(d);
  await writeFile(join(d, "x.json"), content);
  return join(d, "x.json");
}
const base: ReadJsonFileOptions = { what: "test config", maxBytes: 64, invalidCode: "CONFIG_INVALID" };
async function codeAndMessage(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
    return ["ok", ""];
  } catch (e) {
    if (!isTunekitError(e)) throw e;
    return [e.code, e.message];
  }
}

describe("readJsonFile (config.json, tokenizer files, adapter configs, checkpoint state)", () => {
  it("parses a small UTF-8 JSON file; a missing optional file is undefined", async () => {
    expect(await readJsonFile(await file('{"a": [1, "é"]}'), base)).toEqual({ a: [1, "é"] });
    const missing = join(tmpdir(), "tunekit-no-such-dir", "x.json");
    expect(await readJsonFile(missing, { ...base, optional: true })).toBeUndefined();
  });

  it("each failure has its code and names the file, with the caller's hints", async () => {
    const missing = join(tmpdir(), "tunekit-no-such-dir", "x.json");
    const [c1, m1] = await codeAndMessage(
      readJsonFile(missing, { ...base, unreadableHint: "; is it a folder?" }),
    );
    expect(c1).toBe("IO_ERROR");
    expect(m1).toMatch(/could not read test config .*x\.json: .*; is it a folder\?$/);
    const [c2] = await codeAndMessage(
      readJsonFile(missing, { ...base, unreadableCode: "CHECKPOINT_INVALID" }),
    );
    expect(c2).toBe("CHECKPOINT_INVALID");
    const big = await file(`"${"x".repeat(100)}"`);
    expect((await codeAndMessage(readJsonFile(big, base)))[0]).toBe("CONFIG_INVALID");
    const [c3, m3] = await codeAndMessage(readJsonFile(await file(new Uint8Array([0x7b, 0xff, 0x7d])), base));
    expect([c3, m3]).toEqual([
      "CONFIG_INVALID",
      expect.stringMatching(/not valid UTF-8 text.*re-save it as UTF-8/),
    ]);
    const [c4, m4] = await codeAndMessage(
      readJsonFile(await file("{nope"), { ...base, invalidHint: "; hint" }),
    );
    expect(c4).toBe("CONFIG_INVALID");
    expect(m4).toMatch(/x\.json is not valid JSON \(.*\); hint$/);
  });

  it("a byte order mark is reported, or dropped when the caller allows it", async () => {
    const withBom = await file("\uFEFF{}");
    expect((await codeAndMessage(readJsonFile(withBom, base)))[1]).toMatch(/byte order mark \(BOM\)/);
    expect(await readJsonFile(withBom, { ...base, allowByteOrderMark: true })).toEqual({});
  });
});
