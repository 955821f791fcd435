import { describeBackendConformance } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// The shared suite: every IR op (forward, edge cases, fused vs decomposed composites, dropout
// statistics and seeding) and every VJP, against core's float64 reference backend.
describeBackendConformance("onnx-cpu", () => createOnnxBackend({ intraOpNumThreads: 1 }));

// The same suite with ONNX Dropout masks: onnxruntime's generator is seeded by an attribute
// and advances on every run, so the graph's seed input does not select the mask.
// ("same-seed-same-mask" passes only because each of its runs compiles afresh, and a fresh
// session replays the generator from its attribute seed.)
describeBackendConformance(
  "onnx-cpu (dropout: onnx)",
  () => createOnnxBackend({ intraOpNumThreads: 1, dropout: "onnx" }),
  {
    skip: [
      {
        case: "dropoutMask/different-seed-different-mask",
        reason:
          'dropout "onnx" draws from onnxruntime\'s attribute-seeded generator and ignores the seed input',
      },
    ],
  },
);
