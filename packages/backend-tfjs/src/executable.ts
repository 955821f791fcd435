import { type HostTensor, TunekitError } from "@tunekit/core";
import {
  checkHostTensor,
  type CompileOptions,
  type DeviceTensor,
  type Executable,
  type Graph,
  isDeviceTensor,
  type Node,
  type OpName,
} from "@tunekit/core/ir";
import { TfjsDeviceTensor } from "./device-tensor.js";
import { type ActiveEngine, ensureActive, type TfTensor } from "./engine.js";
import { downloadTensor, uploadHostTensor } from "./host-transfer.js";
import type { Kernel } from "./kernel.js";
import { type LeafOp, TFJS_KERNELS } from "./kernels.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;
const sig = (n: { dtype: string; shape: readonly number[] }): string => `${n.dtype}${fmt(n.shape)}`;

/** One step of the execution plan: produce node `id`, then free the values in `free`. */
interface Step {
  readonly node: Node;
  /** Set for non-leaf nodes. */
  readonly kernel: Kernel | undefined;
  /** Set for input / param nodes fed at run time. */
  readonly feedName: string | undefined;
  /** Ids of owned values whose last reader is this step. */
  readonly free: readonly number[];
}

const LEAVES: ReadonlySet<OpName> = new Set<LeafOp>(["input", "param", "constant"]);

/**
 * A graph compiled for TensorFlow.js: the live nodes in order, each value's last reader,
 * and resident tensors (constants and compile-time bindings) uploaded once.
 *
 * `run` interprets the plan op by op; every intermediate is disposed right after its last
 * reader, and outputs are downloaded and disposed before `run` resolves, so the number of
 * live TF.js tensors is the same before and after each run.
 *
 * @example
 * ```ts
 * const exe = await backend.compile(graph, { constants: { "bert.embeddings.word_embeddings.weight": w } });
 * const { loss } = await exe.run({ input_ids, labels });
 * exe.dispose();
 * ```
 */
export class TfjsExecutable implements Executable {
  private readonly steps: Step[];
  private readonly residents = new Map<number, TfTensor>();
  /** Feedable name -> node (inputs and parameters not bound at compile time). */
  private readonly feedable = new Map<string, Node>();
  /** Feeds the outputs need. */
  private readonly required = new Set<string>();
  private readonly bound = new Set<string>();
  private readonly outputs: ReadonlyArray<readonly [string, number]>;
  /** Outputs `runWithDevice` leaves in the engine's memory. */
  private readonly keep: ReadonlySet<string>;
  private disposed = false;
  readonly runWithDevice?: (
    feeds: Readonly<Record<string, HostTensor | DeviceTensor>>,
  ) => Promise<Record<string, HostTensor | DeviceTensor>>;

