import { isTunekitError } from "@tunekit/core";
import { describe, expect, it, vi } from "vitest";
import { createTfjsBackend } from "./index.js";

describe("createTfjsBackend engine selection", () => {
  it("auto picks wasm here (tfjs-node is not installed) and says why", async () => {
    const messages: string[] = [];
    const backend = await createTfjsBackend({ log: (m) => messages.push(m) });
    expect(backend.engine).toBe("wasm");
    expect(backend.name).toBe("tfjs-wasm");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('engine "wasm"');
    expect(messages[0]).toContain("@tensorflow/tfjs-node: not installed");
    expect(messages[0]).toContain("single-threaded");
    backend.dispose();
  });

  it("logs through console.info by default, once per distinct message", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    try {
      (await createTfjsBackend({ engine: "cpu" })).dispose();
      (await createTfjsBackend({ engine: "cpu" })).dispose();
      expect(info).toHaveBeenCalledTimes(1);
      expect(info.mock.calls[0]![0]).toContain('engine "cpu"');
    } finally {
      info.mockRestore();
    }
  });

  it('engine "tensorflow" without tfjs-node fails with an install hint', async () => {
    const err = await createTfjsBackend({ engine: "tensorflow", log: () => {} }).catch((e: unknown) => e);
    expect(isTunekitError(err, "BACKEND_UNAVAILABLE")).toBe(true);
    expect((err as Error).message).toContain("install @tensorflow/tfjs-node");
  });

  it("rejects an unknown engine name", async () => {
    const err = await createTfjsBackend({ engine: "webgpu" as never }).catch((e: unknown) => e);
    expect(isTunekitError(err, "INVALID_ARGUMENT")).toBe(true);
  });
});
