import { createReferenceBackend } from "../backend/reference-backend.js";
import { describeParity } from "./parity.js";

// PyTorch parity of the float64 reference backend on every folder of PARITY_FIXTURES.
describeParity("reference", () => createReferenceBackend());
