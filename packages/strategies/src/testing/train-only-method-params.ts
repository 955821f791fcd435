import {
  adamw,
  type Backend,
  createReferenceBackend,
  type HostTensor,
  type Module,
  type Parameter,
  type TrainerModel,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";
import { expect } from "vitest";

/**
 * Options of {@link expectOnlyMethodParamsTrain}.
 *
 * @example
 * ```ts
 * const o: TrainOnlyMethodParamsOptions = { batch: probeBatch(), steps: 5, lr: 0.05, trained: (p) => p.startsWith("classifier.") };
 * ```
 */
export interface TrainOnlyMethodParamsOptions {
  /** Paths (in the adapted model) that the method trains; every other parameter must stay frozen. */
  readonly trained: (path: string) => boolean;
  /** The training batch (`input_ids`, `attention_mask`, `token_type_ids`, `labels`). */
  readonly batch: Record<string, HostTensor>;
  /** The model the strategy was applied to: its parameters must come out bit-identical. */
  readonly base?: Module;
  /** AdamW steps to take (at least 2, so the loss can be seen to fall). */
  readonly steps: number;
  readonly lr: number;
  /** AdamW weight decay (default 0). */
  readonly weightDecay?: number;
  /** Backend that runs the steps (default: a fresh float64 reference backend). */
  readonly backend?: Backend;
}

/**
 * What {@link expectOnlyMethodParamsTrain} saw, for extra assertions by the caller.
 *
 * @example
 * ```ts
 * const { changed } = await expectOnlyMethodParamsTrain(adapted, options);
 * expect(changed).toHaveLength(7);
 * ```
 */
export interface TrainOnlyMethodParamsResult {
  /** Loss of each step, in order. */
  readonly losses: number[];
  /** Paths whose values changed (exactly the paths `trained` selects), in model order. */
  readonly changed: string[];
}

/** A parameter's tensor and a copy of its bytes, to detect both replacement and in-place writes. */
interface Snapshot {
  readonly parameter: Parameter;
  readonly value: HostTensor;
  readonly bytes: Uint8Array;
}

function snapshot(model: Module): Map<string, Snapshot> {
  return new Map(
    model
      .namedParameters()
      .map(([path, p]) => [path, { parameter: p, value: p.value, bytes: bytesOf(p.value) }]),
  );
}

function bytesOf(t: HostTensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
}

function sameBits(t: HostTensor, bytes: Uint8Array): boolean {
  const now = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return now.length === bytes.length && now.every((b, i) => b === bytes[i]);
}

/**
 * Test support (not exported from the package): trains `adapted` for `steps` AdamW steps with
 * {@link TrainStepRunner} and asserts that the method trains exactly its own parameters: the
 * loss falls; every parameter `trained` selects is trainable and changed; every other one is
 * frozen and keeps the same tensor with bit-identical bytes; and, when `base` is given, the
 * base model keeps the same parameter objects with bit-identical values (the strategy did not
 * write through to the model it was applied to).
 *
 * @example
 * ```ts
 * const base = tinyBert(2);
 * const { changed } = await expectOnlyMethodParamsTrain(lora({ r: 2 }).apply(base), {
 *   base, batch: probeBatch(), steps: 3, lr: 0.02, trained: (p) => /lora_|^classifier\./.test(p),
 * });
 * ```
 */
export async function expectOnlyMethodParamsTrain(
  adapted: Module & TrainerModel,
  options: TrainOnlyMethodParamsOptions,
): Promise<TrainOnlyMethodParamsResult> {
  const { trained, batch, base, steps, lr } = options;
  expect(steps, "steps").toBeGreaterThanOrEqual(2);
  const baseBefore = base === undefined ? undefined : snapshot(base);
  const before = snapshot(adapted);
  const runner = new TrainStepRunner({
    backend: options.backend ?? createReferenceBackend(),
    params: adapted.parameters(),
    forward: trainerForward(adapted),
    optimizer: adamw({ weightDecay: options.weightDecay ?? 0 }),
  });
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) losses.push((await runner.step(batch, { lr })).loss);
  } finally {
    await runner.dispose();
  }
  expect(losses.every(Number.isFinite), `losses ${losses}`).toBe(true);
  expect(losses[steps - 1]!, `losses ${losses}`).toBeLessThan(losses[0]!);

  const changed: string[] = [];
  for (const [path, p] of adapted.namedParameters()) {
    const was = before.get(path);
    expect(was, `${path} appeared during training`).toBeDefined();
    const want = trained(path);
    expect(p.trainable, `${path} trainable`).toBe(want);
    const moved = !sameBits(p.value, was!.bytes);
    if (moved) changed.push(path);
    expect(moved, `${path} changed`).toBe(want);
    if (!want) expect(p.value, `${path} kept its tensor`).toBe(was!.value);
  }
  expect(adapted.namedParameters().length, "parameter count").toBe(before.size);
  expect(changed.length, "the method trained something").toBeGreaterThan(0);

  if (base !== undefined && baseBefore !== undefined) {
    for (const [path, was] of baseBefore) {
      expect(base.getParameter(path), `base ${path} object`).toBe(was.parameter);
      expect(was.parameter.value, `base ${path} tensor`).toBe(was.value);
      expect(sameBits(was.parameter.value, was.bytes), `base ${path} bits`).toBe(true);
    }
    expect(base.namedParameters().length, "base parameter count").toBe(baseBefore.size);
  }
  return { losses, changed };
}
