import type { Backend } from "../backend/backend.js";
import type { Optimizer, OptimizerConfig } from "../optim/optimizer.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { ForwardFn, TrainableParameterLike } from "./train-step.js";

/**
 * Options of {@link TrainStepRunner}.
 *
 * @example
 * ```ts
 * const opts: TrainStepRunnerOptions = { backend, params, forward, optimizer: adamw(), clipNorm: 1, dropout: true, seed: 42 };
 * ```
 */
export interface TrainStepRunnerOptions {
  readonly backend: Backend;
  readonly params: readonly TrainableParameterLike[];
  readonly forward: ForwardFn;
  readonly optimizer: Optimizer;
  readonly clipNorm?: number;
  /** Micro-batches per optimizer update (default 1). */
  readonly gradientAccumulation?: number;
  /** Dropout on during training steps (default false: the forward runs as in eval mode). */
  readonly dropout?: boolean;
  /** Base seed of the per-step dropout seeds (default 0). */
  readonly seed?: number;
  /**
   * Apply the optimizer on the host, in place and in one pass per parameter
   * ({@link Optimizer.updateOnHost}), instead of in the graph (default false). The backend
   * then returns gradients only, and optimizer state never crosses into the backend: for
   * full fine-tuning on the CPU this replaces about 14 elementwise passes per parameter with
   * one pass and drops most of the per-step output copies (on the bench BERT, 2 cores: 280 MB
   * lower peak RSS, a 5–10 % shorter step on a quiet machine). An embedding table read only
   * through `gather` comes back as its gathered rows' gradients and indices (not a dense
   * `[vocab, width]` gradient); the host sums them into a buffer it keeps, and AdamW still
   * updates every row, as PyTorch does. With `clipNorm`, the norm is taken and the gradients
   * are scaled on the host. Parameters are updated in place (each parameter's `value` is
   * replaced by a private copy once, at the first update).
   */
  readonly optimizerOnHost?: boolean;
  /**
   * With `optimizerOnHost`: threads that share the host update (default 1). With 2 or more,
   * `hostThreads − 1` worker threads update the largest parameters while the calling thread
   * updates the rest; each worker's arrays are transferred to it and back, not copied (the
   * optimizer needs {@link Optimizer.hostKernel}; results are bit-identical to one thread).
   * A parameter's earlier `value` arrays may be detached after a step: read `value` again.
   * Call {@link TrainStepRunner.dispose} to stop the workers.
   */
  readonly hostThreads?: number;
  /**
   * Which forward outputs a training step returns: `"all"` (default) the loss and every extra
   * output of the forward (`logits` …, in {@link TrainStepResult.outputs}); `"loss"` the loss
   * alone, so the backend neither keeps nor copies out the extras (a causal LM's logits are
   * `[B, S, vocab]`: 100 MB per step for batch 4 × 128 and a 49,152-token vocabulary).
   * `evaluate` always returns every output.
   */
  readonly stepOutputs?: "all" | "loss";
  /**
   * Keep trainable parameters, optimizer state and gradient accumulators on the backend's
   * device between steps when the backend has one ({@link Backend.keepsOnDevice}: the ONNX
   * backend on the WebGPU provider), instead of copying them to the host and back every step
   * (default true; ignored on host backends and with `optimizerOnHost`). Each parameter's
   * `value` is then brought up to date only by {@link TrainStepRunner.syncToHost} (which the
   * `Trainer` calls before every checkpoint and at the end of `fit`) and by `dispose`;
   * {@link TrainStepRunner.getState} asks for a sync first. Assigning a parameter a new `value`
   * still takes effect at the next step.
   */
  readonly deviceResident?: boolean;
}

/**
 * The result of one {@link TrainStepRunner.step}: the (micro-)batch loss, the gradient norm
 * before clipping (when clipping and an update was applied), the forward's extra outputs,
 * and whether this call applied an optimizer update (always, without accumulation).
 *
 * @example
 * ```ts
 * const { loss, applied } = await runner.step(batch, { lr: 2e-5 });
 * ```
 */
export interface TrainStepResult {
  readonly loss: number;
  readonly gradNorm?: number;
  readonly applied: boolean;
  readonly outputs: Record<string, HostTensor>;
}

/**
 * Everything a checkpoint needs to resume training exactly: updates done, micro-batches
 * accumulated toward the next update, optimizer state by `<param>::<slot>`, gradient
 * accumulators by `<param>::grad_acc`, and the optimizer config.
 *
 * @example
 * ```ts
 * const state: TrainStepState = runner.getState();
 * writeSafetensorsFile("optimizer.safetensors", { ...state.optimizer });
 * ```
 */
export interface TrainStepState {
  readonly step: number;
  readonly microStep: number;
  readonly optimizer: Readonly<Record<string, HostTensor>>;
  readonly accumulators: Readonly<Record<string, HostTensor>>;
  readonly optimizerConfig: OptimizerConfig;
}
