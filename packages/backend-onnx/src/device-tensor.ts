import type { DType, HostTensor } from "@tunekit/core";
import { DeviceTensorBase } from "@tunekit/core/ir";
import type * as ort from "onnxruntime-node";
import { OnnxGraphBuilder } from "./onnx-builder.js";

/**
 * Copies a device tensor to the host. onnxruntime-node 1.30's own `getData()` on a
 * `gpu-buffer` tensor aborts the process (an uncaught native exception), so the copy is made
 * by running an `Identity` model on the same provider whose output onnxruntime places on the CPU.
 */
export type DeviceReader = (
  tensor: ort.Tensor,
  dtype: DType,
  shape: readonly number[],
) => Promise<HostTensor>;

/**
 * A value an ONNX executable left in the provider's memory (`gpu-buffer` on WebGPU): fed to a
 * later run of the same backend as is, copied to the host by {@link OnnxDeviceTensor.read}.
 *
 * @example
 * ```ts
 * const out = await exe.runWithDevice!(feeds);
 * const w = out["w::new"] as OnnxDeviceTensor;
 * const host = await w.read();
 * w.dispose();
 * ```
 */
export class OnnxDeviceTensor extends DeviceTensorBase {
  constructor(
    /** The onnxruntime tensor (`location` `"gpu-buffer"`). */
    readonly ortTensor: ort.Tensor,
    readonly dtype: DType,
    readonly shape: readonly number[],
    /** The backend this tensor belongs to (it can be fed only to that backend's executables). */
    readonly owner: object,
    private readonly reader: DeviceReader,
  ) {
    super();
  }

  get location(): string {
    return this.ortTensor.location;
  }

  protected download(): Promise<HostTensor> {
    return this.reader(this.ortTensor, this.dtype, this.shape);
  }

  protected free(): void {
    this.ortTensor.dispose();
  }
}

/**
 * The bytes of a one-node model copying a `dtype` tensor of `shape` (`Identity`): run with the
 * input on the device and the output on the CPU, it reads a device tensor back.
 *
 * @example
 * ```ts
 * const bytes = identityModel("float32", [2, 3]);
 * ```
 */
export function identityModel(dtype: DType, shape: readonly number[]): Uint8Array {
  const b = new OnnxGraphBuilder();
  const x = b.input("x", dtype, shape);
  b.output(x, "y", dtype, shape);
  return b.toBytes("device_read");
}
