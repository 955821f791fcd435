import { type HostTensor, hostTensor, type Tensor } from "@tunekit/core";
import { type Graph, trace } from "@tunekit/core/ir";
import { expect } from "vitest";
import { createOnnxBackend, type OnnxBackend } from "./backend.js";

let shared: OnnxBackend | undefined;

/** One backend shared by a test file (sessions are cached per model). */
export async function testBackend(): Promise<OnnxBackend> {
  shared ??= await createOnnxBackend({ intraOpNumThreads: 1 });
  return shared;
}

/** Traces `fn`, compiles it on the ONNX backend and runs it once with `feeds`. */
export async function runOnnx(
  fn: (g: Graph) => Record<string, Tensor>,
  feeds: Record<string, HostTensor> = {},
  constants?: Record<string, HostTensor>,
): Promise<Record<string, HostTensor>> {
  const backend = await testBackend();
  const exe = await backend.compile(trace(fn), constants ? { constants } : {});
  try {
    return await exe.run(feeds);
  } finally {
    exe.dispose();
  }
}

/** A float32 host tensor. */
export const f32 = (shape: number[], data: number[]): HostTensor => hostTensor("float32", shape, data);
/** An int32 host tensor. */
export const i32 = (shape: number[], data: number[]): HostTensor => hostTensor("int32", shape, data);

/** Asserts `actual` has `shape` and every element within `tol` (absolute + relative) of `expected`. */
export function expectClose(
  actual: HostTensor | undefined,
  shape: number[],
  expected: number[],
  tol = 1e-5,
): void {
  expect(actual).toBeDefined();
  expect(actual!.shape).toEqual(shape);
  const got = [...actual!.data];
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(v).toBeNaN();
    else if (!Number.isFinite(e)) expect(v).toBe(e);
    else
      expect(Math.abs(v - e), `element ${i}: got ${v}, expected ${e}`).toBeLessThanOrEqual(
        tol * (1 + Math.abs(e)),
      );
  });
}
