import type { ConformanceCase } from "./conformance-case.js";
import { DECODER_CASES } from "./conformance-cases-decoder.js";
import { ELEMENTWISE_CASES } from "./conformance-cases-elementwise.js";
import { LAYOUT_CASES } from "./conformance-cases-layout.js";
import { LEAF_CASES } from "./conformance-cases-leaves.js";
import { NN_CASES } from "./conformance-cases-nn.js";

/**
 * Every forward conformance case (leaves, elementwise, layout, matmul, indexing,
 * composites, fused-vs-decomposed, the decoder's blocks), by unique name. Backends list or skip cases by name.
 *
 * @example
 * ```ts
 * conformanceCases.map((c) => c.name).filter((n) => n.startsWith("matmul/"));
 * ```
 */
export const conformanceCases: readonly ConformanceCase[] = [
  ...LEAF_CASES,
  ...ELEMENTWISE_CASES,
  ...LAYOUT_CASES,
  ...NN_CASES,
  ...DECODER_CASES,
];
