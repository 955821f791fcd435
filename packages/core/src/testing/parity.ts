import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grad } from "../autodiff/grad.js";
import type { Backend } from "../backend/backend.js";
import { TunekitError } from "../errors.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { traceForward } from "../models/bert/trace-forward.js";
import type { Module } from "../modules/module.js";
import type { Parameter } from "../modules/parameter.js";
import { stateDict } from "../modules/state-dict.js";
import { freezeAll } from "../modules/trainable.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { parityAdamwStep } from "./parity-adamw.js";
import { applyParityLora } from "./parity-lora.js";
import { parityFixtureFolders } from "./parity-fixtures.js";
export { findRepoRoot, parityFixtureFolders } from "./parity-fixtures.js";
import { globalL2Norm, maxAbsoluteError, maxRelativeError, relativeL2Error } from "./parity-metrics.js";

/** Tolerances of the parity check (issue 2). @example `expect(maxRelativeError(logits, want)).toBeLessThan(PARITY_TOLERANCES.logits)` */
export const PARITY_TOLERANCES = Object.freeze({
  /** Max relative error of logits and loss. */
  logits: 1e-4,
  /** Relative L2 error of each parameter gradient. */
  grads: 1e-3,
  /** Max absolute error of the LoRA weights after one AdamW step. */
  adamw: 1e-5,
  /**
   * Floor of a gradient's reference norm, as a fraction of the norm of all the group's
   * reference gradients together. float32 resolves about 1e-7 of a sum, so a gradient
   * below 1e-6 of the whole is rounding noise (the attention key bias: softmax ignores a
   * shift that is equal across keys, so its exact gradient is 0 and PyTorch's is ~1e-21).
   */
  gradNormFloor: 1e-6,
});

/**
 * The worst error of one group of compared tensors.
 *
 * @example
 * ```ts
 * const report = await checkParityFolder(folder, backend);
 * for (const g of report.groups) if (!g.passed) console.error(g.group, g.worstName, g.worst);
 * ```
 */
export interface ParityGroup {
  readonly group: string;
  readonly metric: "max relative" | "relative L2" | "max absolute";
  readonly tolerance: number;
  /** Worst error over the group, and the tensor that has it. */
  readonly worst: number;
  readonly worstName: string;
  readonly compared: number;
  /** Names whose error exceeds the tolerance, with their error. */
  readonly failures: readonly string[];
  readonly passed: boolean;
}

/**
 * Result of {@link checkParityFolder}: one entry per group (`logits`, `loss`, `grads`,
 * `lora logits`, `lora loss`, `lora grads`, `lora adamw`).
 *
 * @example
 * ```ts
 * const r = await checkParityFolder(dir, backend);
 * if (!r.passed) console.error(formatParityReport(r));
 * ```
 */
export interface ParityReport {
  readonly folder: string;
  readonly backend: string;
  readonly groups: readonly ParityGroup[];
  readonly passed: boolean;
}

type Metric = ParityGroup["metric"];
const METRICS: Record<Metric, (a: ArrayLike<number>, b: ArrayLike<number>, floor: number) => number> = {
  "max relative": maxRelativeError,
  "relative L2": relativeL2Error,
  "max absolute": maxAbsoluteError,
};

function compareGroup(
  group: string,
  metric: Metric,
  tolerance: number,
  pairs: readonly { name: string; ours: HostTensor | undefined; ref: HostTensor }[],
): ParityGroup {
  const floor =
    metric === "relative L2"
      ? PARITY_TOLERANCES.gradNormFloor * globalL2Norm(pairs.map((p) => p.ref.data))
      : 0;
  let worst = 0;
  let worstName = "";
  const failures: string[] = [];
  for (const { name, ours, ref } of pairs) {
    const shapeOk = ours !== undefined && ours.data.length === ref.data.length;
    const err = shapeOk ? METRICS[metric](ours.data, ref.data, floor) : Number.POSITIVE_INFINITY;
    if (!(err <= worst) || worstName === "") {
      worst = err;
      worstName = name;
    }
    if (!(err <= tolerance)) {
      const got = ours ? `[${ours.shape.join(", ")}]` : "missing";
      failures.push(
        `${name}: ${shapeOk ? err.toExponential(3) : `shape ${got} vs [${ref.shape.join(", ")}]`}`,
      );
    }
  }
  if (pairs.length === 0) failures.push(`no tensors to compare in group ${group}`);
  return {
    group,
    metric,
    tolerance,
    worst,
    worstName,
    compared: pairs.length,
    failures,
    passed: failures.length === 0,
  };
}

interface ReferenceJson {
  lora: { r: number; lora_alpha: number; target_modules: string[] };
  adamw: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number };
}

