import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../data/random.js";
import { readSafetensorsHeader } from "../../io/safetensors.js";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../../testing/hostile-input.js";
import { findRepoRoot } from "../../testing/parity-fixtures.js";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { stateDict } from "../../modules/state-dict.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import { loadBertCheckpoint } from "./checkpoint.js";
import { traceForward } from "./trace-forward.js";

// Hostile model folders (config.json + model.safetensors): loading builds the model or
// fails with a typed error, each case within 1 s of CPU; never a RangeError or TypeError.
const CODES = ["CONFIG_INVALID", "CHECKPOINT_MISMATCH", "SAFETENSORS_INVALID"] as const;
const FIXTURE = join(findRepoRoot()!, "../shared/reference/bert-tiny-parity");

let dir = "";
let config: Record<string, unknown>;
let weights: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-ckpt-fuzz-"));
  config = JSON.parse(await readFile(join(FIXTURE, "config.json"), "utf8"));
  weights = new Uint8Array(await readFile(join(FIXTURE, "model.safetensors")));
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeFile(join(dir, "model.safetensors"), weights);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = () => loadBertCheckpoint(dir, { task: "sequence-classification" });

/** Loads, then traces and runs a forward pass with loss on the reference backend. */
async function loadAndRun(): Promise<void> {
  const { model } = await load();
  const { graph } = traceForward(model, { batchSize: 2, seqLength: 5, labels: true });
  const backend = createReferenceBackend();
  const exe = await backend.compile(graph, { constants: stateDict(model) });
  const ids = hostTensor("int32", [2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
  const mask = hostTensor("int32", [2, 5], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  const labelsId = graph.inputs.get("labels");
  const labelsInput = labelsId === undefined ? undefined : graph.nodes[labelsId];
  const labels =
    labelsInput?.dtype === "float32"
      ? hostTensor(
          "float32",
          labelsInput.shape,
          new Float32Array(labelsInput.shape.reduce((a, b) => a * b, 1)),
        )
      : hostTensor("int32", [2], [0, 1 % model.numLabels]);
  const out = await exe.run({
    input_ids: ids,
    attention_mask: mask,
    token_type_ids: hostTensor("int32", [2, 5]),
    labels,
  });
  exe.dispose();
  expect(out.logits?.shape).toEqual([2, model.numLabels]);
}

describe("BERT checkpoint folders under hostile input", () => {
  it("200 seeded structural mutations of config.json: loads and runs a forward pass, or a typed error", async () => {
    const rng = mulberry32(8);
    const outcomes: HostileOutcome[] = [];
    for (let i = 0; i < 200; i++) {
      const { doc, path } = mutateJson(config, rng);
      await writeFile(join(dir, "config.json"), JSON.stringify(doc));
      outcomes.push(await runHostileCase(`case ${i}: ${path}`, loadAndRun, { codes: CODES }));
    }
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    expect(outcomes.filter((o) => o !== "ok").length).toBeGreaterThan(50);
    expect(outcomes.filter((o) => o === "ok").length).toBeGreaterThan(10);
  });

  it("valid configs of other sizes than the weights are CHECKPOINT_MISMATCH", async () => {
    const sizes: Record<string, unknown>[] = [
      { hidden_size: 16, num_attention_heads: 4 },
      { num_hidden_layers: 3 },
      { num_hidden_layers: 1 },
      { intermediate_size: 65 },
      { vocab_size: 65 },
      { max_position_embeddings: 512 },
      { type_vocab_size: 1 },
      { id2label: { "0": "a", "1": "b" }, label2id: { a: 0, b: 1 } },
    ];
    for (const change of sizes) {
      await writeFile(join(dir, "config.json"), JSON.stringify({ ...config, ...change }));
      const label = JSON.stringify(change);
      expect(await runHostileCase(label, load, { codes: CODES }), label).toBe("CHECKPOINT_MISMATCH");
    }
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
  });

  it("200 seeded mutations of the safetensors header: loads or a typed error", async () => {
    const { dataStart } = readSafetensorsHeader(weights);
    const header = weights.subarray(8, dataStart);
    const data = weights.subarray(dataStart);
    for (const { bytes: h, what } of mutations(header, 200, 123)) {
      const file = new Uint8Array(8 + h.length + data.length);
      new DataView(file.buffer).setBigUint64(0, BigInt(h.length), true);
      file.set(h, 8);
      file.set(data, 8 + h.length);
      await writeFile(join(dir, "model.safetensors"), file);
      await runHostileCase(what, load, { codes: CODES });
    }
    await writeFile(join(dir, "model.safetensors"), weights);
    expect(await runHostileCase("restored", load, { codes: CODES })).toBe("ok");
  });
});
