import type { DType, HostTensor } from "@tunekit/core";
import { DeviceTensorBase } from "@tunekit/core/ir";
import { type ActiveEngine, ensureActive, type TfTensor } from "./engine.js";
import { downloadTensor } from "./host-transfer.js";

/**
 * A value a TF.js executable left in its engine's memory (`keepOnDevice`): a `tf.Tensor`
 * fed to a later run of the same backend without a host round trip, and downloaded only by
 * {@link TfjsDeviceTensor.read}.
 *
 * @example
 * ```ts
 * const out = await exe.runWithDevice!(feeds);
 * const w = out["w::new"] as TfjsDeviceTensor;
 * const host = await w.read();
 * w.dispose();
 * ```
 */
export class TfjsDeviceTensor extends DeviceTensorBase {
  constructor(
    /** The TF.js tensor (owned: disposed by {@link TfjsDeviceTensor.dispose}). */
    readonly tensor: TfTensor,
    readonly dtype: DType,
    /** The backend this tensor belongs to (it can be fed only to that backend's executables). */
    readonly owner: object,
    private readonly active: ActiveEngine,
  ) {
    super();
  }

  get shape(): readonly number[] {
    return this.tensor.shape;
  }

  get location(): string {
    return `tfjs-${this.active.engine}`;
  }

  protected async download(): Promise<HostTensor> {
    await ensureActive(this.active);
    return downloadTensor(this.tensor, this.dtype, this.active.engine);
  }

  protected free(): void {
    this.tensor.dispose();
  }
}
