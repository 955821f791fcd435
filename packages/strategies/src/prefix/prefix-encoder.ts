import { Embedding, Linear, Module, type Tensor } from "@tunekit/core";
import { type Graph, tanh } from "@tunekit/core/ir";
import { mulberry32 } from "@tunekit/core/data";

/**
 * Sizes of a {@link PrefixEncoder}.
 *
 * @example
 * ```ts
 * const o: PrefixEncoderOptions = { numVirtualTokens: 20, numLayers: 12, tokenDim: 768, projection: true, encoderHiddenSize: 512 };
 * ```
 */
export interface PrefixEncoderOptions {
  readonly numVirtualTokens: number;
  readonly numLayers: number;
  /** The model's hidden size (PEFT's `token_dim`). */
  readonly tokenDim: number;
  /** Use the MLP re-parameterisation (PEFT's `prefix_projection`). */
  readonly projection: boolean;
  /** Width of the MLP's hidden layer (PEFT's `encoder_hidden_size`). */
  readonly encoderHiddenSize: number;
  /** Std of the normal init of the embedding (default 1, as `torch.nn.Embedding`). */
  readonly initStd?: number;
  readonly seed?: number;
}

/** `transform.0` (Linear) → tanh → `transform.2` (Linear), PEFT's `Sequential` names. */
class PrefixTransform extends Module {
  constructor(tokenDim: number, hidden: number, out: number, seed: number) {
    super();
    const rng = mulberry32(seed);
    // variance of torch's default Linear init U(-1/sqrt(in), 1/sqrt(in)); biases start at zero
    this.registerModule("0", new Linear(tokenDim, hidden, { rng, std: 1 / Math.sqrt(3 * tokenDim) }));
    this.registerModule("2", new Linear(hidden, out, { rng, std: 1 / Math.sqrt(3 * hidden) }));
  }

  forward(x: Tensor): Tensor {
    return this.child<Linear>("2").forward(tanh(this.child<Linear>("0").forward(x)));
  }
}

/**
 * PEFT's `PrefixEncoder`: the table of every layer's prefix keys and values,
 * `[numVirtualTokens, numLayers · 2 · tokenDim]`. Without projection it is the parameter
 * `embedding.weight` itself; with projection (Li & Liang's re-parameterisation) it is
 * `transform(embedding.weight)` with `embedding.weight [P, tokenDim]` and `transform` =
 * `Linear(tokenDim, encoderHiddenSize)` → tanh → `Linear(encoderHiddenSize, L·2·tokenDim)`
 * (`transform.0.*`, `transform.2.*`). Row layout of the table, as PEFT reshapes it:
 * `[layer][key|value][head][headDim]`.
 *
 * @example
 * ```ts
 * const enc = new PrefixEncoder({ numVirtualTokens: 10, numLayers: 12, tokenDim: 768, projection: false, encoderHiddenSize: 768 });
 * const table = enc.forward(graph); // [10, 12 * 2 * 768]
 * ```
 */
export class PrefixEncoder extends Module {
  readonly numVirtualTokens: number;
  readonly numLayers: number;
  readonly tokenDim: number;
  readonly projection: boolean;
  readonly encoderHiddenSize: number;

  constructor(options: PrefixEncoderOptions) {
    super();
    this.numVirtualTokens = options.numVirtualTokens;
    this.numLayers = options.numLayers;
    this.tokenDim = options.tokenDim;
    this.projection = options.projection;
    this.encoderHiddenSize = options.encoderHiddenSize;
    const seed = options.seed ?? 0;
    const width = options.projection ? options.tokenDim : options.numLayers * 2 * options.tokenDim;
    this.registerModule(
      "embedding",
      new Embedding(options.numVirtualTokens, width, { rng: mulberry32(seed), std: options.initStd ?? 1 }),
    );
    if (options.projection) {
      this.registerModule(
        "transform",
        new PrefixTransform(
          options.tokenDim,
          options.encoderHiddenSize,
          options.numLayers * 2 * options.tokenDim,
          seed + 1,
        ),
      );
    }
  }

  /** Width of the output table (`numLayers · 2 · tokenDim`). */
  get outputWidth(): number {
    return this.numLayers * 2 * this.tokenDim;
  }

  /** The prefix table `[P, L · 2 · tokenDim]` in `graph`. */
  forward(graph: Graph): Tensor {
    const table = graph.param(this.child<Embedding>("embedding").weight);
    return this.projection ? this.child<PrefixTransform>("transform").forward(table) : table;
  }
}
