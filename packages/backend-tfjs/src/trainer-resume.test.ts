import { describeTrainerResume } from "@tunekit/core/testing";
import { createTfjsBackend } from "./tfjs-backend.js";

// The Trainer's bit-exact resume on TF.js (wasm) (shared test in core/testing).
describeTrainerResume("TF.js (wasm)", () => createTfjsBackend({ engine: "wasm", log: () => {} }));
