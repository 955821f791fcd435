import { TunekitError } from "../errors.js";
import type { Graph, Tensor } from "../ir/graph.js";
import type { Parameter } from "./parameter.js";

/**
 * What a forward pass needs besides its tensors: whether it trains (dropout on) and the
 * int32 scalar seed input that dropout masks derive from. Pass one object down the whole
 * forward; each dropout site uses `seed + k` for its own index `k`.
 *
 * @example
 * ```ts
 * const ctx: ForwardContext = { training: true, seed: g.input("dropout_seed", "int32", []) };
 * ```
 */
export interface ForwardContext {
  readonly training: boolean;
  readonly seed?: Tensor;
  /**
   * The step's batch inputs by name (`input_ids`, `task_ids`, ...), for modules conditioned
   * on more than their input tensor: e.g. a hypernetwork adapter reads `task_ids` to
   * generate each row's adapter. Set by the train and eval step builders.
   */
  readonly batch?: Readonly<Record<string, Tensor>>;
}

/**
 * The evaluation context: dropout off, no seed needed.
 *
 * @example
 * ```ts
 * const { logits } = model.forward(inputs, EVAL_CONTEXT);
 * ```
 */
export const EVAL_CONTEXT: ForwardContext = Object.freeze({ training: false });

/**
 * Base class of the module tree. Children and parameters are registered under names, so
 * {@link Module.namedParameters} yields Hugging Face paths, and each parameter's `name`
 * is kept equal to its path whenever the tree changes. Forward methods build IR on the
 * graph of their input tensors and look children up by name at call time, so
 * {@link Module.setSubmodule} can swap a child (e.g. a `Linear` for a LoRA-wrapped one).
 *
 * @example
 * ```ts
 * class Head extends Module {
 *   constructor() { super(); this.registerModule("dense", new Linear(4, 2)); }
 *   forward(x: Tensor, ctx: ForwardContext) { return this.child<Layer>("dense").forward(x, ctx); }
 * }
 * ```
 */
export abstract class Module {
  private readonly ownParameters = new Map<string, Parameter>();
  private readonly ownChildren = new Map<string, Module>();
  private parentModule: Module | undefined;

  /** Registers (or replaces) a parameter under `name` and renames it to its full path. */
  protected registerParameter<P extends Parameter>(name: string, p: P): P {
    checkName(name, this);
    if (this.ownChildren.has(name)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.constructor.name}: "${name}" is already a child module`,
      );
    }
    this.ownParameters.set(name, p);
    this.root().assignParameterNames();
    return p;
  }

  /** Registers (or replaces) a child module under `name`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    checkName(name, this);
    if (this.ownParameters.has(name)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.constructor.name}: "${name}" is already a parameter`,
      );
    }
    if (m === (this as Module)) {
      throw new TunekitError("INVALID_ARGUMENT", `module "${name}" cannot be its own child`);
    }
    this.ownChildren.set(name, m);
    m.parentModule = this;
    this.root().assignParameterNames();
    return m;
  }

  /** The direct child called `name`; throws when there is none. */
  child<M extends Module = Module>(name: string): M {
    const m = this.ownChildren.get(name);
    if (!m) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.constructor.name} has no child "${name}"; children: ${[...this.ownChildren.keys()].join(", ") || "(none)"}`,
      );
    }
    return m as M;
  }

  /** The direct parameter called `name`; throws when there is none. */
  param(name: string): Parameter {
    const p = this.ownParameters.get(name);
    if (!p) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.constructor.name} has no parameter "${name}"; parameters: ${[...this.ownParameters.keys()].join(", ") || "(none)"}`,
      );
    }
    return p;
  }

  /** The `param` node of the direct parameter `name` in `graph` (one node per parameter). */
  protected paramNode(graph: Graph, name: string): Tensor {
    return graph.param(this.param(name));
  }

  /** Direct children as `[name, module]` in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.ownChildren];
  }

  /** Direct parameters as `[localName, parameter]` in registration order. */
  namedOwnParameters(): [string, Parameter][] {
    return [...this.ownParameters];
  }

  /** Every module of the tree (this one first, under `""`) with its dotted path. */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.ownChildren) out.push(...m.namedModules(join(prefix, name)));
    return out;
  }

  /**
   * Every parameter of the tree with its full path, depth first, own parameters before
   * children's. A parameter reachable along two paths appears once, under the first.
   */
  namedParameters(prefix = ""): [string, Parameter][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, p] of m.ownParameters) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(path, name), p]);
      }
    }
    return out;
  }

  /** Every parameter of the tree (see {@link Module.namedParameters}). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The submodule at a dotted path (`""` is this module). */
  getSubmodule(path: string): Module {
    let m: Module = this;
    if (path === "") return m;
    for (const part of path.split(".")) {
      const next = m.ownChildren.get(part);
      if (!next) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `no submodule "${path}": ${m.constructor.name} has no child "${part}" (children: ${[...m.ownChildren.keys()].join(", ") || "none"})`,
        );
      }
      m = next;
    }
    return m;
  }

  /**
   * Replaces the submodule at `path` (which must exist) by `module`; parameter names are
   * updated to the new paths. Returns the module that was replaced.
   */
  setSubmodule(path: string, module: Module): Module {
    const cut = path.lastIndexOf(".");
    const parent = this.getSubmodule(cut < 0 ? "" : path.slice(0, cut));
    const name = path.slice(cut + 1);
    const old = parent.child(name);
    parent.registerModule(name, module);
    if (old.parentModule === parent) old.parentModule = undefined;
    return old;
  }

  /** The parameter at a full dotted path. */
  getParameter(path: string): Parameter {
    const cut = path.lastIndexOf(".");
    return this.getSubmodule(cut < 0 ? "" : path.slice(0, cut)).param(path.slice(cut + 1));
  }

  /** The top of the tree this module is attached to. */
  root(): Module {
    let m: Module = this;
    while (m.parentModule) m = m.parentModule;
    return m;
  }

  /** Sets every parameter's `name` to its full path from this module. */
  assignParameterNames(): void {
    for (const [path, p] of this.namedParameters()) p.name = path;
  }
}

/**
 * A module whose forward maps one tensor to one tensor (`Linear`, `LayerNorm`,
 * `Dropout`, `Embedding`, or a wrapper replacing one of them).
 *
 * @example
 * ```ts
 * const y = model.getSubmodule("classifier") as Layer;
 * ```
 */
export abstract class Layer extends Module {
  abstract forward(x: Tensor, ctx?: ForwardContext): Tensor;
}

/**
 * An indexed list of modules, named `"0"`, `"1"`, … (like `torch.nn.ModuleList`).
 *
 * @example
 * ```ts
 * const layers = new ModuleList([new Linear(4, 4), new Linear(4, 4)]);
 * layers.at(1);
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module {
  private count = 0;

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends `m` under the next index. */
  push(m: M): M {
    this.registerModule(String(this.count), m);
    this.count++;
    return m;
  }

  /** The module at index `i`. */
  at(i: number): M {
    return this.child<M>(String(i));
  }

  get length(): number {
    return this.count;
  }

  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }
}

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function checkName(name: string, owner: Module): void {
  if (name === "" || name.includes(".")) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${owner.constructor.name}: "${name}" is not a valid child or parameter name (non-empty, no dots)`,
    );
  }
}
