import type { Module } from "./module.js";
import { Parameter } from "./parameter.js";

/** The private fields of {@link Module} that a structural copy must not share. */
interface ModuleInternals {
  ownParameters: Map<string, Parameter>;
  ownChildren: Map<string, Module>;
  parentModule: Module | undefined;
}

const internals = (m: Module): ModuleInternals => m as unknown as ModuleInternals;

/** Options of {@link cloneModuleTree}. @example `cloneModuleTree(model, { freshParameters: (path) => path.startsWith("classifier.") })` */
export interface CloneModuleTreeOptions {
  /**
   * Give the copy new `Parameter` objects (same name, same `value` tensor, same trainable
   * flag) instead of sharing the originals, so that training the copy never changes the
   * original: `true` for all, or a predicate of the parameter's full path for some
   * (default false: parameters are shared).
   */
  readonly freshParameters?: boolean | ((path: string, parameter: Parameter) => boolean);
}

/**
 * A structural copy of a module tree: every module is a new object of the same class with
 * its own children and parameter tables, so `setSubmodule` on the copy (e.g. wrapping a
 * `Linear` in a LoRA layer) leaves the original tree as it was. Parameters are SHARED by
 * default (the same `Parameter` objects, so the copy costs no weight memory and a frozen
 * weight stays one object); with `freshParameters` they are new `Parameter` objects that
 * still share the (immutable by convention) `HostTensor` values. Other fields (configs,
 * sizes, rates) are copied shallowly. The copy's root has no parent.
 *
 * Strategies use this in `apply(model)`: clone, then inject their modules into the clone.
 *
 * @example
 * ```ts
 * const adapted = cloneModuleTree(model);
 * adapted.setSubmodule("bert.encoder.layer.0.attention.self.query", wrapped);
 * model.getSubmodule("bert.encoder.layer.0.attention.self.query"); // still the plain Linear
 * ```
 */
export function cloneModuleTree<M extends Module>(model: M, options: CloneModuleTreeOptions = {}): M {
  const f = options.freshParameters ?? false;
  const fresh = typeof f === "function" ? f : () => f;
  const copy = copyNode(model, "", fresh);
  internals(copy).parentModule = undefined;
  return copy;
}

type FreshTest = (path: string, parameter: Parameter) => boolean;

function copyNode<M extends Module>(m: M, prefix: string, fresh: FreshTest): M {
  const copy = Object.create(Object.getPrototypeOf(m) as object) as M;
  Object.assign(copy, m);
  const src = internals(m);
  const dst = internals(copy);
  dst.ownParameters = new Map(
    [...src.ownParameters].map(([name, p]) => [
      name,
      fresh(join(prefix, name), p) ? new Parameter(p.name, p.value, { trainable: p.trainable }) : p,
    ]),
  );
  dst.ownChildren = new Map();
  for (const [name, child] of src.ownChildren) {
    const c = copyNode(child, join(prefix, name), fresh);
    internals(c).parentModule = copy;
    dst.ownChildren.set(name, c);
  }
  return copy;
}

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}
