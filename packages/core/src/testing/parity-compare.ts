import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TunekitError } from "../errors.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { globalL2Norm, maxAbsoluteError, maxRelativeError, relativeL2Error } from "./parity-metrics.js";

// What every parity check shares, encoder or decoder: tolerances, the comparison of one
// group of tensors, and reading a fixture folder (layout of shared/reference/README.md).

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

type Metric = ParityGroup["metric"];
const METRICS: Record<Metric, (a: ArrayLike<number>, b: ArrayLike<number>, floor: number) => number> = {
  "max relative": maxRelativeError,
  "relative L2": relativeL2Error,
  "max absolute": maxAbsoluteError,
};

/**
 * Compares `pairs` with `metric` and returns the group's worst error and failures.
 *
 * @example
 * ```ts
 * compareGroup("loss", "max relative", 1e-4, [{ name: "loss", ours: out.loss, ref: want }]);
 * ```
 */
export function compareGroup(
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

/** `reference.json` of a parity fixture (the parts the harness reads). @example `json.lora.target_modules; // ["q_proj", "v_proj"]` */
export interface ReferenceJson {
  lora: { r: number; lora_alpha: number; target_modules: string[] };
  adamw: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number };
}

/**
 * Checks that `folder` has the fixture layout and reads `reference.json` (validated) and
 * `reference.safetensors`.
 *
 * @example
 * ```ts
 * const { json, ref } = await readReference(folder);
 * ```
 */
export async function readReference(
  folder: string,
): Promise<{ json: ReferenceJson; ref: Map<string, HostTensor> }> {
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

/** A reference tensor, or an `IO_ERROR` naming it. @example `need(ref, "logits", folder)` */
export function need(ref: Map<string, HostTensor>, name: string, folder: string): HostTensor {
  const t = ref.get(name);
  if (!t) throw new TunekitError("IO_ERROR", `${folder}/reference.safetensors has no tensor "${name}"`);
  return t;
}

/** A named pair of our output and the reference tensor of the same name. @example `pair("logits", out, ref, folder)` */
export function pair(
  name: string,
  out: Record<string, HostTensor>,
  ref: Map<string, HostTensor>,
  folder: string,
): { name: string; ours: HostTensor | undefined; ref: HostTensor } {
  return { name, ours: out[name], ref: need(ref, name, folder) };
}
