import { TunekitError } from "../errors.js";
import { runHostKernel } from "../optim/host-kernels.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { type HostUpdateResult, HostUpdatePool } from "./host-update-pool.js";
import { GRAD_SQUARES_OUTPUT, gradOutputName, sparseGradOutputNames } from "./train-step-names.js";

/**
 * One trainable parameter for {@link HostStepUpdate.apply}: its name, value and state slots
 * (host arrays the update writes in place, or replaces when they went to a worker thread).
 *
 * @example
 * ```ts
 * const entry: HostStepEntry = { name: "classifier.weight", param: w, state: { m, v } };
 * ```
 */
export interface HostStepEntry {
  readonly name: string;
  readonly param: Float32Array;
  readonly state: Readonly<Record<string, Float32Array>>;
}

/**
 * The optimizer half of a training step built with `optimizerOnHost`, on the host: turns
 * row-sparse gradients (embedding tables) into dense ones in a buffer kept between steps
 * (only the touched rows are written, then cleared), clips by the global norm when asked
 * (the graph's squares of the dense gradients plus the rows' own), and runs the optimizer's
 * host kernel in place, on the calling thread or over a {@link HostUpdatePool}.
 *
 * @example
 * ```ts
 * const update = new HostStepUpdate(adamw(), { threads: 2, clipNorm: 1 });
 * const { results, gradNorm } = await update.apply(entries, outputs, step.sparseGradNames ?? [], 1, 2e-5);
 * ```
 */
export class HostStepUpdate {
  private readonly pool: HostUpdatePool | undefined;
  /** Dense gradient buffers of the row-sparse parameters: all zeros between steps. */
  private readonly dense = new Map<string, Float32Array>();
  private readonly marks = new Map<string, Uint8Array>();

  constructor(
    private readonly optimizer: Optimizer,
    private readonly options: { readonly threads: number; readonly clipNorm?: number },
  ) {
    this.pool = options.threads > 1 ? new HostUpdatePool(options.threads) : undefined;
  }

  /**
   * Applies one update to every entry; resolves with each entry's (possibly new) arrays and,
   * when clipping, the global gradient norm before clipping.
   */
  async apply(
    entries: readonly HostStepEntry[],
    out: Readonly<Record<string, HostTensor>>,
    sparse: readonly string[],
    step: number,
    lr: number,
  ): Promise<{ results: HostUpdateResult[]; gradNorm?: number }> {
    const sparseSet = new Set(sparse);
    let sparseSquares = 0;
    const grads = entries.map((e) => {
      if (!sparseSet.has(e.name)) return out[gradOutputName(e.name)]!.data as Float32Array;
      const { dense, squares } = this.scatterRows(e.name, e.param.length, out);
      sparseSquares += squares;
      return dense;
    });
    let gradScale = 1;
    let gradNorm: number | undefined;
    if (this.options.clipNorm !== undefined) {
      gradNorm = Math.sqrt((out[GRAD_SQUARES_OUTPUT]!.data[0] as number) + sparseSquares);
      // torch.nn.utils.clip_grad_norm_: max_norm / (norm + 1e-6), at most 1.
      gradScale = Math.min(this.options.clipNorm / (gradNorm + 1e-6), 1);
    }
    const opt = this.optimizer;
    let results: HostUpdateResult[];
    if (opt.hostKernel) {
      const jobs = entries.map((e, i) => ({
        call: opt.hostKernel!({ name: e.name, step, lr, gradScale }),
        param: e.param,
        grad: grads[i]!,
        state: e.state,
      }));
      if (this.pool) results = await this.pool.run(jobs);
      else {
        for (const j of jobs) runHostKernel(j.call, j.param, j.grad, j.state, 0, j.param.length);
        results = jobs.map((j) => ({ param: j.param, grad: j.grad, state: { ...j.state } }));
      }
    } else {
      results = entries.map((e, i) => {
        const grad = grads[i]!;
        if (gradScale !== 1) for (let k = 0; k < grad.length; k++) grad[k] = (grad[k] as number) * gradScale;
        opt.updateOnHost!({ name: e.name, param: e.param, grad, state: e.state, step, lr });
        return { param: e.param, grad, state: { ...e.state } };
      });
    }
    entries.forEach((e, i) => {
      if (sparseSet.has(e.name)) this.clearRows(e.name, results[i]!.grad, out);
    });
    return gradNorm === undefined ? { results } : { results, gradNorm };
  }

  /** Stops the worker threads (if any). */
  dispose(): void {
    this.pool?.dispose();
  }

  /** Scatter-adds a row-sparse gradient into the parameter's dense buffer; returns it and its squared norm. */
  private scatterRows(
    name: string,
    size: number,
    out: Readonly<Record<string, HostTensor>>,
  ): { dense: Float32Array; squares: number } {
    const names = sparseGradOutputNames(name);
    const rows = out[names.rows]!.data as Float32Array;
    const indices = out[names.indices]!.data;
    let dense = this.dense.get(name);
    if (!dense || dense.length !== size) {
      dense = new Float32Array(size);
      this.marks.set(name, new Uint8Array(0));
    }
    const width = indices.length === 0 ? 0 : rows.length / indices.length;
    const tableRows = width === 0 ? 0 : size / width;
    let marks = this.marks.get(name)!;
    if (marks.length !== tableRows) {
      marks = new Uint8Array(tableRows);
      this.marks.set(name, marks);
    }
    for (let k = 0; k < indices.length; k++) {
      const r = indices[k] as number;
      if (!(Number.isInteger(r) && r >= 0 && r < tableRows)) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `TrainStepRunner: row index ${r} at position ${k} of the gradient of "${name}" is outside the table's ${tableRows} rows; check the batch's ids against the embedding size`,
        );
      }
    }
    for (let k = 0; k < indices.length; k++) {
      const to = (indices[k] as number) * width;
      const from = k * width;
      for (let j = 0; j < width; j++) dense[to + j] = (dense[to + j] as number) + (rows[from + j] as number);
    }
    let squares = 0;
    for (let k = 0; k < indices.length; k++) {
      const r = indices[k] as number;
      if (marks[r]) continue;
      marks[r] = 1;
      for (let j = r * width, end = j + width; j < end; j++)
        squares += (dense[j] as number) * (dense[j] as number);
    }
    for (let k = 0; k < indices.length; k++) marks[indices[k] as number] = 0;
    this.dense.set(name, dense);
    return { dense, squares };
  }

  /** Zeros the touched rows again (the buffer may have come back from a worker as a new view). */
  private clearRows(name: string, dense: Float32Array, out: Readonly<Record<string, HostTensor>>): void {
    const names = sparseGradOutputNames(name);
    const indices = out[names.indices]!.data;
    const width = indices.length === 0 ? 0 : out[names.rows]!.data.length / indices.length;
    for (let k = 0; k < indices.length; k++) {
      const at = (indices[k] as number) * width;
      dense.fill(0, at, at + width);
    }
    this.dense.set(name, dense);
  }
}
