import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import {
  type Backend,
  type BertForSequenceClassification,
  type HostTensor,
  loadBertCheckpoint,
  readSafetensorsFile,
} from "@tunekit/core";
import { grad } from "@tunekit/core/autodiff";
import { stateDict } from "@tunekit/core/models";
import {
  findRepoRoot,
  globalL2Norm,
  maxRelativeError,
  PARITY_TOLERANCES,
  relativeL2Error,
} from "@tunekit/core/testing";
import { loadHyperFormer } from "../hyperformer/hyperformer-file.js";
import { hypernetworkOf } from "../hyperformer/hyperformer-strategy.js";
import { HYPERFORMER_POSITIONS } from "../hyperformer/hypernetwork.js";
import { traceHyper } from "./hyperformer-trace.js";

/**
 * Tolerances of the HyperFormer parity check (float32 backends against float64 PyTorch):
 * max relative error of logits and losses, relative L2 error of each generated adapter
 * tensor, and relative L2 error of each gradient (floored at `gradNormFloor` of the norm of
 * all reference gradients) at the project's `PARITY_TOLERANCES.grads`: the smallest
 * gradients (3e-4 of the whole) carry float32 cancellation near 1e-4.
 */
export const HYPERFORMER_TOLERANCES = Object.freeze({
  logits: 1e-5,
  generated: 1e-5,
  grads: PARITY_TOLERANCES.grads,
});

/**
 * Test support: the HyperFormer parity folders, `HYPERFORMER_FIXTURES` (colon-separated,
 * relative to the repository root) or every folder of `fixtures/hyperformer-parity`.
 */
export function hyperformerFixtureFolders(
  env: string | undefined = process.env.HYPERFORMER_FIXTURES,
): string[] {
  const root = findRepoRoot() ?? process.cwd();
  if (env !== undefined && env.trim() !== "") {
    return env
      .split(":")
      .filter((s) => s.trim() !== "")
      .map((p) => (isAbsolute(p) ? p : resolve(root, p.trim())));
  }
  const dir = join(root, "fixtures", "hyperformer-parity");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "reference.safetensors")))
    .map((e) => join(dir, e.name))
    .sort();
}

/** The worst error of one group of compared tensors. */
export interface HyperGroup {
  readonly worst: number;
  readonly worstName: string;
  readonly tolerance: number;
  readonly count: number;
}

function group(
  pairs: [string, ArrayLike<number>, ArrayLike<number>][],
  metric: (a: ArrayLike<number>, b: ArrayLike<number>) => number,
  tolerance: number,
): HyperGroup {
  let worst = 0;
  let worstName = "";
  for (const [name, ours, ref] of pairs) {
    const e = ours.length === ref.length ? metric(ours, ref) : Number.POSITIVE_INFINITY;
    if (!(e <= worst) || worstName === "") {
      worst = e;
      worstName = name;
    }
  }
  return { worst, worstName, tolerance, count: pairs.length };
}

function crossEntropyRows(logits: HostTensor, labels: HostTensor, rows: number[]): number {
  const c = logits.shape[1]!;
  let total = 0;
  for (const b of rows) {
    const row = Array.from({ length: c }, (_, j) => logits.data[b * c + j]!);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - row[labels.data[b]!]!;
  }
  return total / rows.length;
}

/**
 * Loads a HyperFormer parity folder (base model + `hyperformer_*` files), runs one traced
 * forward and backward on `backend` (frozen base bound as constants, the hypernetwork and
 * head fed), and compares against `reference.safetensors`: logits, loss and per-task
 * losses; every generated adapter tensor per task, layer and position; every gradient.
 */
