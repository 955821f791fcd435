import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import {
  type Backend,
  createReferenceBackend,
  type HostTensor,
  readSafetensorsFile,
  writeSafetensorsFile,
} from "@tunekit/core";
import { grad } from "@tunekit/core/autodiff";
import { stateDict } from "@tunekit/core/models";
import {
  committedParityFixtureFolders,
  globalL2Norm,
  maxRelativeError,
  PARITY_TOLERANCES,
  parityFixtureFolders,
  parityModelFamily,
  relativeL2Error,
} from "@tunekit/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { LoraLinear } from "../lora/lora-linear.js";
import { loadAdapter } from "./load-adapter.js";

// PyTorch parity of the PEFT loader: the fixture's LoRA tensors (stored under
// `lora.base_model.model.…` in reference.safetensors) are written as a PEFT adapter folder
// (adapter_config.json from reference.json's r / lora_alpha / target_modules) and loaded
// with loadAdapter; logits, loss and every LoRA gradient must match PyTorch's. The folder's
// config.json says whether the base is a BERT classifier or a Llama-family causal LM.

interface ReferenceJson {
  lora: { r: number; lora_alpha: number; target_modules: string[]; lora_dropout?: number };
}

async function peftFolderFromFixture(
  folder: string,
  taskType: string,
): Promise<{ dir: string; ref: Map<string, HostTensor> }> {
  const json = JSON.parse(await readFile(join(folder, "reference.json"), "utf8")) as ReferenceJson;
  const { tensors: ref } = await readSafetensorsFile(join(folder, "reference.safetensors"));
  const dir = await mkdtemp(join(tmpdir(), "tunekit-lora-parity-"));
  const adapter = new Map<string, HostTensor>();
  for (const [k, v] of ref)
    if (k.startsWith("lora.base_model.model.")) adapter.set(k.slice("lora.".length), v);
  await writeSafetensorsFile(join(dir, "adapter_model.safetensors"), adapter, { format: "pt" });
  const config = {
    peft_type: "LORA",
    task_type: taskType,
    r: json.lora.r,
    lora_alpha: json.lora.lora_alpha,
    lora_dropout: json.lora.lora_dropout ?? 0,
    target_modules: json.lora.target_modules,
    modules_to_save: null,
    bias: "none",
    fan_in_fan_out: false,
  };
  await writeFile(join(dir, "adapter_config.json"), JSON.stringify(config, null, 2));
  return { dir, ref };
}

interface GroupResult {
  worst: number;
  worstName: string;
  tolerance: number;
}

async function checkFolder(folder: string, backend: Backend): Promise<Record<string, GroupResult>> {
  const family = await parityModelFamily(folder);
  const { dir, ref } = await peftFolderFromFixture(
    folder,
    family.kind === "decoder" ? "CAUSAL_LM" : "SEQ_CLS",
  );
  const base = await family.load(folder);
  const model = await loadAdapter(base, dir, { onWarning: (m) => expect.fail(m) });
  const loraParams = model.namedParameters().filter(([path]) => /\.lora_[AB]\.weight$/.test(path));
  expect(model.namedModules().filter(([, m]) => m instanceof LoraLinear).length * 2).toBe(loraParams.length);
  expect(model.parameters().filter((p) => p.trainable).length).toBe(loraParams.length);
  const feeds: Record<string, HostTensor> = {};
  for (const k of family.inputs) feeds[k] = ref.get(k)!;
  const { graph, loss } = family.trace(model, feeds);
  const grads = grad(
    loss,
    loraParams.map(([, p]) => graph.param(p)),
  );
  loraParams.forEach(([path], i) => {
    graph.output(`grad.${path}`, grads[i]!);
  });
  const exe = await backend.compile(graph, {
    constants: Object.fromEntries(Object.entries(stateDict(model)).filter(([k]) => !/lora_[AB]/.test(k))),
  });
  for (const [path, p] of loraParams) feeds[path] = p.value;
  let out: Record<string, HostTensor>;
  try {
    out = await exe.run(feeds);
  } finally {
    exe.dispose();
  }
  const T = PARITY_TOLERANCES;
  const refGrads = loraParams.map(([path]) => ref.get(`lora_grad.base_model.model.${path}`)!);
  const floor = T.gradNormFloor * globalL2Norm(refGrads.map((g) => g.data));
  let worstGrad: GroupResult = { worst: 0, worstName: "", tolerance: T.grads };
  loraParams.forEach(([path], i) => {
    const e = relativeL2Error(out[`grad.${path}`]!.data, refGrads[i]!.data, floor);
    if (!(e <= worstGrad.worst) || worstGrad.worstName === "")
      worstGrad = { ...worstGrad, worst: e, worstName: path };
  });
  return {
    "lora logits": {
      worst: maxRelativeError(out.logits!.data, ref.get("lora_logits")!.data),
      worstName: "lora_logits",
      tolerance: T.logits,
    },
    "lora loss": {
      worst: maxRelativeError(out.loss!.data, ref.get("lora_loss")!.data),
      worstName: "lora_loss",
      tolerance: T.logits,
    },
    "lora grads": worstGrad,
  };
}

const BACKENDS: [string, () => Promise<Backend> | Backend][] = [
  ["reference", () => createReferenceBackend()],
  ["tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} })],
  ["onnx-cpu", () => createOnnxBackend()],
];

// PARITY_FIXTURES (default: the shared bert-tiny fixture) plus the committed fixtures of
// other shapes (fixtures/parity: other layer counts, hidden sizes, labels, lengths)
for (const folder of [...new Set([...parityFixtureFolders(), ...committedParityFixtureFolders()])]) {
  for (const [name, create] of BACKENDS) {
    describe(`PEFT LoRA loader parity with PyTorch on ${name}: ${folder}`, () => {
      let backend: Backend | undefined;
      afterAll(() => backend?.dispose());
      it("logits, loss and every LoRA gradient match within PARITY_TOLERANCES", async () => {
        backend = await create();
        const groups = await checkFolder(folder, backend);
        for (const [group, g] of Object.entries(groups)) {
          console.info(
            `[${name}] ${group.padEnd(11)} worst ${g.worst.toExponential(3)} (tolerance ${g.tolerance.toExponential(0)}, ${g.worstName})`,
          );
        }
        for (const [group, g] of Object.entries(groups)) {
          expect(g.worst, `${group} on ${name}: worst ${g.worstName}`).toBeLessThanOrEqual(g.tolerance);
        }
      });
    });
  }
}
