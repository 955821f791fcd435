import type { DeviceTensor, Executable } from "../backend/backend.js";
import { mixSeeds } from "../data/random.js";
import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { DeviceResidentValues } from "./device-resident-values.js";
import { checkTrainStepState } from "./train-step-state-check.js";
import {
  type CompiledEvalStep,
  type CompiledTrainStep,
  compileEvalStep,
  compileTrainStep,
} from "./train-step-compile.js";
import { copyTensor, isDevice, scalarF32, signatureOf, specsOf } from "./train-step-feeds.js";
import { HostStepUpdate } from "./host-step-update.js";
import type { TrainStepResult, TrainStepRunnerOptions, TrainStepState } from "./train-step-runner-types.js";
import type { InputSpec, TrainableParameterLike, TrainStep } from "./train-step.js";
import {
  GRAD_NORM_OUTPUT,
  LOSS_OUTPUT,
  LR_INPUT,
  newValueName,
  SEED_INPUT,
  STEP_INPUT,
  stateInputName,
} from "./train-step-names.js";

export type { TrainStepResult, TrainStepRunnerOptions, TrainStepState } from "./train-step-runner-types.js";

/**
 * Runs training steps on a backend: traces and compiles the one-graph training step once
 * per batch-shape signature (cached; length bucketing keeps them few), feeds the batch,
 * `step`, `lr`, dropout `seed`, trainable parameters and optimizer state, and writes the
 * new parameter values back into each parameter's `value` (so the model sees them) and the
 * new state into its host copy. Frozen parameters are bound as compile-time constants
 * (their values when the shape is first compiled).
 *
 * @example
 * ```ts
 * const runner = new TrainStepRunner({ backend, params: model.namedParameters(), forward, optimizer: adamw() });
 * const { loss } = await runner.step(batch, { lr: schedule(runner.stepCount) });
 * const { logits } = await runner.evaluate(evalBatch);
 * ```
 */
export class TrainStepRunner {
  private readonly options: TrainStepRunnerOptions;
  private readonly trainable: TrainableParameterLike[];
  private readonly accumulation: number;
  private readonly trainCache = new Map<string, Promise<CompiledTrainStep>>();
  private readonly evalCache = new Map<string, Promise<CompiledEvalStep>>();
  private optimizerState = new Map<string, HostTensor>();
  private accumulators = new Map<string, HostTensor>();
  /** optimizerOnHost: each parameter's own copy, updated in place (by name). */
  private readonly privateValues = new Map<string, HostTensor>();
  /** State slot names of each trainable parameter. */
  private readonly slotNames = new Map<string, string[]>();
  private updates = 0;
  private micro = 0;
  private busy = false;
  /** optimizerOnHost: the host half of the update (threads, sparse rows, clipping). */
  private readonly hostUpdate: HostStepUpdate | undefined;
  /** Parameters, state and accumulators kept on the backend's device between steps. */
  private readonly device: DeviceResidentValues | undefined;

