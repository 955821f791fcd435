import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeOnnxModel, OnnxDataType } from "./onnx-model.js";
import { ProtoMessage } from "./protobuf.js";

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe("ProtoMessage", () => {
  it("encodes varints, negative int64, strings and nested messages", () => {
    const inner = new ProtoMessage().int64(1, 300);
    const m = new ProtoMessage().int64(1, 1).int64(2, -1).string(3, "hi").message(4, inner);
    expect([...m.toBytes()]).toEqual([
      0x08, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x1a, 0x02, 0x68, 0x69,
      0x22, 0x03, 0x08, 0xac, 0x02,
    ]);
    expect(m.byteLength).toBe(m.toBytes().length);
  });
});

describe("encodeOnnxModel", () => {
  it("builds an Add model (input + initializer) that onnxruntime loads and runs", async () => {
    const bytes = encodeOnnxModel({
      opset: 18,
      graph: {
        name: "add",
        nodes: [
          { opType: "Add", inputs: ["x", "w"], outputs: ["s"], attributes: [] },
          {
            opType: "Transpose",
            inputs: ["s"],
            outputs: ["y"],
            attributes: [{ name: "perm", ints: [1, 0] }],
          },
          {
            opType: "LeakyRelu",
            inputs: ["y"],
            outputs: ["z"],
            attributes: [{ name: "alpha", f: 0.5 }],
          },
        ],
        initializers: [
          { name: "w", dataType: OnnxDataType.FLOAT, dims: [2, 3], raw: f32Bytes([1, 2, 3, 4, 5, 6]) },
        ],
        inputs: [{ name: "x", dataType: OnnxDataType.FLOAT, dims: [2, 3] }],
        outputs: [
          { name: "y", dataType: OnnxDataType.FLOAT, dims: [3, 2] },
          { name: "z", dataType: OnnxDataType.FLOAT, dims: [3, 2] },
        ],
      },
    });
    const session = await ort.InferenceSession.create(bytes);
    try {
      const x = new ort.Tensor("float32", new Float32Array([10, 20, 30, -40, -50, -60]), [2, 3]);
      const out = await session.run({ x });
      expect(out.y!.dims).toEqual([3, 2]);
      expect([...(out.y!.data as Float32Array)]).toEqual([11, -36, 22, -45, 33, -54]);
      expect([...(out.z!.data as Float32Array)]).toEqual([11, -18, 22, -22.5, 33, -27]);
    } finally {
      await session.release();
    }
  });
});
