import type { Module } from "../modules/module.js";

/**
 * JSON-serialisable options of a strategy: what a `tunekit train` config's `strategy`
 * block and an adapter file's config carry.
 *
 * @example
 * ```ts
 * const options: StrategyOptions = { r: 8, alpha: 16, targetModules: ["query", "value"] };
 * ```
 */
export type StrategyOptions = Readonly<Record<string, unknown>>;

/**
 * A way to adapt a pre-trained model to a task, as a pure transform of a module tree.
 *
 * `apply(model)` returns the adapted model: a new module tree that *shares* the base
 * model's `Parameter` objects (never copies or changes their values), with the strategy's
 * new modules added and the trainable flags set to what the strategy trains. Strategies
 * never import a backend: the returned model runs on any backend.
 *
 * @example
 * ```ts
 * const adapted = lora({ r: 8, alpha: 16, targetModules: ["query", "value"] }).apply(model);
 * console.log(formatParameterReport(parameterReport(adapted)));
 * ```
 */
export interface Strategy {
  /** Method name as configs spell it (`full`, `head-only`, `lora`, `ia3`, ...). */
  readonly method: string;
  /** The options the strategy was created with, after defaults were filled in. */
  readonly options: StrategyOptions;
  /** Adapts `model`; see the interface comment for what is shared and what is new. */
  apply<M extends Module>(model: M): M;
}
