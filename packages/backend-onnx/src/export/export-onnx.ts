import { TunekitError } from "@tunekit/core";
import type { Graph } from "@tunekit/core/ir";
import { type DynamicAxisNames, DEFAULT_AXIS_NAMES, type ExportIO, lowerSymbolic } from "./lower-symbolic.js";
import { type QuantizeReport, quantizeMatMulWeights } from "./quantize-int8.js";
import { traceSymbolic } from "./symbolic-dims.js";

/**
 * Options of {@link exportOnnx}.
 *
 * @example
 * ```ts
 * const o: OnnxExportOptions = { quantize: "int8" };
 * ```
 */
export interface OnnxExportOptions {
  /** Also build a copy whose linear layers run in int8 (dynamic quantisation). */
  readonly quantize?: "int8" | undefined;
  /** Names of the dynamic axes (default `batch_size`, `sequence_length`). */
  readonly axisNames?: DynamicAxisNames | undefined;
  /**
   * The most tokens the model takes (its position table's usable length): the traces stay
   * within it (default: lengths up to 13).
   */
  readonly maxSequenceLength?: number | undefined;
}

/**
 * An exported inference model: ONNX bytes with dynamic batch and sequence axes, its inputs
 * and outputs, and the int8 copy when one was asked for.
 *
 * @example
 * ```ts
 * const { model, inputs } = exportOnnx(traceFn);
 * inputs.map((i) => i.name); // ["input_ids", "attention_mask", "token_type_ids"]
 * ```
 */
export interface OnnxExport {
  readonly model: Uint8Array;
  readonly inputs: readonly ExportIO[];
  readonly outputs: readonly ExportIO[];
  /** ONNX nodes of `model`. */
  readonly nodeCount: number;
  readonly quantized?: { readonly model: Uint8Array; readonly report: QuantizeReport };
}

/**
 * The most bytes of weights one ONNX file can hold: protobuf messages stop at 2 GiB, and the
 * graph needs some room besides the initializers.
 *
 * @example
 * ```ts
 * checkSingleFileSize(440e6); // fine: BERT-base
 * ```
 */
export const ONNX_SINGLE_FILE_LIMIT = 2 ** 31 - 2 ** 24;

/**
 * Refuses weights that do not fit one ONNX file ({@link ONNX_SINGLE_FILE_LIMIT}) with a
 * `NOT_IMPLEMENTED` error saying how large they are and what would be needed.
 *
 * @example
 * ```ts
 * checkSingleFileSize(3e9); // throws: 3.00 GB of weights
 * ```
 */
export function checkSingleFileSize(weightBytes: number): void {
  if (weightBytes <= ONNX_SINGLE_FILE_LIMIT) return;
  throw new TunekitError(
    "NOT_IMPLEMENTED",
    `the model's weights take ${(weightBytes / 1e9).toFixed(2)} GB; one ONNX file holds at most ${(ONNX_SINGLE_FILE_LIMIT / 1e9).toFixed(2)} GB ` +
      "(protobuf's 2 GiB limit), and tunekit does not write ONNX external data files yet (models up to about 500 M float32 parameters export)",
  );
}

/**
 * Exports a forward pass to ONNX with dynamic axes. `trace(batch, seq)` must build the
 * forward graph (inference mode: no dropout, no loss) for inputs of `batch` rows of `seq`
 * tokens; it is called at seven sizes (`probeSizes`) and the graphs are read as one graph whose reshapes,
 * broadcasts and slices take their sizes from the inputs' shapes at run time (see
 * `traceSymbolic`, `lowerSymbolic`). Parameters become initializers under their own names,
 * int32 inputs are int64 in the model (the Hugging Face convention), and the graph's output
 * names are kept. Any architecture whose forward is traced this way exports; nothing here
 * knows BERT.
 *
 * @example
 * ```ts
 * const out = exportOnnx((batch, seq) => traceForward(model, { batchSize: batch, seqLength: seq }).graph);
 * await writeFile("onnx/model.onnx", out.model);
 * ```
 */
export function exportOnnx(
  trace: (batch: number, seq: number) => Graph,
  options: OnnxExportOptions = {},
): OnnxExport {
  const sym = traceSymbolic(trace, options.maxSequenceLength);
  const lowered = lowerSymbolic(sym, options.axisNames ?? DEFAULT_AXIS_NAMES);
  checkSingleFileSize(lowered.builder.initializers.reduce((n, t) => n + t.raw.byteLength, 0));
  const model = lowered.builder.toBytes("tunekit-export");
  const nodeCount = lowered.builder.nodes.length;
  const base = { model, inputs: lowered.inputs, outputs: lowered.outputs, nodeCount };
  if (options.quantize !== "int8") return base;
  const report = quantizeMatMulWeights(lowered.builder);
  return { ...base, quantized: { model: lowered.builder.toBytes("tunekit-export-int8"), report } };
}