  constructor(options: TrainStepRunnerOptions) {
    this.options = options;
    this.accumulation = options.gradientAccumulation ?? 1;
    if (!Number.isInteger(this.accumulation) || this.accumulation < 1) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `TrainStepRunner: gradientAccumulation must be a positive integer, got ${String(options.gradientAccumulation)}`,
      );
    }
    this.trainable = options.params.filter((p) => p.trainable);
    if (options.optimizerOnHost && !options.optimizer.updateOnHost) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `TrainStepRunner: optimizerOnHost needs an optimizer with updateOnHost; ${options.optimizer.name} has none (drop optimizerOnHost)`,
      );
    }
    const threads = options.hostThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `TrainStepRunner: hostThreads must be an integer from 1 to 64, got ${String(options.hostThreads)}`,
      );
    }
    if (threads > 1 && !(options.optimizerOnHost && options.optimizer.hostKernel)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `TrainStepRunner: hostThreads ${threads} needs optimizerOnHost and an optimizer with hostKernel (${options.optimizer.name}${options.optimizer.hostKernel ? "" : " has none"}); drop hostThreads`,
      );
    }
    this.hostUpdate = options.optimizerOnHost
      ? new HostStepUpdate(options.optimizer, {
          threads,
          ...(options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm }),
        })
      : undefined;
    this.device =
      options.deviceResident !== false && options.backend.keepsOnDevice === true && !options.optimizerOnHost
        ? new DeviceResidentValues()
        : undefined;
    const names = new Set<string>();
    for (const p of options.params) {
      if (names.has(p.name))
        throw new TunekitError("INVALID_ARGUMENT", `TrainStepRunner: two parameters are named "${p.name}"`);
      names.add(p.name);
    }
    for (const p of this.trainable) {
      const slots = options.optimizer.stateSlots(p.value);
      this.slotNames.set(p.name, Object.keys(slots));
      for (const [slot, value] of Object.entries(slots)) {
        this.optimizerState.set(stateInputName(p.name, slot), value);
      }
    }
  }

  /**
   * True when parameters and optimizer state live on the backend's device between steps
   * ({@link TrainStepRunnerOptions.deviceResident} on a backend with `keepsOnDevice`).
   */
  get deviceResident(): boolean {
    return this.device !== undefined;
  }

  /** Optimizer updates applied so far (the `step` fed to the next update is this + 1). */
  get stepCount(): number {
    return this.updates;
  }

  /** Micro-batches accumulated toward the next update (0 without gradient accumulation). */
  get microStepCount(): number {
    return this.micro;
  }

  /**
   * Runs one training step on `batch` (one micro-batch with gradient accumulation; the
   * update is applied on every `gradientAccumulation`-th call).
   */
  async step(batch: Readonly<Record<string, HostTensor>>, opts: { lr: number }): Promise<TrainStepResult> {
    if (!Number.isFinite(opts.lr)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `TrainStepRunner.step: lr must be a finite number, got ${opts.lr}`,
      );
    }
    this.enter();
    try {
      const update = this.micro + 1 === this.accumulation;
      const phase = update ? "update" : "accumulate";
      const specs = specsOf(batch);
      const key = `${phase}|${signatureOf(specs)}`;
      let compiled = this.trainCache.get(key);
      if (!compiled) {
        compiled = this.compileTrain(specs, phase);
        this.trainCache.set(key, compiled);
      }
      const { step, exe } = await compiled;
      const onHost = update && this.options.optimizerOnHost === true;
      const feeds: Record<string, HostTensor> = { ...batch };
      if (update && !onHost) {
        feeds[STEP_INPUT] = scalarF32(this.updates + 1);
        feeds[LR_INPUT] = scalarF32(opts.lr);
      }
      if (this.options.dropout) {
        const seed = mixSeeds(this.options.seed ?? 0, this.updates, this.micro) & 0x3fffffff; // room for `seed + k` per dropout site
        feeds[SEED_INPUT] = hostTensor("int32", [], [seed]);
      }
      const byName = new Map(this.trainable.map((p) => [p.name, p]));
      for (const name of step.trainableNames) feeds[name] = byName.get(name)!.value;
      for (const name of step.stateNames) feeds[name] = this.optimizerState.get(name)!;
      if (onHost) {
        // Updated in place: never write into arrays the caller handed in.
        for (const name of step.trainableNames) feeds[name] = this.ownValue(byName.get(name)!);
      }
      step.accumulatorNames.forEach((name, i) => {
        const param = byName.get(step.trainableNames[i]!)!;
        const acc = this.accumulators.get(name);
        // A DeviceTensor while accumulating on the device (runStep passes it through).
        feeds[name] =
          ((this.device ? this.device.feed(name, acc) : acc) as HostTensor | undefined) ??
          hostTensor("float32", param.value.shape);
      });
      const out = await this.runStep(exe, feeds, [...step.trainableNames, ...step.stateNames]);
      const outputs: Record<string, HostTensor> = {};
      for (const name of step.extraOutputNames) if (out[name] !== undefined) outputs[name] = out[name];
      const loss = out[LOSS_OUTPUT]!.data[0]!;
      if (!update) {
        for (const name of step.accumulatorNames)
          this.keep(name, out[newValueName(name)]!, this.accumulators);
        this.micro++;
        return { loss, applied: false, outputs };
      }
      let hostNorm: number | undefined;
      if (onHost) hostNorm = await this.applyOnHost(step, byName, out, opts.lr);
      else {
        for (const name of step.trainableNames) {
          const p = byName.get(name)!;
          const value = out[newValueName(name)]!;
          if (isDevice(value)) this.device!.set(name, value, p.value);
          else p.value = value;
        }
        for (const name of step.stateNames) this.keep(name, out[newValueName(name)]!, this.optimizerState);
      }
      if (this.device && step.accumulatorNames.length > 0) {
        const accumulators = new Set(step.accumulatorNames);
        this.device.drop((n) => accumulators.has(n));
      }
      this.accumulators.clear();
      this.micro = 0;
      this.updates++;
      const norm = hostNorm ?? out[GRAD_NORM_OUTPUT]?.data[0];
      return norm === undefined
        ? { loss, applied: true, outputs }
        : { loss, gradNorm: norm, applied: true, outputs };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Runs the forward pass alone (dropout off, no gradients) and returns its outputs, or only
   * `options.outputs` of them: the others are then not computed (a causal LM's evaluation asks
   * for its `loss` alone, so the `[B, S, V]` logits are neither made nor copied out).
   */
  async evaluate(
    batch: Readonly<Record<string, HostTensor>>,
    options: { readonly outputs?: readonly string[] } = {},
  ): Promise<Record<string, HostTensor>> {
    const specs = specsOf(batch);
    const key = `${signatureOf(specs)}|${options.outputs?.join(",") ?? "*"}`;
    let compiled = this.evalCache.get(key);
    if (!compiled) {
      compiled = this.compileEval(specs, options.outputs);
      this.evalCache.set(key, compiled);
    }
    const { exe, trainableNames } = await compiled;
    const feeds: Record<string, HostTensor> = { ...batch };
    const byName = new Map(this.trainable.map((p) => [p.name, p]));
    for (const name of trainableNames) feeds[name] = byName.get(name)!.value;
    return this.runStep(exe, feeds, trainableNames);
  }

  /**
   * Copies the parameters, optimizer state and accumulators that training left on the
   * backend's device (see {@link TrainStepRunnerOptions.deviceResident}) into their host
   * values: each parameter's `value` and the state {@link TrainStepRunner.getState} returns.
   * Nothing to do on a host backend. The `Trainer` calls it before checkpoints and at the end
   * of `fit`; {@link TrainStepRunner.dispose} calls it too.
   */
  async syncToHost(): Promise<void> {
    if (!this.device?.hasUnsynced) return;
    const byName = new Map(this.trainable.map((p) => [p.name, p]));
    await this.device.sync((name, host) => {
      const param = byName.get(name);
      if (param !== undefined) param.value = host;
      else if (this.optimizerState.has(name)) this.optimizerState.set(name, host);
      else this.accumulators.set(name, host);
    });
  }

  /** Optimizer state, step counters and accumulators, for checkpoints (do not mutate the tensors). */
  getState(): TrainStepState {
    if (this.device?.hasUnsynced) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `TrainStepRunner.getState: the optimizer state on the ${this.options.backend.name} device is newer than its host copy; await runner.syncToHost() first`,
      );
    }
    return {
      step: this.updates,
      microStep: this.micro,
      // Copies when the optimizer updates the state in place (optimizerOnHost).
      optimizer: this.options.optimizerOnHost
        ? Object.fromEntries([...this.optimizerState].map(([n, t]) => [n, copyTensor(t)]))
        : Object.fromEntries(this.optimizerState),
      accumulators: Object.fromEntries(this.accumulators),
      optimizerConfig: this.options.optimizer.config,
    };
  }

  /** Restores a state from {@link getState} (names and shapes must match this runner's). */
  setState(state: TrainStepState): void {
    checkTrainStepState(state, {
      accumulation: this.accumulation,
      stateNames: [...this.optimizerState.keys()],
      shapes: new Map(this.trainable.map((p) => [p.name, p.value.shape])),
    });
    this.optimizerState = new Map(
      Object.entries(state.optimizer).map(([n, t]) => [n, this.options.optimizerOnHost ? copyTensor(t) : t]),
    );
    this.accumulators = new Map(Object.entries(state.accumulators));
    const trainable = new Set(this.trainable.map((p) => p.name));
    this.device?.drop((n) => !trainable.has(n));
    this.updates = state.step;
    this.micro = state.microStep;
  }

  /**
   * Copies what training left on the device to the host ({@link TrainStepRunner.syncToHost}),
   * then releases every compiled executable and device value.
   */
  async dispose(): Promise<void> {
    await this.syncToHost();
    this.device?.dispose();
    const all = [...this.trainCache.values(), ...this.evalCache.values()].map(async (c) => (await c).exe);
    this.trainCache.clear();
    this.evalCache.clear();
    this.hostUpdate?.dispose();
    for (const exe of await Promise.allSettled(all)) if (exe.status === "fulfilled") exe.value.dispose();
  }

  /** Applies the update on the host; returns the gradient norm when clipping. */
  private async applyOnHost(
    step: TrainStep,
    byName: ReadonlyMap<string, TrainableParameterLike>,
    out: Readonly<Record<string, HostTensor>>,
    lr: number,
  ): Promise<number | undefined> {
    const names = step.trainableNames;
    const entries = names.map((name) => {
      const state: Record<string, Float32Array> = {};
      for (const slot of this.slotNames.get(name)!) {
        state[slot] = this.optimizerState.get(stateInputName(name, slot))!.data as Float32Array;
      }
      return { name, param: this.ownValue(byName.get(name)!).data as Float32Array, state };
    });
    const { results, gradNorm } = await this.hostUpdate!.apply(
      entries,
      out,
      step.sparseGradNames ?? [],
      this.updates + 1,
      lr,
    );
    // Arrays handed to a worker thread come back as new views of the same memory.
    results.forEach((r, i) => {
      const name = names[i]!;
      const p = byName.get(name)!;
      if (r.param !== p.value.data) {
        p.value = { ...p.value, data: r.param };
        this.privateValues.set(name, p.value);
      }
      for (const [slot, data] of Object.entries(r.state)) {
        const key = stateInputName(name, slot);
        const t = this.optimizerState.get(key)!;
        if (t.data !== data) this.optimizerState.set(key, { ...t, data });
      }
    });
    return gradNorm;
  }

  /**
   * Runs `exe`; with device-resident training, feeds the device values of `residentNames`
   * and leaves the outputs compiled with `keepOnDevice` on the device (as DeviceTensors).
   */
  private async runStep(
    exe: Executable,
    feeds: Record<string, HostTensor>,
    residentNames: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    if (this.device === undefined) return exe.run(feeds);
    if (exe.runWithDevice === undefined) {
      throw new TunekitError(
        "BACKEND_EXECUTION",
        `TrainStepRunner: backend ${this.options.backend.name} says it keeps values on its device but its executable has no runWithDevice`,
      );
    }
    const fed: Record<string, HostTensor | DeviceTensor> = { ...feeds };
    for (const name of residentNames) fed[name] = this.device.feed(name, feeds[name]!);
    // Outputs compiled with keepOnDevice are DeviceTensors; callers tell them apart with isDevice.
    return (await exe.runWithDevice(fed)) as Record<string, HostTensor>;
  }

  /** Stores a new state or accumulator value: on the device when it is a DeviceTensor. */
  private keep(name: string, value: HostTensor, hostMap: Map<string, HostTensor>): void {
    if (isDevice(value)) this.device!.set(name, value, hostMap.get(name));
    else hostMap.set(name, value);
  }

  /** The parameter's value as this runner's own copy (made once, and again if replaced from outside). */
  private ownValue(p: TrainableParameterLike): HostTensor {
    if (this.privateValues.get(p.name) !== p.value) {
      p.value = copyTensor(p.value);
      this.privateValues.set(p.name, p.value);
    }
    return p.value;
  }

  private enter(): void {
    if (this.busy) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        "TrainStepRunner.step: a step is already running; await each step before starting the next",
      );
    }
    this.busy = true;
  }

  private compileTrain(
    specs: Record<string, InputSpec>,
    phase: "update" | "accumulate",
  ): Promise<CompiledTrainStep> {
    return compileTrainStep(this.options, specs, phase, {
      accumulation: this.accumulation,
      keepOnDevice: this.device !== undefined,
    });
  }

  private compileEval(
    specs: Record<string, InputSpec>,
    outputs: readonly string[] | undefined,
  ): Promise<CompiledEvalStep> {
    return compileEvalStep(this.options, specs, outputs, new Set(this.trainable.map((p) => p.name)));
  }
}
