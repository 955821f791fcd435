import { TunekitError } from "../errors.js";
import type { Graph, Node } from "../ir/graph.js";
import type { OpAttrs, OpName } from "../ir/op-attrs.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { Backend, CompileOptions, Executable } from "./backend.js";
import { ELEMENTWISE_KERNELS, type ReferenceKernel } from "./reference-kernels-elementwise.js";
import { LAYOUT_KERNELS } from "./reference-kernels-layout.js";
import { NN_KERNELS } from "./reference-kernels-nn.js";
import { type Float64Tensor, toFloat64Tensor, toHostTensor } from "./reference-tensor.js";

const KERNELS: { readonly [K in OpName]?: ReferenceKernel } = {
  ...ELEMENTWISE_KERNELS,
  ...LAYOUT_KERNELS,
  ...NN_KERNELS,
  constant: (_node, _ins) => toFloat64Tensor((_node.attrs as OpAttrs["constant"]).value),
};

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

/** Throws unless `value` has the dtype and shape of the leaf `node` named `name`. */
function checkLeafValue(kind: string, name: string, value: HostTensor | Float64Tensor, node: Node): void {
  if (value === null || typeof value !== "object" || !("shape" in value) || !("data" in value)) {
    throw new TunekitError("INVALID_ARGUMENT", `${kind} "${name}" is not a tensor; expected a HostTensor`);
  }
  if (value.dtype !== node.dtype) {
    throw new TunekitError(
      "DTYPE_MISMATCH",
      `${kind} "${name}": expected dtype ${node.dtype} (shape ${fmt(node.shape)}), received ${value.dtype}; cast the data before feeding it`,
    );
  }
  const same = value.shape.length === node.shape.length && value.shape.every((d, i) => d === node.shape[i]);
  if (!same) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${kind} "${name}": expected shape ${fmt(node.shape)}, received ${fmt(value.shape)}; shapes are static, trace a new graph for other shapes`,
    );
  }
  const n = node.shape.reduce((p, d) => p * d, 1);
  if (value.data.length !== n) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${kind} "${name}": shape ${fmt(node.shape)} needs ${n} elements, received ${value.data.length}`,
    );
  }
}

function resolveOutputs(graph: Graph, outputs: readonly string[] | undefined): Array<[string, number]> {
  return (outputs ?? [...graph.outputs.keys()]).map((name) => {
    const id = graph.outputs.get(name);
    if (id === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `output "${name}" is not an output of the graph; known outputs: ${[...graph.outputs.keys()].join(", ") || "(none)"}`,
      );
    }
    return [name, id];
  });
}

/** Runs the live nodes of `graph` for `outputIds`, reading leaf values through `leaf`. */
function execute(
  graph: Graph,
  outputIds: readonly number[],
  leaf: (node: Node, name: string) => Float64Tensor,
): Map<number, Float64Tensor> {
  const values = new Map<number, Float64Tensor>();
  for (const id of graph.liveNodes(outputIds)) {
    const node = graph.nodes[id]!;
    if (node.op === "input" || node.op === "param") {
      values.set(id, leaf(node, (node.attrs as OpAttrs["input"]).name));
      continue;
    }
    const kernel = KERNELS[node.op];
    if (!kernel)
      throw new TunekitError("NOT_IMPLEMENTED", `reference backend: no kernel for op "${node.op}"`);
    const ins = node.inputs.map((i) => values.get(i)!);
    try {
      values.set(id, kernel(node, ins));
    } catch (e) {
      if (e instanceof TunekitError) throw e;
      throw new TunekitError(
        "BACKEND_EXECUTION",
        `reference backend: op ${node.op} (node ${id}, output ${node.dtype}${fmt(node.shape)}) failed: ${String(e)}`,
        { cause: e },
      );
    }
  }
  return values;
}

/**
 * Evaluates `graph` in float64 with plain JavaScript: the reference every backend is
 * compared against. Composites are computed directly (not through their decomposition),
 * so they check `decomposeComposite` too. `feeds` holds inputs and parameters by name; a
 * parameter that is not fed uses its bound value (`graph.parameters`). Feeds the requested
 * outputs do not need are ignored; unknown names, missing inputs and wrong shapes or
 * dtypes throw a {@link TunekitError}.
 *
 * @example
 * ```ts
 * const g = trace((g) => ({ y: mul(g.input("x", "float32", [2]), 2) }));
 * evaluateGraphFloat64(g, { x: hostTensor("float32", [2], [1, 2]) }).y!.data; // Float64Array [2, 4]
 * ```
 */
