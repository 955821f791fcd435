import { type HostTensor, TunekitError } from "@tunekit/core";
import { type DeviceTensor, type Executable, isDeviceTensor } from "@tunekit/core/ir";
import * as ort from "onnxruntime-node";
import { type DeviceReader, OnnxDeviceTensor } from "./device-tensor.js";
import { validateFeeds } from "./feeds.js";
import type { LoweredModel } from "./lower.js";

/**
 * An onnxruntime tensor over a host tensor's array (no copy).
 *
 * @example
 * ```ts
 * const t = toOrtTensor(hostTensor("float32", [2], [1, 2]));
 * ```
 */
export function toOrtTensor(value: HostTensor): ort.Tensor {
  return new ort.Tensor(value.dtype, value.data, [...value.shape]);
}

/**
 * A host tensor over an onnxruntime CPU output's array, checked against the dtype expected.
 *
 * @example
 * ```ts
 * const host = toHostTensor(results.y, { dtype: "float32", shape: [2] });
 * ```
 */
export function toHostTensor(
  t: ort.Tensor,
  expected: { shape: readonly number[]; dtype: HostTensor["dtype"] },
): HostTensor {
  const data = t.data;
  const ok =
    (expected.dtype === "float32" && data instanceof Float32Array) ||
    (expected.dtype === "int32" && data instanceof Int32Array) ||
    (expected.dtype === "bool" && data instanceof Uint8Array);
  if (!ok) {
    throw new TunekitError(
      "BACKEND_EXECUTION",
      `onnxruntime returned ${t.type} data (${data?.constructor?.name}) where ${expected.dtype} was expected`,
    );
  }
  return { dtype: expected.dtype, shape: [...expected.shape], data: data as never };
}

/** What an executable keeps of its lowered model: not the bytes (onnxruntime has its own copy). */
type ModelInterface = Pick<LoweredModel, "inputs" | "outputs" | "declared">;

/**
 * How an executable keeps outputs on the device: the backend it belongs to (device tensors of
 * another backend are refused), the IR names of the outputs left there, and the reader.
 *
 * @example
 * ```ts
 * const device: DeviceOutputs = { owner: backend, keep: new Set(["w::new"]), reader };
 * ```
 */
export interface DeviceOutputs {
  readonly owner: object;
  readonly keep: ReadonlySet<string>;
  readonly reader: DeviceReader;
}

/**
 * One compiled graph on an onnxruntime session: validates feeds, feeds the bound constants
 * kept as inputs, and converts the outputs (with {@link DeviceOutputs}, `runWithDevice`
 * leaves the kept ones on the device).
 *
 * @example
 * ```ts
 * const exe = new OnnxExecutable("onnx-cpu", model, constants, session, () => cache.release(key));
 * const { loss } = await exe.run(feeds);
 * ```
 */
export class OnnxExecutable implements Executable {
  private disposed = false;
  private readonly required: string[];
  private readonly bound: ReadonlySet<string>;
  private readonly model: ModelInterface;
  /** Bound constants fed on every run (onnxruntime tensors over the bound arrays). */
  private readonly constantFeeds: Readonly<Record<string, ort.Tensor>>;
  readonly runWithDevice?: (
    feeds: Readonly<Record<string, HostTensor | DeviceTensor>>,
  ) => Promise<Record<string, HostTensor | DeviceTensor>>;

  constructor(
    private readonly name: string,
    model: LoweredModel,
    constants: Readonly<Record<string, HostTensor>>,
    private readonly session: ort.InferenceSession,
    private readonly onDispose: () => void,
    private readonly device?: DeviceOutputs,
  ) {
    this.model = { inputs: model.inputs, outputs: model.outputs, declared: model.declared };
    this.required = model.inputs.map((i) => i.name);
    this.bound = new Set(Object.keys(constants));
    this.constantFeeds = Object.fromEntries(
      model.constantInputs.map((io) => [io.onnxName, toOrtTensor(constants[io.name]!)]),
    );
    if (device !== undefined) this.runWithDevice = (feeds) => this.execute(feeds, true);
  }

  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    const out = await this.execute(feeds, false);
    return out as Record<string, HostTensor>;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
  }

  private async execute(
    feeds: Readonly<Record<string, HostTensor | DeviceTensor>>,
    withDevice: boolean,
  ): Promise<Record<string, HostTensor | DeviceTensor>> {
    const device = this.device;
    if (this.disposed) {
      throw new TunekitError("INVALID_ARGUMENT", `${this.name}: run() called on a disposed executable`);
    }
    validateFeeds(feeds, this.model.declared, this.required, this.bound);
    const ortFeeds: Record<string, ort.Tensor> = { ...this.constantFeeds };
    for (const io of this.model.inputs) {
      const value = feeds[io.name]!;
      if (!isDeviceTensor(value)) ortFeeds[io.onnxName] = toOrtTensor(value);
      else if (withDevice && value instanceof OnnxDeviceTensor && value.owner === device?.owner) {
        ortFeeds[io.onnxName] = value.ortTensor;
      } else {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `${this.name}: feed "${io.name}" is a device tensor ${withDevice ? "of another backend" : "fed to run() (use runWithDevice)"}; read() it to the host first`,
        );
      }
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(ortFeeds);
    } catch (e) {
      throw new TunekitError(
        "BACKEND_EXECUTION",
        `${this.name}: onnxruntime failed to run the lowered graph: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const out: Record<string, HostTensor | DeviceTensor> = {};
    for (const io of this.model.outputs) {
      const t = results[io.onnxName] as ort.Tensor;
      if (t.location === "cpu" || device === undefined) out[io.name] = toHostTensor(t, io);
      else if (withDevice)
        out[io.name] = new OnnxDeviceTensor(t, io.dtype, [...io.shape], device.owner, device.reader);
      else {
        // run() of an executable compiled with keepOnDevice: bring the output home.
        out[io.name] = await device.reader(t, io.dtype, io.shape);
        t.dispose();
      }
    }
    return out;
  }
}