async function readReference(folder: string): Promise<{ json: ReferenceJson; ref: Map<string, HostTensor> }> {
  for (const f of ["config.json", "model.safetensors", "reference.safetensors", "reference.json"]) {
    if (!existsSync(join(folder, f))) {
      throw new TunekitError(
        "IO_ERROR",
        `parity fixture ${folder} has no ${f}; expected the layout of shared/reference/README.md ` +
          "(set PARITY_FIXTURES to colon-separated fixture folders)",
      );
    }
  }
  const path = join(folder, "reference.json");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new TunekitError("CONFIG_INVALID", `${path} is not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  const { tensors } = await readSafetensorsFile(join(folder, "reference.safetensors"));
  return { json: checkReferenceJson(json, path), ref: tensors };
}

/** Validates reference.json (LoRA r/alpha/targets, AdamW hyper-parameters) before use. */
function checkReferenceJson(json: unknown, path: string): ReferenceJson {
  const o = json as Partial<ReferenceJson> | null;
  const num = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
  const lora = o?.lora;
  const adamw = o?.adamw;
  const ok =
    typeof o === "object" &&
    o !== null &&
    typeof lora === "object" &&
    lora !== null &&
    Number.isInteger(lora.r) &&
    lora.r > 0 &&
    num(lora.lora_alpha) &&
    Array.isArray(lora.target_modules) &&
    lora.target_modules.every((t) => typeof t === "string") &&
    typeof adamw === "object" &&
    adamw !== null &&
    [adamw.lr, adamw.beta1, adamw.beta2, adamw.eps, adamw.weight_decay].every(num);
  if (!ok) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path}: expected {"lora": {"r", "lora_alpha", "target_modules"}, "adamw": {"lr", "beta1", "beta2", ` +
        `"eps", "weight_decay"}} as written by make_fixture.py, got ${JSON.stringify(json)?.slice(0, 200)}`,
    );
  }
  return o as ReferenceJson;
}

function need(ref: Map<string, HostTensor>, name: string, folder: string): HostTensor {
  const t = ref.get(name);
  if (!t) throw new TunekitError("IO_ERROR", `${folder}/reference.safetensors has no tensor "${name}"`);
  return t;
}

/** Forward + gradients of `wrt` on `backend`, with the fixture inputs. */
async function runForwardAndGrads(
  model: Awaited<ReturnType<typeof loadBertCheckpoint<"sequence-classification">>>["model"],
  wrt: readonly Parameter[],
  feeds: Record<string, HostTensor>,
  backend: Backend,
): Promise<Record<string, HostTensor>> {
  const ids = feeds.input_ids!;
  const { graph, outputs } = traceForward(model, {
    batchSize: ids.shape[0]!,
    seqLength: ids.shape[1]!,
    labels: true,
  });
  const grads = grad(
    outputs.loss!,
    wrt.map((p) => graph.param(p)),
  );
  wrt.forEach((p, i) => {
    graph.output(`grad.${p.name}`, grads[i]!);
  });
  const exe = await backend.compile(graph, { constants: stateDict(model as Module) });
  try {
    return await exe.run(feeds);
  } finally {
    exe.dispose();
  }
}

/**
 * Checks one parity fixture folder (layout of `shared/reference/README.md`) on `backend`:
 * logits and loss, every parameter gradient, the same with the fixture's LoRA adapters on
 * the reference's target modules, and one AdamW step on the LoRA weights with the
 * fixture's LoRA gradients. Everything (shapes, layers, labels, LoRA r/alpha, AdamW
 * hyper-parameters) comes from the folder. Dropout is off.
 *
 * @example
 * ```ts
 * const report = await checkParityFolder("../shared/reference/bert-tiny-parity", createReferenceBackend());
 * console.info(formatParityReport(report));
 * ```
 */
