import { describeParity } from "@tunekit/core/testing";
import { createTfjsBackend } from "./tfjs-backend.js";

// PyTorch parity (issue 2, item 9) on TF.js: wasm is the engine Node picks without tfjs-node.
describeParity("tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} }));
