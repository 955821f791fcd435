import { describeBackendConformance } from "@tunekit/core/testing";
import { createTfjsBackend } from "./index.js";

// Every forward and VJP case of core's conformance suite runs against the float64 reference
// on both engines available without tfjs-node. Nothing is skipped: every op of ALL_OPS has a
// kernel on wasm and cpu (see README "Op notes" for the TF.js gaps worked around). Only
// tfjs-node ("tensorflow") is not covered here, since it cannot be installed in this repo.
describeBackendConformance("tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} }));
describeBackendConformance("tfjs-cpu", () => createTfjsBackend({ engine: "cpu", log: () => {} }));
