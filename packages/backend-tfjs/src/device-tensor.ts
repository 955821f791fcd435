import { type DType, type HostTensor, TunekitError } from "@tunekit/core";
import type { DeviceTensor } from "@tunekit/core/ir";
import { type ActiveEngine, ensureActive, type TfTensor } from "./engine.js";
import { downloadTensor } from "./host-transfer.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

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
export class TfjsDeviceTensor implements DeviceTensor {
  readonly kind = "device" as const;
  private released = false;

  constructor(
    /** The TF.js tensor (owned: disposed by {@link TfjsDeviceTensor.dispose}). */
    readonly tensor: TfTensor,
    readonly dtype: DType,
    /** The backend this tensor belongs to (it can be fed only to that backend's executables). */
    readonly owner: object,
    private readonly active: ActiveEngine,
  ) {}

  get shape(): readonly number[] {
    return this.tensor.shape;
  }

  get location(): string {
    return `tfjs-${this.active.engine}`;
  }

  get disposed(): boolean {
    return this.released;
  }

  async read(): Promise<HostTensor> {
    if (this.released) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `read() of a disposed device tensor (${this.dtype}${fmt(this.shape)})`,
      );
    }
    await ensureActive(this.active);
    return downloadTensor(this.tensor, this.dtype, this.active.engine);
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.tensor.dispose();
  }
}
