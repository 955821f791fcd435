import type { Backend, CompileOptions, DeviceTensor, Executable } from "../backend/backend.js";
import { DeviceTensorBase, isDeviceTensor } from "../backend/backend.js";
import { TunekitError } from "../errors.js";
import type { Graph } from "../ir/graph.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/** Counters of a {@link withSimulatedDevice} backend. */
export interface SimulatedDeviceStats {
  /** Device tensors created so far. */
  created: number;
  /** Device tensors not yet disposed. */
  live: number;
  /** `read()` calls (copies to the host). */
  reads: number;
}

/**
 * Wraps a host backend as if it had a device: outputs compiled with `keepOnDevice` come back
 * from `runWithDevice` as {@link DeviceTensor}s that hide their values until `read()`, which
 * it counts. For testing what a training loop does with device-resident values on any machine.
 *
 * @example
 * ```ts
 * const { backend, stats } = withSimulatedDevice(createReferenceBackend());
 * ```
 */
export function withSimulatedDevice(inner: Backend): { backend: Backend; stats: SimulatedDeviceStats } {
  const stats: SimulatedDeviceStats = { created: 0, live: 0, reads: 0 };
  const values = new WeakMap<DeviceTensor, HostTensor>();
  const wrap = (value: HostTensor): DeviceTensor => {
    const t = new (class extends DeviceTensorBase {
      readonly dtype = value.dtype;
      readonly shape = [...value.shape];
      readonly location = "simulated";
      protected async download(): Promise<HostTensor> {
        stats.reads++;
        return { ...value, shape: [...value.shape], data: value.data.slice() as never };
      }
      protected free(): void {
        stats.live--;
      }
    })();
    values.set(t, value);
    stats.created++;
    stats.live++;
    return t;
  };
  const unwrap = (name: string, t: DeviceTensor): HostTensor => {
    const value = values.get(t);
    if (value === undefined || t.disposed) {
      throw new TunekitError("INVALID_ARGUMENT", `feed "${name}": a disposed or foreign device tensor`);
    }
    return value;
  };
  const backend: Backend = {
    name: `${inner.name}+simulated-device`,
    keepsOnDevice: true,
    async compile(graph: Graph, options: CompileOptions = {}): Promise<Executable> {
      const { keepOnDevice, ...rest } = options;
      const keep = new Set(keepOnDevice ?? []);
      const exe = await inner.compile(graph, rest);
      return {
        run: async (feeds) => {
          for (const [n, v] of Object.entries(feeds)) {
            if (isDeviceTensor(v))
              throw new TunekitError("INVALID_ARGUMENT", `run(): "${n}" is a device tensor`);
          }
          return exe.run(feeds);
        },
        async runWithDevice(feeds) {
          const host: Record<string, HostTensor> = {};
          for (const [n, v] of Object.entries(feeds)) host[n] = isDeviceTensor(v) ? unwrap(n, v) : v;
          const out = await exe.run(host);
          return Object.fromEntries(Object.entries(out).map(([n, v]) => [n, keep.has(n) ? wrap(v) : v]));
        },
        dispose: () => exe.dispose(),
      };
    },
    dispose: () => inner.dispose(),
  };
  return { backend, stats };
}
