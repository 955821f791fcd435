import { createReferenceBackend } from "../backend/reference-backend.js";
import { describeGenerationParity } from "../testing/describe-generation.js";

describeGenerationParity("reference", () => createReferenceBackend());
