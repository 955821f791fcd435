import { describeMultiTaskTraining } from "@tunekit/core/testing";
import { createTfjsBackend } from "./tfjs-backend.js";

describeMultiTaskTraining("TF.js (wasm)", () => createTfjsBackend({ engine: "wasm", log: () => {} }));