  constructor(
    private readonly active: ActiveEngine,
    private readonly backendName: string,
    readonly graph: Graph,
    options: CompileOptions,
    private readonly onDispose: (exe: TfjsExecutable) => void,
    /** Set when the backend keeps values on its device: device tensors of this owner are fed as they are. */
    private readonly owner?: object,
  ) {
    this.outputs = this.resolveOutputs(options.outputs);
    this.keep = new Set(owner === undefined ? [] : (options.keepOnDevice ?? []));
    if (owner !== undefined) this.runWithDevice = (feeds) => this.execute(feeds, true);
    const order = graph.liveNodes(this.outputs.map(([, id]) => id));
    const live = new Set(order);
    const leafNames = new Map<string, number>([...graph.inputs, ...graph.params]);
    const constants = options.constants ?? {};
    for (const [name, value] of Object.entries(constants)) {
      const id = leafNames.get(name);
      if (id === undefined) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `constant "${name}" is neither an input nor a parameter of the graph; ` +
            `known names: ${[...leafNames.keys()].join(", ") || "(none)"}`,
        );
      }
      checkHostTensor("constant", name, value, graph.nodes[id]!);
      this.bound.add(name);
    }
    for (const [name, id] of leafNames) {
      if (this.bound.has(name)) continue;
      this.feedable.set(name, graph.nodes[id]!);
      if (live.has(id)) this.required.add(name);
    }
    try {
      for (const id of order) {
        const node = graph.nodes[id]!;
        const name = (node.attrs as { name?: string }).name;
        if (node.op === "constant") {
          const value = (node.attrs as { value: HostTensor }).value;
          this.residents.set(id, uploadHostTensor(active.tf, active.engine, value, true));
        } else if (name !== undefined && this.bound.has(name) && LEAVES.has(node.op)) {
          this.residents.set(id, uploadHostTensor(active.tf, active.engine, constants[name]!, true));
        }
      }
    } catch (e) {
      this.releaseResidents();
      throw e;
    }
    this.steps = this.plan(order);
  }

  private resolveOutputs(requested: readonly string[] | undefined): Array<readonly [string, number]> {
    const names = requested ?? [...this.graph.outputs.keys()];
    return names.map((name) => {
      const id = this.graph.outputs.get(name);
      if (id === undefined) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `output "${name}" is not an output of the graph; known outputs: ` +
            `${[...this.graph.outputs.keys()].join(", ") || "(none)"}`,
        );
      }
      return [name, id] as const;
    });
  }

  /**
   * Orders the steps and computes when each owned value dies. Unlike `graph.lastUses`, only
   * the requested outputs are kept to the end: a graph output that was not requested is freed
   * after its last reader like any intermediate.
   */
  private plan(order: readonly number[]): Step[] {
    const last = new Map<number, number>();
    order.forEach((id, pos) => {
      last.set(id, pos);
      for (const i of this.graph.nodes[id]!.inputs) last.set(i, pos);
    });
    for (const [, id] of this.outputs) last.set(id, Number.POSITIVE_INFINITY);
    const freeAt: number[][] = order.map(() => []);
    for (const id of order) {
      const pos = last.get(id)!;
      if (!this.residents.has(id) && Number.isFinite(pos)) freeAt[pos]!.push(id);
    }
    return order.map((id, pos) => {
      const node = this.graph.nodes[id]!;
      const isLeaf = LEAVES.has(node.op);
      const feedName = isLeaf && !this.residents.has(id) ? (node.attrs as { name: string }).name : undefined;
      const kernel = isLeaf ? undefined : TFJS_KERNELS[node.op as Exclude<OpName, LeafOp>];
      if (!isLeaf && kernel === undefined) {
        throw new TunekitError("NOT_IMPLEMENTED", `${this.backendName}: no kernel for op "${node.op}"`);
      }
      return { node, kernel, feedName, free: freeAt[pos]! };
    });
  }

  private checkFeeds(feeds: Readonly<Record<string, HostTensor | DeviceTensor>>, withDevice: boolean): void {
    for (const [name, value] of Object.entries(feeds)) {
      const node = this.feedable.get(name);
      if (node === undefined) {
        const why = this.bound.has(name)
          ? `"${name}" was bound as a constant at compile time and cannot be fed`
          : `unknown feed "${name}"`;
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `${why}; feedable inputs and parameters: ${[...this.feedable.keys()].join(", ") || "(none)"}`,
        );
      }
      if (isDeviceTensor(value)) this.checkDeviceFeed(name, value, node, withDevice);
      else checkHostTensor("feed", name, value, node);
    }
    const missing = [...this.required].filter((n) => feeds[n] === undefined);
    if (missing.length > 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `missing feed(s): ${missing.join(", ")}; the requested outputs need every one of ` +
          `${[...this.required].join(", ")} (or bind them as constants at compile time)`,
      );
    }
  }

  private checkDeviceFeed(name: string, value: DeviceTensor, node: Node, withDevice: boolean): void {
    if (!withDevice || !(value instanceof TfjsDeviceTensor) || value.owner !== this.owner) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.backendName}: feed "${name}" is a device tensor ${withDevice ? "of another backend" : "fed to run() (use runWithDevice)"}; read() it to the host first`,
      );
    }
    if (value.disposed) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `feed "${name}": the device tensor was disposed; feed a live one or a HostTensor`,
      );
    }
    if (value.dtype !== node.dtype || !sameShape(value.shape, node.shape)) {
      throw new TunekitError(
        value.dtype !== node.dtype ? "DTYPE_MISMATCH" : "SHAPE_MISMATCH",
        `feed "${name}": expected ${sig(node)}, received a device tensor ${sig(value)}`,
      );
    }
  }

  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    return (await this.execute(feeds, false)) as Record<string, HostTensor>;
  }

  private async execute(
    feeds: Readonly<Record<string, HostTensor | DeviceTensor>>,
    withDevice: boolean,
  ): Promise<Record<string, HostTensor | DeviceTensor>> {
    if (this.disposed) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.backendName}: run() called on a disposed executable`,
      );
    }
    this.checkFeeds(feeds, withDevice);
    await ensureActive(this.active);
    const { tf, engine } = this.active;
    const values = new Map<number, TfTensor>();
    const get = (id: number): TfTensor => (this.residents.get(id) ?? values.get(id))!;
    try {
      for (const step of this.steps) {
        const { node } = step;
        if (step.feedName !== undefined) {
          const fed = feeds[step.feedName]!;
          // A device tensor is fed as a clone (shared data): the run frees the clone, not the caller's tensor.
          values.set(
            node.id,
            fed instanceof TfjsDeviceTensor
              ? tf.clone(fed.tensor)
              : uploadHostTensor(tf, engine, fed as HostTensor, false),
          );
        } else if (step.kernel !== undefined) {
          const ins = node.inputs.map(get);
          let out: TfTensor;
          try {
            out = tf.tidy(() => {
              const r = step.kernel!(tf, node, ins);
              return ins.includes(r) ? tf.clone(r) : r; // never alias a value freed separately
            });
          } catch (e) {
            throw this.kernelError(node, ins, e);
          }
          values.set(node.id, out);
          if (out.dtype !== node.dtype || !sameShape(out.shape, node.shape)) {
            throw new TunekitError(
              "BACKEND_EXECUTION",
              `${this.backendName}: internal error: node #${node.id} (${node.op}) produced ` +
                `${sig(out)} but the graph says ${sig(node)}; please report this`,
            );
          }
        }
        for (const id of step.free) {
          values.get(id)?.dispose();
          values.delete(id);
        }
      }
      const result: Record<string, HostTensor | DeviceTensor> = {};
      for (const [name, id] of this.outputs) {
        const dtype = this.graph.nodes[id]!.dtype;
        result[name] =
          withDevice && this.keep.has(name)
            ? new TfjsDeviceTensor(tf.clone(get(id)), dtype, this.owner!, this.active)
            : await downloadTensor(get(id), dtype, engine);
      }
      return result;
    } finally {
      for (const t of values.values()) t.dispose();
    }
  }

  private kernelError(node: Node, ins: readonly TfTensor[], e: unknown): TunekitError {
    if (e instanceof TunekitError) return e;
    return new TunekitError(
      "BACKEND_EXECUTION",
      `${this.backendName}: node #${node.id} ${node.op}(${ins.map(sig).join(", ")}) -> ${sig(node)} ` +
        `failed: ${(e as Error)?.message ?? String(e)}`,
      { cause: e, details: { node: node.id, op: node.op } },
    );
  }

  private releaseResidents(): void {
    for (const t of this.residents.values()) t.dispose();
    this.residents.clear();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseResidents();
    this.onDispose(this);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
