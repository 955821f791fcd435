import { TunekitError } from "@tunekit/core";

/**
 * AdapterHub's `Fuse` block: the outputs of several adapters, mixed per token by an
 * {@link AdapterFusionLayer} (made with {@link Fuse}).
 *
 * @example
 * ```ts
 * const f: FuseBlock = Fuse("a", "b");
 * ```
 */
export interface FuseBlock {
  readonly kind: "fuse";
  readonly names: readonly string[];
}

/**
 * AdapterHub's `Stack` block: adapters (or a fusion) applied one after another, the output
 * of each feeding the next (made with {@link Stack}).
 *
 * @example
 * ```ts
 * const s: StackBlock = Stack("lang", "task");
 * ```
 */
export interface StackBlock {
  readonly kind: "stack";
  readonly blocks: readonly (string | FuseBlock)[];
}

/**
 * What runs at every adapter site: one adapter by name, a {@link Stack} or a {@link Fuse}.
 *
 * @example
 * ```ts
 * const setup: AdapterSetup = Stack("lang", Fuse("a", "b"));
 * ```
 */
export type AdapterSetup = string | StackBlock | FuseBlock;

/**
 * `Stack(a, b)`: adapter `a` reads the sub-layer output `h` and gives `h + a(h)`, which `b`
 * reads in turn (AdapterHub semantics: each adapter's residual is its own input).
 *
 * @example
 * ```ts
 * const model2 = adapterComposition(Stack("lang", "task")).apply(model);
 * ```
 */
export function Stack(...blocks: (string | FuseBlock)[]): StackBlock {
  if (blocks.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      'Stack() needs at least one adapter name, e.g. Stack("a", "b")',
    );
  }
  for (const b of blocks) if (typeof b === "string") checkAdapterName(b);
  return Object.freeze({ kind: "stack", blocks: Object.freeze([...blocks]) });
}

/**
 * `Fuse(a, b, …)`: AdapterFusion over the named adapters (Pfeiffer et al. 2021).
 *
 * @example
 * ```ts
 * const fused = adapterFusion(["sst2", "mnli"]).apply(model);
 * ```
 */
export function Fuse(...names: string[]): FuseBlock {
  if (names.length < 1 || new Set(names).size !== names.length) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `Fuse() needs distinct adapter names, got [${names.join(", ")}]; e.g. Fuse("sst2", "mnli")`,
    );
  }
  for (const n of names) checkAdapterName(n);
  return Object.freeze({ kind: "fuse", names: Object.freeze([...names]) });
}

/**
 * The module name of a fusion layer: the adapter names joined by commas, as AdapterHub
 * (`adapter_fusion_layer.sst2,mnli`).
 *
 * @example
 * ```ts
 * fusionName(Fuse("a", "b")); // "a,b"
 * ```
 */
export function fusionName(fuse: FuseBlock): string {
  return fuse.names.join(",");
}

/**
 * Every adapter name a setup mentions, in order, without repeats.
 *
 * @example
 * ```ts
 * setupAdapterNames(Stack("a", Fuse("b", "c"))); // ["a", "b", "c"]
 * ```
 */
export function setupAdapterNames(setup: AdapterSetup): string[] {
  const out: string[] = [];
  const add = (n: string): void => {
    if (!out.includes(n)) out.push(n);
  };
  const visit = (b: AdapterSetup): void => {
    if (typeof b === "string") add(b);
    else if (b.kind === "fuse") b.names.forEach(add);
    else b.blocks.forEach(visit);
  };
  visit(setup);
  return out;
}

/**
 * The {@link FuseBlock}s of a setup.
 *
 * @example
 * ```ts
 * setupFusions(Stack("a", Fuse("b", "c"))).map(fusionName); // ["b,c"]
 * ```
 */
export function setupFusions(setup: AdapterSetup): FuseBlock[] {
  if (typeof setup === "string") return [];
  if (setup.kind === "fuse") return [setup];
  return setup.blocks.filter((b): b is FuseBlock => typeof b !== "string");
}

/**
 * Checks an adapter name: a module name, so non-empty without dots or commas.
 *
 * @example
 * ```ts
 * checkAdapterName("sst2"); // ok; checkAdapterName("a.b") throws
 * ```
 */
export function checkAdapterName(name: string): void {
  if (typeof name !== "string" || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `adapter name ${JSON.stringify(name)} is not valid; use letters, digits, "_" or "-" (it becomes a parameter path segment)`,
    );
  }
}
