import type { DeviceTensor } from "../backend/backend.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/**
 * The values a {@link TrainStepRunner} keeps on the backend's device between steps
 * (parameters, optimizer state, gradient accumulators), each next to the host value it
 * replaced. The device value is fed while that host value is unchanged; when the host value is
 * replaced from outside (a restored checkpoint, weights assigned by the caller), the host wins
 * and the device copy is freed. {@link DeviceResidentValues.sync} copies every value that is
 * newer on the device to the host.
 *
 * @example
 * ```ts
 * const values = new DeviceResidentValues();
 * const fed = values.feed("w", param.value); // the device copy, or param.value
 * values.set("w", out["w::new"] as DeviceTensor, param.value);
 * await values.sync((name, host) => { param.value = host; });
 * ```
 */
export class DeviceResidentValues {
  private readonly values = new Map<string, DeviceTensor>();
  /** The host value each device value stands for (undefined when there was none). */
  private readonly hostRefs = new Map<string, HostTensor | undefined>();
  /** Names whose device value is newer than the host's. */
  private readonly newer = new Set<string>();

  /** True when some device value has not been copied to the host yet. */
  get hasUnsynced(): boolean {
    return this.newer.size > 0;
  }

  /** Number of values held on the device. */
  get size(): number {
    return this.values.size;
  }

  /**
   * What to feed for `name`: its device value when `host` is still the host value it
   * replaced, else `host` (and the stale device value is freed).
   */
  feed(name: string, host: HostTensor): HostTensor | DeviceTensor;
  feed(name: string, host: HostTensor | undefined): HostTensor | DeviceTensor | undefined;
  feed(name: string, host: HostTensor | undefined): HostTensor | DeviceTensor | undefined {
    const value = this.values.get(name);
    if (value === undefined) return host;
    if (this.hostRefs.get(name) === host && !value.disposed) return value;
    this.delete(name);
    return host;
  }

  /** Records `value` as the newest value of `name`; `host` is the host value it supersedes. */
  set(name: string, value: DeviceTensor, host: HostTensor | undefined): void {
    const old = this.values.get(name);
    if (old !== undefined && old !== value) old.dispose();
    this.values.set(name, value);
    this.hostRefs.set(name, host);
    this.newer.add(name);
  }

  /**
   * Copies every value newer on the device to the host, handing each copy to `write`; the
   * device values stay (and are fed while the host values are the copies written).
   */
  async sync(write: (name: string, host: HostTensor) => void): Promise<void> {
    for (const name of [...this.newer]) {
      const host = await this.values.get(name)!.read();
      write(name, host);
      this.hostRefs.set(name, host);
      this.newer.delete(name);
    }
  }

  /** Frees the device values whose names `which` selects (unsynced changes to them are dropped). */
  drop(which: (name: string) => boolean): void {
    for (const name of [...this.values.keys()]) if (which(name)) this.delete(name);
  }

  /** Frees every device value. */
  dispose(): void {
    this.drop(() => true);
  }

  private delete(name: string): void {
    this.values.get(name)?.dispose();
    this.values.delete(name);
    this.hostRefs.delete(name);
    this.newer.delete(name);
  }
}
