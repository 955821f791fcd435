import { describeGenerationParity } from "@tunekit/core/testing";
import { createTfjsBackend } from "./tfjs-backend.js";

describeGenerationParity("TF.js (wasm)", () => createTfjsBackend({ engine: "wasm", log: () => {} }));
