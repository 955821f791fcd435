import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import { CHECKPOINT_FILES } from "../checkpoint/trainer-state.js";
import { readTextFile } from "../data/text-decoding.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { runHostileCase } from "../testing/hostile-input.js";
import { readBertConfig } from "./hf-config.js";
import { readRegularFile } from "./read-regular-file.js";
import { readSafetensorsFile } from "./safetensors-file.js";

// Files that are not regular files: readFile would read /dev/zero forever (a hang found by
// the hostile-input tests); every reader now stats first and fails with IO_ERROR in < 1 s.
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-regular-"));
  await mkdir(join(dir, "model"));
  await symlink("/dev/zero", join(dir, "model", "config.json"));
  await symlink("/dev/zero", join(dir, "model", "model.safetensors"));
  await symlink("/dev/zero", join(dir, "model", "tokenizer.json"));
  await mkdir(join(dir, "ckpt"));
  await symlink("/dev/zero", join(dir, "ckpt", CHECKPOINT_FILES.trainerState));
  await mkdir(join(dir, "tok"));
  await writeFile(join(dir, "tok", "tokenizer.json"), "{}");
  await mkdir(join(dir, "tok", "tokenizer_config.json"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readRegularFile and the readers built on it", () => {
  it("has /dev/zero to test with", () => {
    expect(existsSync("/dev/zero")).toBe(true);
  });

  it("a link to /dev/zero is a typed error for config.json, safetensors, tokenizer.json, data files and checkpoints", async () => {
    const m = join(dir, "model");
    const cases: [string, () => Promise<unknown>][] = [
      ["config.json", () => readBertConfig(m)],
      ["model.safetensors", () => readSafetensorsFile(join(m, "model.safetensors"))],
      ["tokenizer.json", () => loadTokenizer(m)],
      ["tokenizer.json path", () => loadTokenizer(join(m, "tokenizer.json"))],
      ["/dev/zero as safetensors", () => readSafetensorsFile("/dev/zero")],
      ["/dev/zero as a data file", () => readTextFile("/dev/zero", "utf-8")],
    ];
    expect(
      await runHostileCase("trainer_state.json", () => loadTrainingCheckpoint(join(dir, "ckpt")), {
        codes: ["CHECKPOINT_INVALID"],
      }),
    ).toBe("CHECKPOINT_INVALID");
    for (const [label, run] of cases) {
      expect(await runHostileCase(label, run, { codes: ["IO_ERROR"], maxMs: 1000 }), label).toBe("IO_ERROR");
    }
    await expect(readBertConfig(m)).rejects.toThrow(/not a regular file \(a device, FIFO or socket\)/);
  });

  it("a directory is IO_ERROR, also for the optional tokenizer_config.json", async () => {
    await expect(readRegularFile(dir, { what: "thing" })).rejects.toMatchObject({
      code: "IO_ERROR",
      message: expect.stringMatching(/could not read thing .*: it is a directory; expected a file/),
    });
    await expect(loadTokenizer(join(dir, "tok"))).rejects.toMatchObject({ code: "IO_ERROR" });
  });

  it("a file over maxBytes throws the given code before reading; a missing file is IO_ERROR", async () => {
    await writeFile(join(dir, "big.json"), "x".repeat(100));
    await expect(
      readRegularFile(join(dir, "big.json"), {
        what: "config",
        maxBytes: 99,
        tooLargeCode: "CONFIG_INVALID",
      }),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(/100 bytes, more than the 99-byte limit/),
    });
    expect((await readRegularFile(join(dir, "big.json"), { what: "config", maxBytes: 100 })).length).toBe(
      100,
    );
    await expect(readRegularFile(join(dir, "nope"), { what: "config" })).rejects.toMatchObject({
      code: "IO_ERROR",
    });
  });
});
