import { join } from "node:path";
import { type HostTensor, hostTensor, loadBertCheckpoint, readSafetensorsFile } from "@tunekit/core";
import { traceForward } from "@tunekit/core/models";
import { afterAll, describe, expect, it } from "vitest";
import { testBackend } from "../onnx.test-helpers.js";
import { exportOnnx } from "./export-onnx.js";
import { loadOnnxInference, type OnnxInference } from "./onnx-inference.js";

// The exporter knows no architecture: RoBERTa (positions counted from the ids), XLM-RoBERTa,
// DistilBERT (no token types) and ELECTRA (embedding projection) export from the same traced
// forward. Each export must give the PyTorch logits of the parity fixture (float64 reference
// stored as float32) and, at a size it was never traced at, the backend's logits.
const FIXTURES = join(import.meta.dirname, "../../../../fixtures/parity");
const CASES = [
  { folder: "roberta-2l-h24-3labels-b3-seq9", tokenTypes: true, vocab: 60 },
  { folder: "xlm-roberta-1l-h16-2labels-b2-seq7", tokenTypes: true, vocab: 40 },
  { folder: "distilbert-2l-h24-3labels-b3-seq9", tokenTypes: false, vocab: 60 },
  { folder: "electra-2l-h32-e16-3labels-b3-seq9", tokenTypes: true, vocab: 60 },
];

const maxAbs = (a: HostTensor, b: HostTensor): number =>
  Array.from(a.data).reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

const sessions: OnnxInference[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
});

describe("exportOnnx on other encoders", () => {
  for (const c of CASES) {
    it(`${c.folder}: PyTorch's logits (1e-4) and the backend's at an untraced size (1e-5)`, async () => {
      const dir = join(FIXTURES, c.folder);
      const { model } = await loadBertCheckpoint(dir, { task: "sequence-classification" });
      // RoBERTa's positions start after padding_idx: a 13-row table takes 11 tokens
      const { maxPositionEmbeddings, modelType, padTokenId } = model.config;
      const offset = modelType === "roberta" || modelType === "xlm-roberta" ? (padTokenId ?? 1) + 1 : 0;
      const out = exportOnnx((b, s) => traceForward(model, { batchSize: b, seqLength: s }).graph, {
        maxSequenceLength: maxPositionEmbeddings - offset,
      });
      const names = ["input_ids", "attention_mask", ...(c.tokenTypes ? ["token_type_ids"] : [])];
      expect(out.inputs.map((i) => i.name)).toEqual(names);
      const m = await loadOnnxInference(out.model, { threads: 1 });
      sessions.push(m);

      const { tensors } = await readSafetensorsFile(join(dir, "reference.safetensors"));
      const ids = tensors.get("input_ids")!;
      const feeds: Record<string, HostTensor> = {
        input_ids: ids,
        attention_mask: tensors.get("attention_mask")!,
        token_type_ids:
          tensors.get("token_type_ids") ?? hostTensor("int32", ids.shape, new Int32Array(ids.data.length)),
      };
      const logits = (await m.run(feeds)).logits!;
      expect(logits.shape).toEqual(tensors.get("logits")!.shape);
      expect(maxAbs(logits, tensors.get("logits")!)).toBeLessThan(1e-4);

      const [b, s] = [2, Math.min(12, maxPositionEmbeddings - offset)];
      const fresh = Int32Array.from({ length: b * s }, (_, k) => 3 + ((k * 7) % (c.vocab - 3)));
      const mask = Int32Array.from({ length: b * s }, (_, k) => (k >= s && k % s >= s - 3 ? 0 : 1)); // row 2 padded
      const other: Record<string, HostTensor> = {
        input_ids: hostTensor("int32", [b, s], fresh),
        attention_mask: hostTensor("int32", [b, s], mask),
        token_type_ids: hostTensor("int32", [b, s], new Int32Array(b * s)),
      };
      const { graph } = traceForward(model, { batchSize: b, seqLength: s });
      const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
      const exe = await (await testBackend()).compile(graph, { constants });
      const want = (await exe.run(other)).logits!;
      exe.dispose();
      expect(maxAbs((await m.run(other)).logits!, want)).toBeLessThan(1e-5);
    });
  }
});
