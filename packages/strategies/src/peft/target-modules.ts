import { Linear, type Module, TunekitError } from "@tunekit/core";

/**
 * Which modules an adapter wraps, as PEFT's `target_modules`: a list of names, each
 * matching a module whose dotted path equals it or ends with `.<name>` (`"query"`,
 * `"output.dense"`), or ONE regular expression (a RegExp, or a string when it is not in a
 * list, as PEFT stores it) that must match the whole path.
 *
 * @example
 * ```ts
 * const t: TargetModules = ["query", "value"];
 * const r: TargetModules = /.*\.attention\.self\.(query|value)/;
 * ```
 */
export type TargetModules = readonly string[] | RegExp | string;

/**
 * Whether a module path is selected by {@link TargetModules} (PEFT's matching rules).
 *
 * @example
 * ```ts
 * matchesTargetModule("bert.encoder.layer.0.attention.self.query", ["query"]); // true
 * matchesTargetModule("bert.encoder.layer.0.output.dense", "bert\\..*\\.output\\.dense"); // true
 * ```
 */
export function matchesTargetModule(path: string, targets: TargetModules): boolean {
  if (typeof targets === "string" || targets instanceof RegExp) {
    const source = typeof targets === "string" ? targets : targets.source;
    const flags = targets instanceof RegExp ? targets.flags.replace(/[gy]/g, "") : "";
    return new RegExp(`^(?:${source})$`, flags).test(path);
  }
  return targets.some((t) => path === t || path.endsWith(`.${t}`));
}

/**
 * The layer index of a module path as PEFT finds it for `layers_to_transform`: the first
 * number segment after a named segment (`bert.encoder.layer.3.…` → 3).
 *
 * @example
 * ```ts
 * layerIndexOf("bert.encoder.layer.3.attention.self.query"); // 3
 * ```
 */
export function layerIndexOf(path: string): number | undefined {
  const m = /^.*\.[^.]*\.(\d+)\./.exec(path) ?? /^[^.]*\.(\d+)\./.exec(path);
  return m ? Number(m[1]) : undefined;
}

/**
 * What {@link findTargetLinears} selects from.
 *
 * @example
 * ```ts
 * const sel: TargetSelection = { targetModules: ["query"], layersToTransform: [0, 1] };
 * ```
 */
export interface TargetSelection {
  readonly targetModules: TargetModules;
  /** Only modules of these layer indices (default: every layer). */
  readonly layersToTransform?: readonly number[] | undefined;
  /** Name of the strategy, for error messages. */
  readonly method: string;
}

/**
 * The paths of the `Linear` modules of `model` selected by `targetModules` and
 * `layersToTransform`, in model order. Throws `INVALID_ARGUMENT` when the selection is
 * empty (a typo would otherwise train nothing) or names a non-Linear module.
 *
 * @example
 * ```ts
 * findTargetLinears(model, { targetModules: ["query", "value"], method: "lora" });
 * // ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value", ...]
 * ```
 */
export function findTargetLinears(model: Module, selection: TargetSelection): string[] {
  const out: string[] = [];
  const layers = selection.layersToTransform;
  for (const [path, m] of model.namedModules()) {
    if (path === "" || !matchesTargetModule(path, selection.targetModules)) continue;
    if (layers !== undefined) {
      const i = layerIndexOf(path);
      if (i === undefined || !layers.includes(i)) continue;
    }
    if (!(m instanceof Linear)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${selection.method}: target module ${path} is a ${m.constructor.name}, expected a Linear; ` +
          "narrow targetModules to Linear layers (e.g. query, key, value, dense)",
      );
    }
    out.push(path);
  }
  if (out.length === 0) {
    const linears = model
      .namedModules()
      .filter(([, m]) => m instanceof Linear)
      .map(([p]) => p);
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${selection.method}: targetModules ${describeTargets(selection.targetModules)}` +
        `${layers ? ` with layersToTransform [${layers.join(", ")}]` : ""} match no Linear module; ` +
        `Linear modules look like: ${linears.slice(0, 4).join(", ")}${linears.length > 4 ? ", …" : ""}`,
    );
  }
  return out;
}

/**
 * `target_modules` as PEFT writes it in `adapter_config.json`: a list of names, or one
 * regular expression string.
 *
 * @example
 * ```ts
 * targetModulesToJson(/.*query/); // ".*query"
 * ```
 */
export function targetModulesToJson(t: TargetModules): string[] | string {
  if (t instanceof RegExp) return t.source;
  return typeof t === "string" ? t : [...t];
}

function describeTargets(t: TargetModules): string {
  return t instanceof RegExp || typeof t === "string" ? `/${targetModulesToJson(t)}/` : JSON.stringify(t);
}

/**
 * PEFT's `LoraConfig` / `IA3Config` refuse `layers_to_transform` with a regular-expression
 * `target_modules` (a ValueError in `__post_init__`), so an adapter saved with both could not
 * be loaded in Python: this rejects the combination when the strategy is created.
 *
 * @example
 * ```ts
 * checkLayersWithTargets("lora", /query/.source, [0]); // throws INVALID_ARGUMENT
 * ```
 */
export function checkLayersWithTargets(
  method: string,
  targets: string | readonly string[],
  layers: readonly number[] | null,
): void {
  if (typeof targets === "string" && layers !== null) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${method}: layersToTransform cannot be combined with a RegExp targetModules (${JSON.stringify(targets)}), ` +
        "because Python PEFT refuses that adapter_config.json; name the layers inside the RegExp " +
        String.raw`(e.g. /layer\.(0|1)\..*(query|value)$/) or pass targetModules as a list of names`,
    );
  }
}

/**
 * One regular expression (PEFT's string `target_modules`, matched against whole module
 * paths) that selects the modules `names` selects (a path equal to a name or ending with
 * `.<name>`) but only in the layers `layers` (the first number segment after `layer`,
 * `layers` or `h`: BERT, Llama, GPT-2). How an adapter type without `layers_to_transform`
 * (PEFT's `IA3Config`) is limited to some layers.
 *
 * @example
 * ```ts
 * layerRestrictedTargets(["c_attn", "mlp.c_proj"], [0, 2]);
 * // "(?:.*\\.)?(?:layer|layers|h)\\.(?:0|2)\\.(?:.*\\.)?(?:c_attn|mlp\\.c_proj)"
 * ```
 */
export function layerRestrictedTargets(names: readonly string[], layers: readonly number[]): string {
  const quote = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return (
    String.raw`(?:.*\.)?(?:layer|layers|h)\.(?:${layers.join("|")})\.(?:.*\.)?` +
    `(?:${names.map(quote).join("|")})`
  );
}
