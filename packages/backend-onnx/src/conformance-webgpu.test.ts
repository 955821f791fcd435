import { describeBackendConformance } from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { resolveExecutionProviders } from "./providers.js";

// The shared conformance suite on the WebGPU provider, whose models are lowered for it (no
// LogSoftmax, Unique or int32 Slice: see LowerOptions.provider). It runs wherever Vulkan does: a
// GPU, or Mesa's lavapipe on the CPU, which CI installs (TUNEKIT_REQUIRE_WEBGPU=1 there).
const probe = await resolveExecutionProviders(["webgpu"]);
if (probe.dropped.length === 0) {
  describeBackendConformance("onnx-webgpu", () =>
    createOnnxBackend({ executionProviders: ["webgpu"], fallback: "error" }),
  );
} else {
  describe("onnx-webgpu conformance", () => {
    it("needs a WebGPU adapter (none here): the suite ran only where WebGPU starts", () => {
      expect(process.env.TUNEKIT_REQUIRE_WEBGPU, probe.dropped.join("; ")).not.toBe("1");
    });
  });
}
