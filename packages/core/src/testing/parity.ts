import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grad } from "../autodiff/grad.js";
import type { Backend } from "../backend/backend.js";
import { TunekitError } from "../errors.js";
import type { Module } from "../modules/module.js";
import type { Parameter } from "../modules/parameter.js";
import { stateDict } from "../modules/state-dict.js";
import { freezeAll } from "../modules/trainable.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { parityAdamwStep } from "./parity-adamw.js";
import {
  compareGroup,
  need,
  PARITY_TOLERANCES,
  type ParityGroup,
  pair,
  readReference,
} from "./parity-compare.js";
import { applyParityLora } from "./parity-lora.js";
import { parityFixtureFolders } from "./parity-fixtures.js";
import { type ParityModelFamily, parityModelFamily } from "./parity-models.js";
export { findRepoRoot, parityFixtureFolders } from "./parity-fixtures.js";
export type { ParityGroup } from "./parity-compare.js";
export { PARITY_TOLERANCES } from "./parity-compare.js";

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

/** Forward + gradients of `wrt` on `backend`, with the fixture inputs. */
async function runForwardAndGrads(
  family: ParityModelFamily,
  model: Module,
  wrt: readonly Parameter[],
  feeds: Record<string, HostTensor>,
  backend: Backend,
): Promise<Record<string, HostTensor>> {
  const { graph, loss } = family.trace(model, feeds);
  const grads = grad(
    loss,
    wrt.map((p) => graph.param(p)),
  );
  wrt.forEach((p, i) => {
    graph.output(`grad.${p.name}`, grads[i]!);
  });
  const exe = await backend.compile(graph, { constants: stateDict(model) });
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
 * hyper-parameters) comes from the folder. Dropout is off. The folder's `config.json` says
 * which model it is (see {@link parityModelFamily}): a BERT sequence classifier (inputs
 * `input_ids`, `attention_mask`, `token_type_ids`, `labels`) or a Llama-family causal LM
 * (`input_ids`, `attention_mask`, `labels`; Hugging Face's shifted causal-LM loss).
 *
 * @example
 * ```ts
 * const report = await checkParityFolder("../shared/reference/bert-tiny-parity", createReferenceBackend());
 * console.info(formatParityReport(report));
 * ```
 */
export async function checkParityFolder(folder: string, backend: Backend): Promise<ParityReport> {
  const { json, ref } = await readReference(folder);
  const family = await parityModelFamily(folder);
  const feeds: Record<string, HostTensor> = {};
  for (const name of family.inputs) {
    feeds[name] = need(ref, name, folder);
  }
  const T = PARITY_TOLERANCES;
  const groups: ParityGroup[] = [];

  // full model
  const model = await family.load(folder);
  const params = model.parameters();
  const out = await runForwardAndGrads(family, model, params, feeds, backend);
  groups.push(compareGroup("logits", "max relative", T.logits, [pair("logits", out, ref, folder)]));
  groups.push(compareGroup("loss", "max relative", T.logits, [pair("loss", out, ref, folder)]));
  groups.push(
    compareGroup(
      "grads",
      "relative L2",
      T.grads,
      params.map((p) => {
        const ours = out[`grad.${p.name}`];
        return {
          name: p.name,
          ours: ours && family.toReferenceLayout(p.name, ours),
          ref: need(ref, `grad.${p.name}`, folder),
        };
      }),
    ),
  );

  // LoRA on the reference's target modules, base frozen
  const lora = await family.load(folder);
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
  const lout = await runForwardAndGrads(family, lora, loraParams, feeds, backend);
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
