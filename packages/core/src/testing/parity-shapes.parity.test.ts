import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { describeParity } from "./parity.js";
import { committedParityFixtureFolders } from "./parity-fixtures.js";

// PyTorch parity of the float64 reference backend on the committed fixtures of other shapes
// (fixtures/parity: 3 layers / odd length / 2 labels and 1 layer / 5 labels / batch 3).
const folders = committedParityFixtureFolders();
describe("committed parity fixtures", () => {
  it("fixtures/parity holds the fixtures its README lists", () => {
    expect(folders.map((f) => f.split("/").pop())).toEqual([
      "bert-1l-h16-5labels-b3-seq7",
      "bert-3l-h24-seq13-2labels",
    ]);
  });
});
describeParity("reference", () => createReferenceBackend(), folders);
