import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { checkFreeSpace, estimateRunBytes, prepareOutputFolder } from "./output-folder.js";

async function runFolder(checkpoints: readonly string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-out-"));
  for (const c of checkpoints) await mkdir(join(dir, "checkpoints", c), { recursive: true });
  return dir;
}

describe("prepareOutputFolder", () => {
  it("a new run refuses earlier checkpoints, naming --resume and --overwrite, and deletes nothing", async () => {
    const dir = await runFolder(["checkpoint-250", "checkpoint-500"]);
    const e = await prepareOutputFolder(dir, { resume: false }).catch((err: unknown) => err);
    expect(isTunekitError(e, "OUTPUT_EXISTS")).toBe(true);
    const message = (e as Error).message;
    expect(message).toContain("the checkpoints of an earlier run (checkpoint-250, checkpoint-500)");
    expect(message).toContain("--resume");
    expect(message).toContain("--overwrite");
    expect(await readdir(join(dir, "checkpoints"))).toEqual(["checkpoint-250", "checkpoint-500"]);
  });

  it("a user's own file in checkpoints/ is refused too; --overwrite deletes the folder's contents", async () => {
    const dir = await runFolder();
    await mkdir(join(dir, "checkpoints"));
    await writeFile(join(dir, "checkpoints", "notes.txt"), "mine");
    const e = await prepareOutputFolder(dir, { resume: false }).catch((err: unknown) => err);
    expect((e as Error).message).toContain("already holds files (notes.txt)");
    const notes: string[] = [];
    await prepareOutputFolder(dir, { resume: false, overwrite: true, note: (l) => notes.push(l) });
    expect(await readdir(join(dir, "checkpoints"))).toEqual([]);
    expect(notes.join("\n")).toContain("--overwrite: deleted");
  });

  it("removes unfinished .tmp writes of an interrupted run and keeps complete checkpoints to resume", async () => {
    const dir = await runFolder([
      "checkpoint-10",
      ".checkpoint-20.4242.0a1b2c3d.tmp",
      ".checkpoint-10.4242.0a1b2c3d.tmp.old",
    ]);
    await writeFile(join(dir, ".metrics.json.4242.0a1b2c3d.tmp"), "{");
    await mkdir(join(dir, "model"));
    await writeFile(join(dir, "model", ".vocab.txt.4242.0a1b2c3d.tmp"), "[PAD]");
    await writeFile(join(dir, "keep.tmp"), "a user's file");
    const notes: string[] = [];
    const r = await prepareOutputFolder(dir, { resume: true, note: (l) => notes.push(l) });
    expect(r.checkpoints).toEqual(["checkpoint-10"]);
    expect(r.removedLeftovers).toHaveLength(4);
    expect(await readdir(join(dir, "checkpoints"))).toEqual(["checkpoint-10"]);
    expect((await readdir(dir)).sort()).toEqual(["checkpoints", "keep.tmp", "model"]);
    expect(await readdir(join(dir, "model"))).toEqual([]);
    expect(notes.join("\n")).toContain("removed 4 unfinished write(s) of an interrupted run");
  });

  it("a checkpoints folder that cannot be written is OUTPUT_NOT_WRITABLE", async () => {
    const dir = await runFolder();
    await writeFile(join(dir, "checkpoints"), "a file where the folder goes");
    const e = await prepareOutputFolder(dir, { resume: true }).catch((err: unknown) => err);
    expect(isTunekitError(e, "OUTPUT_NOT_WRITABLE")).toBe(true);
    expect((e as Error).message).toMatch(/cannot be written: .*\((EEXIST|ENOTDIR)\)/);
  });
});

describe("free space", () => {
  it("estimates checkpoints (weights, trainable copy, two AdamW slots) and the final model", () => {
    const p = (bytes: number, trainable: boolean) => ({ trainable, value: { data: { byteLength: bytes } } });
    const params = [
      ["a", p(1000, true)],
      ["b", p(3000, false)],
    ] as const;
    expect(estimateRunBytes(params, { accumulation: 1 })).toEqual({
      checkpoint: 7000,
      model: 4000,
      total: 25_000,
    });
    expect(estimateRunBytes(params, { accumulation: 4, checkpoints: 2 }).total).toBe(2 * 8000 + 4000);
  });

  it("refuses a disk with less free space than needed, with both numbers; unknown free space passes", async () => {
    const e = await checkFreeSpace(
      "runs/x",
      100 * 1024 * 1024,
      "3 checkpoints",
      async () => 10 * 1024 * 1024,
    ).catch((err: unknown) => err);
    expect(isTunekitError(e, "OUTPUT_NOT_WRITABLE")).toBe(true);
    expect((e as Error).message).toContain("has 10.0 MB free; this run needs about 105.0 MB (3 checkpoints");
    await checkFreeSpace("runs/x", 100, "x", async () => undefined);
    await checkFreeSpace("runs/x", 100, "x", async () => 1000);
  });
});
