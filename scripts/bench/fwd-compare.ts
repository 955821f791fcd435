/**
 * Forward-pass comparison, run in its own process: the same BERT forward exported by PyTorch
 * (`fwd_export.py`, opset 14) against tunekit's lowered forward, both on onnxruntime-node
 * with the same threads, weights as initializers, timed in the same run.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/fwd-compare.ts '<FwdSpec as JSON>'
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import * as tk from "@tunekit/core/ir";
import * as ort from "onnxruntime-node";
import { type BenchSizes, benchBatch, benchModel } from "./bert-case.js";

/** What the parent asks the forward comparison to do. */
export interface FwdSpec {
  readonly sizes: BenchSizes;
  readonly python: string;
  readonly refDir: string;
  readonly threads: number;
  readonly runs: number;
}

/** Times `a` and `b` alternately (so load changes hit both alike); medians in seconds. */
async function timeInterleaved(
  runs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  for (let i = 0; i < 2; i++) {
    await a();
    await b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await a();
    ta.push((performance.now() - t) / 1000);
    t = performance.now();
    await b();
    tb.push((performance.now() - t) / 1000);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  return [med(ta), med(tb)];
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as FwdSpec;
  const s = spec.sizes;
  const dir = mkdtempSync(join(tmpdir(), "tunekit-fwd-"));
  const file = join(dir, "bert_fwd.onnx");
  try {
    const exp = spawnSync(spec.python, ["fwd_export.py", file], {
      cwd: spec.refDir,
      encoding: "utf8",
      timeout: 600_000,
    });
    if (exp.status !== 0) {
      console.log(
        JSON.stringify({ fwd_compare: "skipped", reason: `fwd_export.py failed: ${exp.stderr.slice(-300)}` }),
      );
      return;
    }
    const batch = benchBatch(s);
    const i64 = (t: tk.HostTensor) =>
      new ort.Tensor(
        "int64",
        BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)),
        [...t.shape],
      );
    const torchSession = await ort.InferenceSession.create(file, {
      intraOpNumThreads: spec.threads,
      graphOptimizationLevel: "all",
    });
    const torchFeeds = {
      ids: i64(batch.input_ids!),
      mask: i64(batch.attention_mask!),
      tt: i64(batch.token_type_ids!),
    };

    const model = benchModel(s);
    const g = new tk.Graph();
    const ids = g.input("input_ids", "int32", [s.batch, s.seq]);
    const mask = g.input("attention_mask", "int32", [s.batch, s.seq]);
    const tt = g.input("token_type_ids", "int32", [s.batch, s.seq]);
    g.output("logits", model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: tt }).logits);
    const backend = await createOnnxBackend({ intraOpNumThreads: spec.threads });
    const constants = Object.fromEntries(
      model
        .parameters()
        .filter((p) => g.params.has(p.name))
        .map((p) => [p.name, p.value]),
    );
    const exe = await backend.compile(g, { constants });
    const feeds = {
      input_ids: batch.input_ids!,
      attention_mask: batch.attention_mask!,
      token_type_ids: batch.token_type_ids!,
    };
    const [torchS, oursS] = await timeInterleaved(
      spec.runs,
      () => torchSession.run(torchFeeds),
      () => exe.run(feeds),
    );
    await torchSession.release();
    exe.dispose();
    backend.dispose();
    console.log(
      JSON.stringify({
        fwd_compare: `onnxruntime-node forward, batch ${s.batch}x${s.seq}, median of ${spec.runs} interleaved runs`,
        pytorch_export_s: +torchS.toFixed(4),
        tunekit_lowered_s: +oursS.toFixed(4),
        ratio: +(oursS / torchS).toFixed(3),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