export function evaluateGraphFloat64(
  graph: Graph,
  feeds: Readonly<Record<string, HostTensor | Float64Tensor>>,
  outputs?: readonly string[],
): Record<string, Float64Tensor> {
  const outs = resolveOutputs(graph, outputs);
  for (const [name, value] of Object.entries(feeds)) {
    const id = graph.inputs.get(name) ?? graph.params.get(name);
    if (id === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `unknown feed "${name}"; the graph's inputs and parameters: ${[...graph.inputs.keys(), ...graph.params.keys()].join(", ") || "(none)"}`,
      );
    }
    checkLeafValue("feed", name, value, graph.nodes[id]!);
  }
  const live = graph.liveNodes(outs.map(([, id]) => id));
  const missing = live
    .map((id) => graph.nodes[id]!)
    .filter(
      (n) =>
        n.op === "input" || (n.op === "param" && !graph.parameters.has((n.attrs as OpAttrs["param"]).name)),
    )
    .map((n) => (n.attrs as OpAttrs["input"]).name)
    .filter((name) => feeds[name] === undefined);
  if (missing.length > 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `missing feed(s): ${missing.join(", ")}; feed every input the outputs need`,
    );
  }
  const values = execute(
    graph,
    outs.map(([, id]) => id),
    (_node, name) => toFloat64Tensor(feeds[name] ?? graph.parameters.get(name)!.value),
  );
  return Object.fromEntries(outs.map(([name, id]) => [name, values.get(id)!]));
}

class ReferenceExecutable implements Executable {
  private readonly outputs: Array<[string, number]>;
  private readonly bound = new Map<string, Float64Tensor>();
  private readonly feedable = new Map<string, Node>();
  private readonly required = new Set<string>();
  private disposed = false;

  constructor(
    private readonly graph: Graph,
    options: CompileOptions,
  ) {
    this.outputs = resolveOutputs(graph, options.outputs);
    const leaves = new Map<string, number>([...graph.inputs, ...graph.params]);
    for (const [name, value] of Object.entries(options.constants ?? {})) {
      const id = leaves.get(name);
      if (id === undefined) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `constant "${name}" is neither an input nor a parameter of the graph; known names: ${[...leaves.keys()].join(", ") || "(none)"}`,
        );
      }
      checkLeafValue("constant", name, value, graph.nodes[id]!);
      this.bound.set(name, toFloat64Tensor(value));
    }
    const live = new Set(graph.liveNodes(this.outputs.map(([, id]) => id)));
    for (const [name, id] of leaves) {
      if (this.bound.has(name)) continue;
      this.feedable.set(name, graph.nodes[id]!);
      if (live.has(id)) this.required.add(name);
    }
  }

  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    if (this.disposed)
      throw new TunekitError("INVALID_ARGUMENT", "reference: run() called on a disposed executable");
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
      checkLeafValue("feed", name, value, node);
    }
    const missing = [...this.required].filter((n) => feeds[n] === undefined);
    if (missing.length > 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `missing feed(s): ${missing.join(", ")}; the requested outputs need every one of ${[...this.required].join(", ")} (or bind them as constants at compile time)`,
      );
    }
    const values = execute(
      this.graph,
      this.outputs.map(([, id]) => id),
      (_node, name) => this.bound.get(name) ?? toFloat64Tensor(feeds[name]!),
    );
    return Object.fromEntries(this.outputs.map(([name, id]) => [name, toHostTensor(values.get(id)!)]));
  }

  dispose(): void {
    this.disposed = true;
  }
}

/**
 * The reference backend: {@link evaluateGraphFloat64} behind the {@link Backend} interface
 * (float64 inside, float32/int32/bool host tensors out). Slow; for tests and checks.
 * Parameters must be fed or bound with `constants`, like on every backend.
 *
 * @example
 * ```ts
 * const backend = createReferenceBackend();
 * const exe = await backend.compile(graph, { constants: weights });
 * const { logits } = await exe.run({ input_ids });
 * ```
 */
export function createReferenceBackend(): Backend {
  return {
    name: "reference",
    compile: async (graph: Graph, options: CompileOptions = {}) => new ReferenceExecutable(graph, options),
    dispose: () => {},
  };
}
