import { TunekitError } from "../errors.js";
import type { Tensor } from "../ir/graph.js";
import { gather } from "../ir/ops.js";
import { type InitOptions, normalTensor, resolveInit } from "./init.js";
import { Layer } from "./module.js";
import { Parameter } from "./parameter.js";

/**
 * Lookup table `weight [num, dim]`; `forward(ids int32 [...])` -> `[..., dim]`. Init
 * normal(0, std) with the `paddingIdx` row zeroed, like Hugging Face.
 *
 * @example
 * ```ts
 * const words = new Embedding(30522, 768, { paddingIdx: 0 });
 * const x = words.forward(inputIds); // [B, S, 768]
 * ```
 */
export class Embedding extends Layer {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    options: InitOptions & { paddingIdx?: number | undefined } = {},
  ) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const { rng, std } = resolveInit(options);
    const w = normalTensor([numEmbeddings, embeddingDim], rng, std);
    const pad = options.paddingIdx;
    if (pad !== undefined && pad >= 0 && pad < numEmbeddings) {
      w.data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    }
    this.registerParameter("weight", new Parameter("weight", w));
  }

  /** The table parameter `[num, dim]`. */
  get weight(): Parameter {
    return this.param("weight");
  }

  forward(ids: Tensor): Tensor {
    if (ids.dtype !== "int32") {
      throw new TunekitError(
        "DTYPE_MISMATCH",
        `Embedding(${this.weight.name}): ids must be int32, got ${ids.dtype}; cast them with cast(ids, "int32")`,
      );
    }
    return gather(ids.graph.param(this.weight), ids);
  }
}
