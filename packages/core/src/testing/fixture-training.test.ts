import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import { worstRelativeLossDifference } from "./describe-fixture-training.js";
import { parityFixtureBatches, trainParityFixture } from "./fixture-training.js";
import { committedParityFixtureFolders, findRepoRoot, parityFixtureFolders } from "./parity-fixtures.js";

const folder = parityFixtureFolders(undefined)[0]!;

describe("parity fixture training helpers", () => {
  it("the second batch is the first one reversed, ids shifted within the vocabulary, padding kept", async () => {
    const [a, b] = await parityFixtureBatches(folder, 64, 3);
    expect(b.input_ids!.shape).toEqual(a.input_ids!.shape);
    const [rows, cols] = a.input_ids!.shape as [number, number];
    for (let r = 0; r < rows; r++) {
      const src = rows - 1 - r;
      expect(b.labels!.data[r]).toBe((a.labels!.data[src]! + 1) % 3);
      for (let c = 0; c < cols; c++) {
        const id = a.input_ids!.data[src * cols + c]!;
        const shifted = b.input_ids!.data[r * cols + c]!;
        expect(b.attention_mask!.data[r * cols + c]).toBe(a.attention_mask!.data[src * cols + c]);
        if (id === 0) expect(shifted).toBe(0);
        else {
          expect(shifted).toBeGreaterThanOrEqual(1);
          expect(shifted).toBeLessThan(64);
          expect(shifted).not.toBe(id);
        }
      }
    }
  });

  it("the first training loss on the reference backend is PyTorch's fixture loss, and it goes down", async () => {
    const { losses, finalValues } = await trainParityFixture(folder, createReferenceBackend(), {
      steps: 4,
      lr: 1e-3,
    });
    // bert-tiny-parity/reference.safetensors `loss` (float32 of PyTorch's float64 value).
    expect(Math.abs(losses[0]! - 1.1018182039260864)).toBeLessThan(1e-6);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    expect(losses[3]!).toBeLessThan(losses[1]!);
    expect(finalValues.get("classifier.bias")?.shape).toEqual([3]);
  });

  it("worstRelativeLossDifference finds the worst step; NaN and length mismatches are infinite", () => {
    expect(worstRelativeLossDifference([1, 0.5, 0.75], [1, 0.5, 0.5])).toEqual({ worst: 0.5, step: 2 });
    expect(worstRelativeLossDifference([1, Number.NaN], [1, 1]).worst).toBe(Number.POSITIVE_INFINITY);
    expect(worstRelativeLossDifference([1], [1, 1]).worst).toBe(Number.POSITIVE_INFINITY);
  });

  it("committedParityFixtureFolders lists fixtures/parity/* with a reference, none without a root", () => {
    const found = committedParityFixtureFolders();
    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const f of found) expect(f.startsWith(`${findRepoRoot()}/fixtures/parity/`)).toBe(true);
    expect(committedParityFixtureFolders("/nonexistent-root")).toEqual([]);
  });

  it("decoder fixtures: the second batch's labels are its own ids, -100 kept; training starts at PyTorch's loss", async () => {
    const qwen = join(findRepoRoot()!, "fixtures/parity/qwen2-2l-h24-kv2-tied-b3-seq11");
    const [a, b] = await parityFixtureBatches(qwen, 80, 0);
    expect(Object.keys(b).sort()).toEqual(["attention_mask", "input_ids", "labels"]);
    const [rows, cols] = a.input_ids!.shape as [number, number];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const src = a.labels!.data[(rows - 1 - r) * cols + c]!;
        const i = r * cols + c;
        expect(b.labels!.data[i]).toBe(src === -100 ? -100 : b.input_ids!.data[i]);
      }
    }
    const { losses } = await trainParityFixture(qwen, createReferenceBackend(), { steps: 3, lr: 1e-2 });
    const { tensors } = await readSafetensorsFile(join(qwen, "reference.safetensors"));
    expect(Math.abs(losses[0]! - tensors.get("loss")!.data[0]!)).toBeLessThan(1e-5);
    expect(losses[2]!).toBeLessThan(losses[0]!);
  });

  it("the GPT-2 fixture trains through the same path: it starts at transformers' loss and falls", async () => {
    const gpt2 = join(findRepoRoot()!, "fixtures/parity/gpt2-2l-h24-b3-seq9");
    const { losses } = await trainParityFixture(gpt2, createReferenceBackend(), { steps: 3, lr: 1e-2 });
    const { tensors } = await readSafetensorsFile(join(gpt2, "reference.safetensors"));
    expect(Math.abs(losses[0]! - tensors.get("loss")!.data[0]!)).toBeLessThan(1e-5);
    expect(losses[2]!).toBeLessThan(losses[0]!);
  });
});
