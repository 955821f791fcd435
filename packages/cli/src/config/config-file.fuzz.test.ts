import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "@tunekit/core/data";
import { findRepoRoot, mutateJson, mutations, runHostileCase } from "@tunekit/core/testing";
import { assertHostileProperty, hostileBytes, hostileJson } from "@tunekit/core/testing/properties";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigFile } from "./config-file.js";
import { parseTrainConfig } from "./train-config.js";

// Hostile CLI config files (JSON and YAML): reading and validating either works or throws
// CONFIG_INVALID (IO_ERROR when the file cannot be read), each case within 1 s of CPU.
const CODES = ["CONFIG_INVALID"] as const;
const EXAMPLES = join(findRepoRoot()!, "examples");

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-cli-cfg-fuzz-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAndParse(name: string, content: Uint8Array | string): Promise<unknown> {
  const path = join(dir, name);
  await writeFile(path, content);
  const raw = await readConfigFile(path);
  return parseTrainConfig(raw, { source: path, configDir: dir, cwd: dir });
}

describe("CLI config files under hostile input", () => {
  it("the example configs parse (so mutations start from valid files)", async () => {
    for (const name of ["sst2-tiny.json", "stsb-tiny.yaml"]) {
      const text = await readFile(join(EXAMPLES, name));
      expect(await runHostileCase(name, () => readAndParse(name, text), { codes: CODES })).toBe("ok");
    }
  });

  it("300 seeded structural mutations of sst2-tiny.json: valid or CONFIG_INVALID", async () => {
    const doc = JSON.parse(await readFile(join(EXAMPLES, "sst2-tiny.json"), "utf8"));
    const rng = mulberry32(404);
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const { doc: bad, path } = mutateJson(doc, rng);
      const where = { source: "fuzz.json", configDir: dir, cwd: dir };
      const o = await runHostileCase(`case ${i}: ${path}`, () => parseTrainConfig(bad, where), {
        codes: CODES,
      });
      if (o !== "ok") rejected++;
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it("200 seeded byte mutations each of sst2-tiny.json and stsb-tiny.yaml", async () => {
    for (const name of ["sst2-tiny.json", "stsb-tiny.yaml"]) {
      const bytes = new Uint8Array(await readFile(join(EXAMPLES, name)));
      for (const { bytes: bad, what } of mutations(bytes, 200, 9)) {
        await runHostileCase(`${name} ${what}`, () => readAndParse(name, bad), { codes: CODES });
      }
    }
  });

  it("a config that links to /dev/zero or is too large is a typed error, not a hang", async () => {
    await symlink("/dev/zero", join(dir, "zero.yaml"));
    const zero = () => readConfigFile(join(dir, "zero.yaml"));
    expect(await runHostileCase("/dev/zero", zero, { codes: ["IO_ERROR"] })).toBe("IO_ERROR");
    await expect(zero()).rejects.toThrow(/cannot read config file .*not a regular file/);
    await writeFile(join(dir, "big.json"), `{"pad": "${"x".repeat(17 * 1024 * 1024)}"}`);
    expect(
      await runHostileCase("17 MiB", () => readConfigFile(join(dir, "big.json")), { codes: CODES }),
    ).toBe("CONFIG_INVALID");
  });

  it("crafted YAML: alias bombs, deep nesting, tags, duplicate keys, NUL, invalid UTF-8, empty", async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const cases: [string, string | Uint8Array][] = [
      ["billion laughs", laughs.join("\n")],
      ["deep flow nesting (100k)", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
      ["deep block nesting (2k)", Array.from({ length: 2000 }, (_, i) => `${" ".repeat(i)}k:`).join("\n")],
      ["js function tag", "model: !!js/function 'function(){ return 1 }'"],
      ["unknown tag", "model: !evil { random: {} }"],
      ["binary tag", "model: !!binary aGVsbG8="],
      ["duplicate keys", "output: a\noutput: b\n"],
      ["__proto__ key", "__proto__: { output: x }\n"],
      ["NUL", "output: a\u0000b\n"],
      ["invalid UTF-8", new Uint8Array([0x6f, 0x3a, 0x20, 0xff, 0xfe, 0x0a])],
      ["empty file", ""],
      ["only a comment", "# nothing\n"],
      ["a scalar", "42\n"],
      ["tabs for indentation", "model:\n\trandom: {}\n"],
    ];
    for (const [label, content] of cases) {
      const outcome = await runHostileCase(label, () => readAndParse("c.yaml", content), { codes: CODES });
      expect(outcome, label).toBe("CONFIG_INVALID");
    }
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases).
describe("CLI config files: fast-check properties", () => {
  it("hostile JSON documents made from every example config: valid or CONFIG_INVALID", async () => {
    const where = { source: "fuzz.json", configDir: dir, cwd: dir };
    let seed = 81;
    for (const name of ["sst2-tiny.json", "rte-tiny.json"]) {
      const doc = JSON.parse(await readFile(join(EXAMPLES, name), "utf8"));
      const t = await assertHostileProperty(hostileJson(doc), (bad) => parseTrainConfig(bad, where), {
        codes: CODES,
        seed: seed++,
        numRuns: 300,
      });
      expect(t.CONFIG_INVALID ?? 0, name).toBeGreaterThan(50);
    }
  });

  it("hostile bytes of a JSON and a YAML config read from disk", async () => {
    let seed = 83;
    for (const name of ["sst2-tiny.json", "stsb-tiny.yaml"]) {
      const bytes = new Uint8Array(await readFile(join(EXAMPLES, name)));
      const t = await assertHostileProperty(hostileBytes(bytes), (b) => readAndParse(name, b), {
        codes: CODES,
        seed: seed++,
        numRuns: 200,
      });
      expect(t.CONFIG_INVALID ?? 0, name).toBeGreaterThan(50);
    }
  });
});
