import { committedParityFixtureFolders, describeParity } from "@tunekit/core/testing";
import { createTfjsBackend } from "./tfjs-backend.js";

// PyTorch parity on tfjs-wasm for the committed fixtures of other shapes (fixtures/parity).
describeParity(
  "tfjs-wasm",
  () => createTfjsBackend({ engine: "wasm", log: () => {} }),
  committedParityFixtureFolders(),
);
