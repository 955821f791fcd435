import { TunekitError } from "../errors.js";
import type { DType, HostTensor } from "../tensor/host-tensor.js";
import type { OpAttrs, OpName } from "./op-attrs.js";
import { inferShape } from "./shape-inference.js";

/**
 * One node of the IR. Every node produces exactly one value, identified by the node id;
 * `inputs` are ids of earlier nodes, so `graph.nodes` is always in topological order.
 *
 * @example
 * ```ts
 * for (const n of graph.nodes) console.log(n.id, n.op, n.shape);
 * ```
 */
export interface Node<K extends OpName = OpName> {
  readonly id: number;
  readonly op: K;
  readonly inputs: readonly number[];
  readonly attrs: OpAttrs[K];
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * Anything that can be bound to a `param` node: a name (the Hugging Face parameter path)
 * and its current value. `Parameter` from the modules layer implements it.
 *
 * @example
 * ```ts
 * const p: ParameterLike = { name: "classifier.bias", value: hostTensor("float32", [2]) };
 * ```
 */
export interface ParameterLike {
  readonly name: string;
  readonly value: HostTensor;
}

/**
 * A symbolic tensor: a handle on one node of a {@link Graph}, with its static shape and
 * dtype. Ops take and return `Tensor`s; nothing is computed until a backend runs the graph.
 *
 * @example
 * ```ts
 * const g = new Graph();
 * const x = g.input("x", "float32", [2, 3]);
 * x.shape; // [2, 3]
 * ```
 */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
  ) {}
  /** The node that produces this tensor. */
  get node(): Node {
    return this.graph.nodes[this.id]!;
  }
  get shape(): readonly number[] {
    return this.node.shape;
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get rank(): number {
    return this.node.shape.length;
  }
  toString(): string {
    return `Tensor#${this.id}<${this.node.op}, ${this.dtype}[${this.shape.join(", ")}]>`;
  }
}

/**
 * A traced computation: nodes in topological order, named inputs, parameters and outputs.
 * Shapes are static; shape inference runs as each node is added and fails early with the
 * op, the shapes received and the rule broken.
 *
 * @example
 * ```ts
 * const g = new Graph();
 * const x = g.input("x", "float32", [2, 3]);
 * g.output("y", add(x, x));
 * ```
 */
export class Graph {
  readonly nodes: Node[] = [];
  /** Input name -> node id. */
  readonly inputs = new Map<string, number>();
  /** Parameter name -> node id. */
  readonly params = new Map<string, number>();
  /** Parameter name -> bound parameter (name and value). */
  readonly parameters = new Map<string, ParameterLike>();
  /** Output name -> node id. */
  readonly outputs = new Map<string, number>();

  /**
   * Appends a node after checking its inputs and inferring its shape and dtype.
   * Prefer the op functions (`add`, `matmul`, …), which call this.
   */
  addNode<K extends OpName>(
    op: K,
    inputs: readonly Tensor[],
    attrs: OpAttrs[K],
    hint?: { shape: readonly number[]; dtype: DType },
  ): Tensor {
    for (const t of inputs) {
      if (t.graph !== this) {
        throw new TunekitError(
          "GRAPH_INVALID",
          `op ${op}: input ${t.toString()} belongs to another graph; trace the whole computation in one graph`,
        );
      }
    }
    const { shape, dtype } = inferShape(
      op,
      inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
      attrs,
      hint,
    );
    const node: Node<K> = { id: this.nodes.length, op, inputs: inputs.map((t) => t.id), attrs, shape, dtype };
    this.nodes.push(node as unknown as Node);
    return new Tensor(this, node.id);
  }

  /** A tensor handle for an existing node id. */
  tensor(id: number): Tensor {
    if (!Number.isInteger(id) || id < 0 || id >= this.nodes.length) {
      throw new TunekitError("GRAPH_INVALID", `no node with id ${id} (graph has ${this.nodes.length} nodes)`);
    }
    return new Tensor(this, id);
  }

  /** Declares a run-time input. Names are unique across inputs and parameters. */
  input(name: string, dtype: DType, shape: readonly number[]): Tensor {
    if (this.inputs.has(name) || this.params.has(name)) {
      throw new TunekitError(
        "GRAPH_INVALID",
        `input "${name}" is already declared in this graph; names must be unique`,
      );
    }
    const t = this.addNode("input", [], { name }, { shape, dtype });
    this.inputs.set(name, t.id);
    return t;
  }

  /** The `param` node of a parameter, created on first use (one node per parameter name). */
  param(p: ParameterLike): Tensor {
    const existing = this.params.get(p.name);
    if (existing !== undefined) {
      const bound = this.parameters.get(p.name);
      if (bound !== p) {
        throw new TunekitError(
          "GRAPH_INVALID",
          `two different parameters are named "${p.name}"; parameter names must be unique`,
        );
      }
      return new Tensor(this, existing);
    }
    if (this.inputs.has(p.name)) {
      throw new TunekitError("GRAPH_INVALID", `parameter "${p.name}" clashes with an input of the same name`);
    }
    const t = this.addNode("param", [], { name: p.name }, { shape: p.value.shape, dtype: p.value.dtype });
    this.params.set(p.name, t.id);
    this.parameters.set(p.name, p);
    return t;
  }

  /** Marks `t` as a named output of the graph. */
  output(name: string, t: Tensor): void {
    if (t.graph !== this)
      throw new TunekitError("GRAPH_INVALID", `output "${name}" belongs to another graph`);
    if (this.outputs.has(name))
      throw new TunekitError("GRAPH_INVALID", `output "${name}" is already declared`);
    this.outputs.set(name, t.id);
  }

  /**
   * Ids of the nodes needed to compute `outputIds` (default: all outputs), in topological
   * order. Backends execute only these.
   */
  liveNodes(outputIds: Iterable<number> = this.outputs.values()): number[] {
    const live = new Uint8Array(this.nodes.length);
    const stack = [...outputIds];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (live[id]) continue;
      live[id] = 1;
      for (const i of this.nodes[id]!.inputs) if (!live[i]) stack.push(i);
    }
    const out: number[] = [];
    for (let i = 0; i < live.length; i++) if (live[i]) out.push(i);
    return out;
  }

  /**
   * For each live node, the position (in `order`) of the last node that reads it, or
   * `Infinity` for graph outputs: a backend frees a value right after its last reader.
   */
  lastUses(order: readonly number[]): Map<number, number> {
    const last = new Map<number, number>();
    order.forEach((id, pos) => {
      for (const i of this.nodes[id]!.inputs) last.set(i, pos);
      if (!last.has(id)) last.set(id, pos);
    });
    for (const id of this.outputs.values()) last.set(id, Number.POSITIVE_INFINITY);
    return last;
  }
}

/**
 * Traces `fn` into a new {@link Graph}: `fn` declares inputs on the graph it receives and
 * returns the named outputs.
 *
 * @example
 * ```ts
 * const g = trace((g) => {
 *   const x = g.input("x", "float32", [4]);
 *   return { y: mul(x, x) };
 * });
 * ```
 */
export function trace(fn: (g: Graph) => Record<string, Tensor>): Graph {
  const g = new Graph();
  const outs = fn(g);
  for (const [name, t] of Object.entries(outs)) g.output(name, t);
  return g;
}
