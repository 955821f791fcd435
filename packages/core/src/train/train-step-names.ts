/** Name of the float32 scalar input holding the 1-based optimizer step number. @example `feeds[STEP_INPUT] = hostTensor("float32", [], [1])` */
export const STEP_INPUT = "step";
/** Name of the float32 scalar input holding the learning rate. @example `feeds[LR_INPUT] = hostTensor("float32", [], [1e-3])` */
export const LR_INPUT = "lr";
/** Name of the int32 scalar input seeding dropout masks (only when dropout is on). @example `feeds[SEED_INPUT] = hostTensor("int32", [], [42])` */
export const SEED_INPUT = "seed";
/** Name of the scalar loss output. @example `const loss = outputs[LOSS_OUTPUT]!.data[0]` */
export const LOSS_OUTPUT = "loss";
/** Name of the output holding the global gradient norm before clipping (only when clipping). @example `const norm = outputs[GRAD_NORM_OUTPUT]?.data[0]` */
export const GRAD_NORM_OUTPUT = "grad_norm";

/**
 * Input name of an optimizer state slot of a parameter: `<param>::<slot>`.
 *
 * @example
 * ```ts
 * stateInputName("bert.pooler.dense.weight", "m"); // "bert.pooler.dense.weight::m"
 * ```
 */
export function stateInputName(param: string, slot: string): string {
  return `${param}::${slot}`;
}

/**
 * Input name of a parameter's gradient accumulator (gradient accumulation only).
 *
 * @example
 * ```ts
 * accumulatorInputName("classifier.weight"); // "classifier.weight::grad_acc"
 * ```
 */
export function accumulatorInputName(param: string): string {
  return `${param}::grad_acc`;
}

/**
 * Output name of the new value of a parameter, state slot or accumulator: `<name>::new`.
 *
 * @example
 * ```ts
 * newValueName("classifier.weight"); // "classifier.weight::new"
 * newValueName(stateInputName("classifier.weight", "v")); // "classifier.weight::v::new"
 * ```
 */
export function newValueName(name: string): string {
  return `${name}::new`;
}

/**
 * Output name of a parameter's (clipped) gradient, in a step built with `optimizerOnHost`:
 * `<param>::grad`.
 *
 * @example
 * ```ts
 * gradOutputName("classifier.weight"); // "classifier.weight::grad"
 * ```
 */
export function gradOutputName(param: string): string {
  return `${param}::grad`;
}

/**
 * Name of the float32 scalar output holding the sum of squares of the dense gradients, in a
 * step built with `optimizerOnHost` and `clipNorm` (the host adds the row-sparse gradients'
 * squares and clips).
 *
 * @example
 * ```ts
 * const squares = outputs[GRAD_SQUARES_OUTPUT]!.data[0]!;
 * ```
 */
export const GRAD_SQUARES_OUTPUT = "grad_squares";

/**
 * Output names of a row-sparse gradient (an embedding table read only by `gather`, in a step
 * built with `optimizerOnHost`): the rows' gradients `<param>::grad_rows` (`[...indices, ...row]`)
 * and the int32 row indices `<param>::grad_indices`; the dense gradient is their scatter-add.
 *
 * @example
 * ```ts
 * sparseGradOutputNames("bert.embeddings.word_embeddings.weight").rows; // "...::grad_rows"
 * ```
 */
export function sparseGradOutputNames(param: string): { rows: string; indices: string } {
  return { rows: `${param}::grad_rows`, indices: `${param}::grad_indices` };
}
