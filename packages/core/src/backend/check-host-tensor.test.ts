import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { checkHostTensor } from "./check-host-tensor.js";

const decl = { shape: [2, 3], dtype: "float32" as const };

function codeOf(value: unknown): [string, string] {
  try {
    checkHostTensor("feed", "x", value as HostTensor, decl);
  } catch (e) {
    if (isTunekitError(e)) return [e.code, e.message];
    throw e;
  }
  return ["ok", ""];
}

describe("checkHostTensor (shared by every backend)", () => {
  it("accepts a matching tensor", () => {
    expect(codeOf(hostTensor("float32", [2, 3], new Float32Array(6)))).toEqual(["ok", ""]);
  });

  it("names the value, what was expected and what was received", () => {
    expect(codeOf(null)).toEqual([
      "INVALID_ARGUMENT",
      'feed "x": expected a HostTensor ({ dtype, shape, data }), received null',
    ]);
    const [dtypeCode, dtypeMsg] = codeOf(hostTensor("int32", [2, 3], new Int32Array(6)));
    expect(dtypeCode).toBe("DTYPE_MISMATCH");
    expect(dtypeMsg).toMatch(/expected dtype float32, received int32/);
    const [shapeCode, shapeMsg] = codeOf(hostTensor("float32", [3, 2], new Float32Array(6)));
    expect(shapeCode).toBe("SHAPE_MISMATCH");
    expect(shapeMsg).toMatch(/expected shape \[2, 3\], received \[3, 2\]/);
    const [dataCode, dataMsg] = codeOf({ dtype: "float32", shape: [2, 3], data: new Float64Array(6) });
    expect(dataCode).toBe("INVALID_ARGUMENT");
    expect(dataMsg).toMatch(/needs a Float32Array of 6 elements, received a Float64Array of 6/);
    expect(codeOf({ dtype: "float32", shape: [2, 3], data: new Float32Array(5) })[1]).toMatch(
      /received a Float32Array of 5/,
    );
  });
});
