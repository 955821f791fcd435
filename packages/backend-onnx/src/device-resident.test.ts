import { isTunekitError } from "@tunekit/core";
import * as tk from "@tunekit/core/ir";
import { describeDeviceResidency } from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { f32 } from "./onnx.test-helpers.js";
import { resolveExecutionProviders } from "./providers.js";

// WebGPU runs wherever Vulkan does: a GPU, or Mesa's software rasterizer (lavapipe, which CI
// installs). CI sets TUNEKIT_REQUIRE_WEBGPU=1 so that these checks cannot silently fall back.
const probe = await resolveExecutionProviders(["webgpu"]);
const available = probe.dropped.length === 0;
const required = process.env.TUNEKIT_REQUIRE_WEBGPU === "1";

const webgpuBackend = () => createOnnxBackend({ executionProviders: ["webgpu"], fallback: "error" });

/** y = 2x + 1 and the sum of x, for chaining runs through the device. */
const affine = tk.trace((g) => {
  const x = g.input("x", "float32", [3]);
  return { y: tk.add(tk.mul(x, 2), 1), s: tk.sum(x) };
});

describe("device-resident values on the ONNX backend (onnxruntime specifics)", () => {
  if (!available) {
    it("without a WebGPU adapter: the backend falls back to the CPU, says why, and keeps nothing on a device", async () => {
      expect(required, `TUNEKIT_REQUIRE_WEBGPU=1 but WebGPU cannot start: ${probe.dropped.join("; ")}`).toBe(
        false,
      );
      const logs: string[] = [];
      const b = await createOnnxBackend({ executionProviders: ["webgpu"], log: (m) => logs.push(m) });
      expect(b.executionProviders).toEqual(["cpu"]);
      expect(b.keepsOnDevice).toBe(false);
      expect(logs.join("\n")).toMatch(/webgpu/);
      b.dispose();
    });
    return;
  }

  it("the CPU provider keeps nothing on a device; WebGPU does", async () => {
    const cpu = await createOnnxBackend({ executionProviders: ["cpu"], intraOpNumThreads: 1 });
    expect(cpu.keepsOnDevice).toBe(false);
    const exe = await cpu.compile(affine, { keepOnDevice: ["y"] });
    expect(exe.runWithDevice).toBeUndefined();
    cpu.dispose();
    const gpu = await webgpuBackend();
    expect(gpu.keepsOnDevice).toBe(true);
    gpu.dispose();
  });

  it("kept outputs live in onnxruntime's gpu-buffer tensors", async () => {
    const backend = await webgpuBackend();
    const exe = await backend.compile(affine, { keepOnDevice: ["y"] });
    const { y } = await exe.runWithDevice!({ x: f32([3], [1, 2, 3]) });
    expect((y as tk.DeviceTensor).location).toBe("gpu-buffer");
    expect([...(await (y as tk.DeviceTensor).read()).data]).toEqual([3, 5, 7]);
    (y as tk.DeviceTensor).dispose();
    backend.dispose();
  });

  it("a device tensor is refused by another backend's executable and by a wrong shape", async () => {
    const a = await webgpuBackend();
    const b = await webgpuBackend();
    const exeA = await a.compile(affine, { keepOnDevice: ["y"] });
    const exeB = await b.compile(affine, { keepOnDevice: ["y"] });
    const { y } = await exeA.runWithDevice!({ x: f32([3], [1, 2, 3]) });
    const err = await exeB.runWithDevice!({ x: y! }).catch((e: unknown) => e);
    expect(isTunekitError(err) && err.code).toBe("INVALID_ARGUMENT");
    expect(String(err)).toMatch(/another backend/);
    const wide = await a.compile(
      tk.trace((g) => ({ z: tk.mul(g.input("x", "float32", [4]), 2) })),
      {},
    );
    const shapeErr = await wide.runWithDevice!({ x: y! }).catch((e: unknown) => e);
    expect(isTunekitError(shapeErr) && shapeErr.code).toBe("SHAPE_MISMATCH");
    (y as tk.DeviceTensor).dispose();
    a.dispose();
    b.dispose();
  });
});

if (available) describeDeviceResidency("onnx-webgpu", webgpuBackend);