export async function checkHyperFormerFolder(
  folder: string,
  backend: Backend,
): Promise<Record<string, HyperGroup>> {
  const { model: base } = await loadBertCheckpoint(folder, { task: "sequence-classification" });
  const model = (await loadHyperFormer(base, folder)) as BertForSequenceClassification;
  const { tensors: ref } = await readSafetensorsFile(join(folder, "reference.safetensors"));
  const ids = ref.get("input_ids")!;
  const [b, s] = ids.shape as [number, number];
  const { graph, loss } = traceHyper(model, b, s);
  const { hypernetwork, path: hnPath } = hypernetworkOf(model);
  const sites = hypernetwork.generate(graph);
  for (let l = 0; l < hypernetwork.config.numLayers; l++) {
    for (let k = 0; k < HYPERFORMER_POSITIONS.length; k++) {
      for (const [field, t] of Object.entries(sites(l, k))) graph.output(`gen.${l}.${k}.${field}`, t);
    }
  }
  const trainable = model.namedParameters().filter(([, p]) => p.trainable);
  const fileKey = (p: string): string =>
    p.startsWith(`${hnPath}.`) ? `hypernetwork.${p.slice(hnPath.length + 1)}` : p;
  grad(
    loss,
    trainable.map(([, p]) => graph.param(p)),
  ).forEach((t, i) => {
    graph.output(`grad.${fileKey(trainable[i]![0])}`, t);
  });
  const trainableNames = new Set(trainable.map(([n]) => n));
  const constants = Object.fromEntries(
    Object.entries(stateDict(model)).filter(([k]) => !trainableNames.has(k)),
  );
  const exe = await backend.compile(graph, { constants });
  const feeds: Record<string, HostTensor> = {};
  for (const k of ["input_ids", "attention_mask", "token_type_ids", "labels", "task_ids"])
    feeds[k] = ref.get(k)!;
  for (const [n, p] of trainable) feeds[n] = p.value;
  let out: Record<string, HostTensor>;
  try {
    out = await exe.run(feeds);
  } finally {
    exe.dispose();
  }
  const tasks = hypernetwork.tasks;
  const taskIds = Array.from(ref.get("task_ids")!.data as ArrayLike<number>);
  const generated: [string, ArrayLike<number>, ArrayLike<number>][] = [];
  for (let l = 0; l < hypernetwork.config.numLayers; l++) {
    HYPERFORMER_POSITIONS.forEach((site, k) => {
      for (const [field, name] of Object.entries(FIELDS)) {
        const all = out[`gen.${l}.${k}.${field}`]!;
        const per = all.data.length / tasks.length;
        tasks.forEach((task, ti) => {
          const key = `generated.${task}.layer.${l}.${site}.${name}`;
          generated.push([key, all.data.slice(ti * per, (ti + 1) * per), ref.get(key)!.data]);
        });
      }
    });
  }
  const refGrads = [...ref].filter(([k]) => k.startsWith("grad."));
  const floor = PARITY_TOLERANCES.gradNormFloor * globalL2Norm(refGrads.map(([, t]) => t.data));
  const taskLosses = tasks.map((task, ti): [string, ArrayLike<number>, ArrayLike<number>] => {
    const rows = taskIds.flatMap((t, r) => (t === ti ? [r] : []));
    return [
      `task_loss.${task}`,
      [crossEntropyRows(out.logits!, feeds.labels!, rows)],
      ref.get(`task_loss.${task}`)!.data,
    ];
  });
  return {
    logits: group(
      [["logits", out.logits!.data, ref.get("logits")!.data]],
      maxRelativeError,
      HYPERFORMER_TOLERANCES.logits,
    ),
    loss: group(
      [["loss", out.loss!.data, ref.get("loss")!.data], ...taskLosses],
      maxRelativeError,
      HYPERFORMER_TOLERANCES.logits,
    ),
    generated: group(generated, relativeL2Error, HYPERFORMER_TOLERANCES.generated),
    grads: group(
      refGrads.map(([k, t]) => [k, out[k]?.data ?? [], t.data]),
      (a, r) => relativeL2Error(a, r, floor),
      HYPERFORMER_TOLERANCES.grads,
    ),
  };
}

const FIELDS: Record<string, string> = {
  downWeight: "down_weight",
  downBias: "down_bias",
  upWeight: "up_weight",
  upBias: "up_bias",
  lnWeight: "ln_weight",
  lnBias: "ln_bias",
};
