import type { ParameterLike } from "../ir/graph.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/**
 * A model weight: its full Hugging Face path (`name`), its current value on the host and
 * whether training updates it. Modules share `Parameter` objects instead of copying them,
 * so a wrapper (e.g. LoRA around a `Linear`) that registers the same object sees every
 * update. `name` is set from the module tree when the module is attached to a parent;
 * `value` is replaced after each optimizer step.
 *
 * @example
 * ```ts
 * const bias = new Parameter("bias", hostTensor("float32", [2]));
 * bias.trainable = false;
 * ```
 */
export class Parameter implements ParameterLike {
  /** Full path in the model (`bert.encoder.layer.0.attention.self.query.weight`). */
  name: string;
  /** Current value; replace it (do not mutate shared arrays) after an update. */
  value: HostTensor;
  /** Whether gradients and optimizer updates are computed for this parameter. */
  trainable: boolean;

  constructor(name: string, value: HostTensor, options: { trainable?: boolean } = {}) {
    this.name = name;
    this.value = value;
    this.trainable = options.trainable ?? true;
  }

  /** Shape of the current value. */
  get shape(): readonly number[] {
    return this.value.shape;
  }

  toString(): string {
    return `Parameter(${this.name}, ${this.value.dtype}[${this.value.shape.join(", ")}]${this.trainable ? "" : ", frozen"})`;
  }
}
