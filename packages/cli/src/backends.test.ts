import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";

// The backend is a config switch: the same run (dropout off, same seed) on onnx and on
// tfjs (wasm) gives the same training loss and evaluation, to float32 accuracy.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const RUN = [
  "--max-steps",
  "3",
  "--set",
  "data.maxRows.train=48",
  "--set",
  "data.maxRows.validation=32",
  "--set",
  "training.maxLength=32",
  "--set",
  "training.batchSize=16",
  "--set",
  "training.dropout=false",
  "--json",
];

async function trainOn(
  backend: string,
): Promise<{ trainLoss: number; evaluation: { loss: number; metrics: Record<string, number> } }> {
  const out = await mkdtemp(join(tmpdir(), `tunekit-${backend}-`));
  const io = captureIo({ cwd: REPO });
  const code = await runCli(
    ["train", "examples/rte-tiny.json", ...RUN, "--set", `backend=${backend}`, "--output", out],
    io,
  );
  expect(code, io.err()).toBe(EXIT.ok);
  return JSON.parse(io.out());
}

describe("backends", () => {
  it("onnx and tfjs (wasm) agree on the same run within 1e-4", async () => {
    const onnx = await trainOn("onnx");
    const tfjs = await trainOn('{"name":"tfjs","engine":"wasm"}');
    expect(Math.abs(onnx.trainLoss - tfjs.trainLoss)).toBeLessThan(1e-4);
    expect(Math.abs(onnx.evaluation.loss - tfjs.evaluation.loss)).toBeLessThan(1e-4);
    expect(tfjs.evaluation.metrics.accuracy).toBe(onnx.evaluation.metrics.accuracy);
  });

  it('backend.providers ["webgpu"] (parameters kept on the device; the CPU where WebGPU cannot start) agrees with the CPU within 1e-4', async () => {
    const cpu = await trainOn('{"name":"onnx","providers":["cpu"]}');
    const webgpu = await trainOn('{"name":"onnx","providers":["webgpu"]}');
    expect(Math.abs(webgpu.trainLoss - cpu.trainLoss)).toBeLessThan(1e-4);
    expect(Math.abs(webgpu.evaluation.loss - cpu.evaluation.loss)).toBeLessThan(1e-4);
    expect(webgpu.evaluation.metrics.accuracy).toBe(cpu.evaluation.metrics.accuracy);
  });
});
