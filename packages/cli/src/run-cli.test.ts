import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS, EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";

async function configFile(content: unknown, ext = ".json"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-cli-"));
  const path = join(dir, `train${ext}`);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("runCli: help, usage and errors", () => {
  it("lists the commands with --help (exit 0) and without a command (exit 2, on stderr)", async () => {
    const io = captureIo();
    expect(await runCli(["--help"], io)).toBe(EXIT.ok);
    for (const c of COMMANDS) expect(io.out()).toContain(`  ${c.name}`);
    const bare = captureIo();
    expect(await runCli([], bare)).toBe(EXIT.usageError);
    expect(bare.out()).toBe("");
    expect(bare.err()).toContain("usage: tunekit <command>");
  });

  it("prints each command's --help with its options and the common ones", async () => {
    for (const c of COMMANDS) {
      const io = captureIo();
      expect(await runCli([c.name, "--help"], io)).toBe(EXIT.ok);
      expect(io.out()).toContain(`usage: ${c.usage}`);
      expect(io.out()).toContain("--json");
      for (const name of Object.keys(c.options))
        expect(io.out(), `${c.name} --${name}`).toContain(`--${name}`);
    }
  });

  it("unknown commands, unknown flags and wrong argument counts are usage errors (exit 2)", async () => {
    const a = captureIo();
    expect(await runCli(["trian", "x.json"], a)).toBe(EXIT.usageError);
    expect(a.err()).toContain('unknown command "trian"; expected one of train, evaluate, predict, info');
    const b = captureIo();
    expect(await runCli(["train", "x.json", "--max-step", "3"], b)).toBe(EXIT.usageError);
    expect(b.err()).toContain("--max-step");
    expect(b.err()).toContain("usage: tunekit train CONFIG");
    const c = captureIo();
    expect(await runCli(["train"], c)).toBe(EXIT.usageError);
    expect(c.err()).toContain("train takes 1 argument(s), got 0");
    const d = captureIo();
    expect(await runCli(["train", "x.json", "--max-steps", "ten"], d)).toBe(EXIT.usageError);
    expect(d.err()).toContain('--max-steps is "ten"; expected a positive integer');
  });

  it("config errors exit 2 with the key path, the value and the allowed values; no stack", async () => {
    const path = await configFile({
      model: { random: {} },
      tokenizer: "t",
      data: { config: "d.json" },
      training: { epochs: 1 },
      output: "o",
      backend: "gpu",
    });
    const io = captureIo();
    expect(await runCli(["train", path], io)).toBe(EXIT.usageError);
    expect(io.err()).toContain("[CONFIG_INVALID]: ");
    expect(io.err()).toContain('backend is "gpu"; expected one of "onnx", "tfjs"');
    expect(io.err()).not.toMatch(/\n\s+at /);
  });

  it("YAML syntax errors are config errors", async () => {
    const path = await configFile("model: [unclosed\n", ".yaml");
    const io = captureIo();
    expect(await runCli(["train", path], io)).toBe(EXIT.usageError);
    expect(io.err()).toContain("not valid YAML");
  });

  it("runtime errors exit 1 with the message; --verbose adds the stack; --json prints one error object", async () => {
    const path = await configFile({
      model: { random: { layers: 1, hidden: 8, heads: 2 } },
      tokenizer: "./no-such-tokenizer", // a bare name would be looked up on the Hugging Face Hub
      data: { config: "d.json" },
      training: { epochs: 1 },
      output: "o",
    });
    const io = captureIo();
    expect(await runCli(["train", path], io)).toBe(EXIT.runtimeError);
    expect(io.err()).toContain("[IO_ERROR]");
    expect(io.err()).toContain("no-such-tokenizer");
    expect(io.err()).not.toMatch(/\n\s+at /);
    const verbose = captureIo();
    expect(await runCli(["train", path, "--verbose"], verbose)).toBe(EXIT.runtimeError);
    expect(verbose.err()).toMatch(/\n\s+at /);
    const json = captureIo();
    expect(await runCli(["train", path, "--json"], json)).toBe(EXIT.runtimeError);
    const lines = json.out().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false, error: { code: "IO_ERROR" }, exitCode: 1 });
  });

  it("a missing config file is a runtime error naming the path", async () => {
    const io = captureIo();
    expect(await runCli(["train", "/nonexistent/train.json"], io)).toBe(EXIT.runtimeError);
    expect(io.err()).toContain("cannot read config file /nonexistent/train.json");
  });
});