export async function checkParityFolder(folder: string, backend: Backend): Promise<ParityReport> {
  const { json, ref } = await readReference(folder);
  const feeds: Record<string, HostTensor> = {};
  for (const name of ["input_ids", "attention_mask", "token_type_ids", "labels"]) {
    feeds[name] = need(ref, name, folder);
  }
  const T = PARITY_TOLERANCES;
  const groups: ParityGroup[] = [];

  // full model
  const { model } = await loadBertCheckpoint(folder, { task: "sequence-classification" });
  const params = model.parameters();
  const out = await runForwardAndGrads(model, params, feeds, backend);
  groups.push(compareGroup("logits", "max relative", T.logits, [pair("logits", out, ref, folder)]));
  groups.push(compareGroup("loss", "max relative", T.logits, [pair("loss", out, ref, folder)]));
  groups.push(
    compareGroup(
      "grads",
      "relative L2",
      T.grads,
      params.map((p) => ({
        name: p.name,
        ours: out[`grad.${p.name}`],
        ref: need(ref, `grad.${p.name}`, folder),
      })),
    ),
  );

  // LoRA on the reference's target modules, base frozen
  const { model: lora } = await loadBertCheckpoint(folder, { task: "sequence-classification" });
  freezeAll(lora);
  const peft = (path: string, ab: "A" | "B"): string => `base_model.model.${path}.lora_${ab}.weight`;
  const paths = applyParityLora(lora, json.lora.target_modules, json.lora.lora_alpha, (path) => ({
    a: need(ref, `lora.${peft(path, "A")}`, folder),
    b: need(ref, `lora.${peft(path, "B")}`, folder),
  }));
  const loraParams = paths.flatMap((path) => [
    lora.getParameter(`${path}.lora_A.weight`),
    lora.getParameter(`${path}.lora_B.weight`),
  ]);
  const peftName = (p: Parameter): string => `base_model.model.${p.name}`;
  const lout = await runForwardAndGrads(lora, loraParams, feeds, backend);
  groups.push(
    compareGroup("lora logits", "max relative", T.logits, [
      { name: "lora_logits", ours: lout.logits, ref: need(ref, "lora_logits", folder) },
    ]),
  );
  groups.push(
    compareGroup("lora loss", "max relative", T.logits, [
      { name: "lora_loss", ours: lout.loss, ref: need(ref, "lora_loss", folder) },
    ]),
  );
  groups.push(
    compareGroup(
      "lora grads",
      "relative L2",
      T.grads,
      loraParams.map((p) => ({
        name: p.name,
        ours: lout[`grad.${p.name}`],
        ref: need(ref, `lora_grad.${peftName(p)}`, folder),
      })),
    ),
  );

  // one AdamW step on the LoRA weights with the fixture's LoRA gradients
  const stepped = await parityAdamwStep(
    backend,
    loraParams.map((p) => ({
      name: p.name,
      value: p.value,
      grad: need(ref, `lora_grad.${peftName(p)}`, folder),
    })),
    json.adamw,
  );
  groups.push(
    compareGroup(
      "lora adamw",
      "max absolute",
      T.adamw,
      loraParams.map((p) => ({
        name: p.name,
        ours: stepped[p.name],
        ref: need(ref, `lora_after_adamw.${peftName(p)}`, folder),
      })),
    ),
  );
  return { folder, backend: backend.name, groups, passed: groups.every((g) => g.passed) };
}

function pair(
  name: string,
  out: Record<string, HostTensor>,
  ref: Map<string, HostTensor>,
  folder: string,
): { name: string; ours: HostTensor | undefined; ref: HostTensor } {
  return { name, ours: out[name], ref: need(ref, name, folder) };
}

/**
 * One line per group: worst error, tolerance, and which tensor is worst.
 *
 * @example
 * ```ts
 * console.info(formatParityReport(report));
 * ```
 */
export function formatParityReport(r: ParityReport): string {
  const lines = [`parity ${r.backend} on ${r.folder}: ${r.passed ? "PASS" : "FAIL"}`];
  for (const g of r.groups) {
    lines.push(
      `  ${g.group.padEnd(12)} worst ${g.metric} error ${g.worst.toExponential(3)} ` +
        `(tolerance ${g.tolerance.toExponential(0)}, ${g.compared} tensor${g.compared === 1 ? "" : "s"}` +
        `${g.compared > 1 ? `, worst ${g.worstName}` : ""})${g.passed ? "" : ` FAIL: ${g.failures.join("; ")}`}`,
    );
  }
  return lines.join("\n");
}

/** Groups checked by {@link checkParityFolder}, in order. @example `PARITY_GROUPS[0]; // "logits"` */
export const PARITY_GROUPS = [
  "logits",
  "loss",
  "grads",
  "lora logits",
  "lora loss",
  "lora grads",
  "lora adamw",
] as const;

/**
 * Registers vitest suites that check every folder of `folders` (default
 * {@link parityFixtureFolders}: `PARITY_FIXTURES` or the shared fixture) on a backend: one
 * `describe` per folder (named after it), one `it` per group. Call it from a
 * `*.parity.test.ts` file of the backend's package (run by `npm run test:parity`).
 *
 * @example
 * ```ts
 * // packages/backend-tfjs/src/tfjs.parity.test.ts
 * describeParity("tfjs", () => createTfjsBackend());
 * describeParity("tfjs", () => createTfjsBackend(), committedParityFixtureFolders());
 * ```
 */
export function describeParity(
  backendName: string,
  createBackend: () => Backend | Promise<Backend>,
  folders: readonly string[] = parityFixtureFolders(),
): void {
  if (folders.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `describeParity(${backendName}): no fixture folders given; expected at least one folder in the ` +
        "layout of shared/reference/README.md (set PARITY_FIXTURES or commit fixtures under fixtures/parity)",
    );
  }
  for (const folder of folders) {
    describe(`parity with PyTorch on ${backendName}: ${folder}`, () => {
      let backend: Backend | undefined;
      let report: ParityReport | undefined;
      beforeAll(async () => {
        backend = await createBackend();
        report = await checkParityFolder(folder, backend);
        console.info(formatParityReport(report));
      });
      afterAll(() => backend?.dispose());
      for (const group of PARITY_GROUPS) {
        it(group, () => {
          const g = report?.groups.find((x) => x.group === group);
          expect(g, `group ${group} was not checked`).toBeDefined();
          expect(g!.failures, `${group}: worst ${g!.metric} error ${g!.worst} > ${g!.tolerance}`).toEqual([]);
          expect(g!.worst).toBeLessThanOrEqual(g!.tolerance);
        });
      }
    });
  }
}
