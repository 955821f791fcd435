import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  createReferenceBackend,
  type HostTensor,
  hostTensor,
  isTunekitError,
  type Module,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { lora } from "../lora/lora.js";
import { probeOutput } from "../merge.js";
import { saveAdapter } from "../peft/save-adapter.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { loadAdapters, MultiAdapterModel, traceMixedForward } from "./multi-adapter-model.js";

const backend = createReferenceBackend();

function row(batch: Record<string, HostTensor>, i: number): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const k of ["input_ids", "attention_mask", "token_type_ids"]) {
    const t = batch[k]!;
    const s = t.shape[1]!;
    out[k] = hostTensor("int32", [1, s], (t.data as Int32Array).slice(i * s, (i + 1) * s));
  }
  return out;
}

async function threeAdapters(): Promise<{
  base: ReturnType<typeof tinyBert>;
  dirs: Record<string, string>;
  adapted: Record<string, Module>;
}> {
  const base = tinyBert(4);
  const strategies = {
    qv: lora({ r: 4, alpha: 8 }),
    dense: lora({ r: 2, alpha: 2, targetModules: ["query", "key", "dense"], layersToTransform: [1] }),
    rs: lora({ r: 3, alpha: 6, useRslora: true, targetModules: ["value"], modulesToSave: [] }),
  };
  const dirs: Record<string, string> = {};
  const adapted: Record<string, Module> = {};
  let seed = 20;
  for (const [name, s] of Object.entries(strategies)) {
    const m = s.apply(base);
    randomizeParameters(m, /lora_B|classifier/, seed++, 0.8);
    dirs[name] = await mkdtemp(join(tmpdir(), `tunekit-multi-${name}-`));
    await saveAdapter(m, dirs[name]!);
    adapted[name] = m;
  }
  return { base, dirs, adapted };
}

describe("MultiAdapterModel", () => {
  it("loads adapters under names; setActiveAdapter(name) reproduces each adapter alone (1e-6), undefined the base", async () => {
    const { base, dirs, adapted } = await threeAdapters();
    const multi = await loadAdapters(base, dirs);
    expect(multi.adapterNames).toEqual(["qv", "dense", "rs"]);
    expect(multi.model.namedParameters().map(([n]) => n)).toContain(
      "bert.encoder.layer.0.attention.self.query.lora_A.qv.weight",
    );
    expect(multi.model.namedParameters().map(([n]) => n)).toContain(
      "classifier.modules_to_save.dense.weight",
    );
    const batch = probeBatch(3, 6, 5);
    for (const name of multi.adapterNames) {
      multi.setActiveAdapter(name);
      const alone = await probeOutput(adapted[name] as ReturnType<typeof tinyBert>, backend, batch);
      expect(maxAbsDiff(await probeOutput(multi.model, backend, batch), alone), name).toBeLessThan(1e-6);
    }
    multi.setActiveAdapter(undefined);
    expect(
      maxAbsDiff(await probeOutput(multi.model, backend, batch), await probeOutput(base, backend, batch)),
    ).toBeLessThan(1e-6);
    expect(() => multi.setActiveAdapter("nope")).toThrow(/no adapter "nope"; loaded adapters: qv, dense, rs/);
  });

  it("a mixed batch (one adapter per row, grouped low-rank products) equals running each row alone (1e-5)", async () => {
    const { base, dirs } = await threeAdapters();
    const multi = await loadAdapters(base, dirs);
    const rows = ["dense", "qv", "rs", "qv", "dense"];
    const batch = probeBatch(rows.length, 6, 9);
    const { graph } = traceMixedForward(multi, { batchSize: rows.length, seqLength: 6 });
    const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
    const feeds = {
      input_ids: batch.input_ids!,
      attention_mask: batch.attention_mask!,
      token_type_ids: batch.token_type_ids!,
      adapter_index: multi.adapterIndex(rows),
    };
    const exe = await backend.compile(graph, { constants });
    const mixed = (await exe.run(feeds)).logits!.data;
    exe.dispose();
    // the same graph on onnx-cpu (gather of stacked adapters + batched matmul lowered to ONNX)
    const onnx = await createOnnxBackend();
    const onnxExe = await onnx.compile(graph, { constants });
    const mixedOnnx = (await onnxExe.run(feeds)).logits!.data;
    onnxExe.dispose();
    onnx.dispose();
    expect(maxAbsDiff(mixedOnnx, mixed)).toBeLessThan(1e-5);
    const c = mixed.length / rows.length;
    let worst = 0;
    const spread: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      multi.setActiveAdapter(rows[i]);
      const alone = await probeOutput(multi.model, backend, row(batch, i));
      worst = Math.max(worst, maxAbsDiff(Array.from(mixed).slice(i * c, (i + 1) * c), alone));
      multi.setActiveAdapter("qv");
      const withQv = await probeOutput(multi.model, backend, row(batch, i));
      spread.push(maxAbsDiff(withQv, alone));
    }
    console.info(`mixed batch vs per-row: max abs diff ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
    // the adapters really differ, so routing the wrong one would fail the check above
    expect(Math.max(...spread)).toBeGreaterThan(1e-3);
  });

  it("refuses DoRA and non-LoRA models with typed errors", () => {
    const base = tinyBert();
    let err: unknown;
    try {
      MultiAdapterModel.fromAdapted(base, { d: lora({ useDora: true }).apply(base) });
    } catch (e) {
      err = e;
    }
    expect(isTunekitError(err, "NOT_IMPLEMENTED")).toBe(true);
    expect(() => MultiAdapterModel.fromAdapted(base, { plain: base })).toThrow(/not an adapted model/);
  });
});
