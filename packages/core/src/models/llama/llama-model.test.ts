import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { Graph, type Tensor } from "../../ir/graph.js";
import { mul } from "../../ir/ops.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT } from "../../modules/module.js";
import { stateDict } from "../../modules/state-dict.js";
import { adamw } from "../../optim/adamw.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import { TrainStepRunner } from "../../train/train-step-runner.js";
import { trainerForward } from "../../trainer/trainer-model.js";
import { causalLmLoss } from "./causal-lm-loss.js";
import { parseLlamaConfig } from "./llama-config.js";
import { LlamaForCausalLM } from "./llama-model.js";
import { llamaParameterCount } from "./llama-parameter-count.js";
import { TINY_LLAMA } from "./config.test-helpers.js";

const SMALL = {
  ...TINY_LLAMA,
  vocab_size: 20,
  hidden_size: 8,
  intermediate_size: 12,
  num_attention_heads: 2,
  num_key_value_heads: 1,
};

describe("LlamaForCausalLM structure", () => {
  it("has Hugging Face parameter names and shapes (Llama, untied)", () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(TINY_LLAMA));
    const shapes = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(Object.keys(shapes)).toHaveLength(2 + 2 * 9 + 1);
    expect(shapes["model.embed_tokens.weight"]).toEqual([96, 32]);
    expect(shapes["model.layers.1.self_attn.q_proj.weight"]).toEqual([32, 32]);
    expect(shapes["model.layers.1.self_attn.k_proj.weight"]).toEqual([16, 32]);
    expect(shapes["model.layers.1.self_attn.v_proj.weight"]).toEqual([16, 32]);
    expect(shapes["model.layers.1.self_attn.o_proj.weight"]).toEqual([32, 32]);
    expect(shapes["model.layers.0.mlp.gate_proj.weight"]).toEqual([64, 32]);
    expect(shapes["model.layers.0.mlp.down_proj.weight"]).toEqual([32, 64]);
    expect(shapes["model.layers.0.input_layernorm.weight"]).toEqual([32]);
    expect(shapes["model.layers.0.post_attention_layernorm.weight"]).toEqual([32]);
    expect(shapes["model.norm.weight"]).toEqual([32]);
    expect(shapes["lm_head.weight"]).toEqual([96, 32]);
    expect(model.parameters().reduce((n, p) => n + p.value.data.length, 0)).toBe(
      llamaParameterCount(model.llamaConfig),
    );
    expect(model.architecture).toBe("LlamaForCausalLM");
  });

  it("Qwen2 with tied embeddings: q/k/v biases, no lm_head parameter", () => {
    const model = new LlamaForCausalLM(
      parseLlamaConfig({ ...TINY_LLAMA, model_type: "qwen2", tie_word_embeddings: true }),
    );
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain("model.layers.0.self_attn.q_proj.bias");
    expect(names).toContain("model.layers.0.self_attn.v_proj.bias");
    expect(names).not.toContain("model.layers.0.self_attn.o_proj.bias");
    expect(names).not.toContain("lm_head.weight");
    expect(model.architecture).toBe("Qwen2ForCausalLM");
    expect(model.parameters().reduce((n, p) => n + p.value.data.length, 0)).toBe(
      llamaParameterCount(model.llamaConfig),
    );
  });
});

describe("LlamaForCausalLM forward", () => {
  const ids = hostTensor("int32", [2, 4], [3, 4, 5, 6, 7, 8, 0, 0]);
  const mask = hostTensor("int32", [2, 4], [1, 1, 1, 1, 1, 1, 0, 0]);
  const labels = hostTensor("int32", [2, 4], [3, 4, 5, 6, 7, 8, -100, -100]);

  it("logits [B, S, V]; padding never changes the logits of real tokens (causal + padding mask)", async () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(SMALL), { seed: 3 });
    const g = new Graph();
    const { logits, loss } = model.forward(
      {
        inputIds: g.input("input_ids", "int32", [2, 4]),
        attentionMask: g.input("attention_mask", "int32", [2, 4]),
      },
      EVAL_CONTEXT,
    );
    expect(loss).toBeUndefined();
    expect(logits.shape).toEqual([2, 4, 20]);
    g.output("logits", logits);
    const exe = await createReferenceBackend().compile(g, { constants: stateDict(model) });
    const other = hostTensor("int32", [2, 4], [3, 4, 5, 6, 7, 8, 13, 19]);
    const a = (await exe.run({ input_ids: ids, attention_mask: mask })).logits!.data;
    const b = (await exe.run({ input_ids: other, attention_mask: mask })).logits!.data;
    expect(Array.from(a.slice(0, 6 * 20))).toEqual(Array.from(b.slice(0, 6 * 20)));
    // a later token never changes an earlier position's logits (causality)
    const c = (
      await exe.run({
        input_ids: hostTensor("int32", [2, 4], [3, 4, 5, 9, 7, 8, 0, 0]),
        attention_mask: mask,
      })
    ).logits!.data;
    expect(Array.from(c.slice(0, 3 * 20))).toEqual(Array.from(a.slice(0, 3 * 20)));
    expect(Array.from(c.slice(3 * 20, 4 * 20))).not.toEqual(Array.from(a.slice(3 * 20, 4 * 20)));
  });

  it("forwardBatch is the Trainer's generic forward: a few AdamW steps lower the causal-LM loss", async () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(SMALL), { seed: 1 });
    expect(model.batchFields).toEqual(["input_ids", "attention_mask"]);
    const runner = new TrainStepRunner({
      backend: createReferenceBackend(),
      params: model.parameters(),
      forward: trainerForward(model),
      optimizer: adamw({ weightDecay: 0 }),
    });
    const batch = { input_ids: ids, attention_mask: mask, labels };
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await runner.step(batch, { lr: 1e-2 })).loss);
    expect(losses[0]).toBeCloseTo(Math.log(20), 0);
    expect(losses[7]!).toBeLessThan(losses[0]! * 0.8);
    const { logits } = await runner.evaluate({ input_ids: ids, attention_mask: mask });
    expect(logits!.shape).toEqual([2, 4, 20]);
  });

  it("names what is missing or mis-typed", () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(SMALL));
    const g = new Graph();
    expect(() => model.forwardBatch({}, EVAL_CONTEXT)).toThrow(/needs input_ids; the batch has nothing/);
    expect(() => model.forward({ inputIds: g.input("x", "float32", [1, 3]) })).toThrow(
      /input_ids must be int32 \[batch, seq\], got float32\[1, 3\]/,
    );
    expect(() =>
      model.forward({ inputIds: g.input("i", "int32", [1, 3]), labels: g.input("l", "int32", [1, 2]) }),
    ).toThrow(/labels must be int32 \[1, 3\], got int32\[1, 2\]/);
  });
});

describe("LlamaForCausalLM loss from the hidden states", () => {
  const ids = hostTensor("int32", [2, 4], [3, 4, 5, 6, 7, 8, 0, 0]);
  const mask = hostTensor("int32", [2, 4], [1, 1, 1, 1, 1, 1, 0, 0]);
  const labels = hostTensor("int32", [2, 4], [3, 4, 5, 6, 7, 8, -100, -100]);

  /** The forward's loss and the causalLmLoss of its logits, and which loss op the graph used. */
  async function losses(model: LlamaForCausalLM) {
    const g = new Graph();
    const out = model.forward(
      {
        inputIds: g.input("input_ids", "int32", [2, 4]),
        attentionMask: g.input("attention_mask", "int32", [2, 4]),
        labels: g.input("labels", "int32", [2, 4]),
      },
      EVAL_CONTEXT,
    );
    g.output("loss", out.loss!);
    g.output("fromLogits", causalLmLoss(out.logits, g.input("labels2", "int32", [2, 4])));
    const exe = await createReferenceBackend().compile(g, { constants: stateDict(model) });
    const r = await exe.run({ input_ids: ids, attention_mask: mask, labels, labels2: labels });
    const ops = new Set(g.nodes.filter((n) => n.id <= out.loss!.id).map((n) => n.op));
    return { loss: r.loss!.data[0]!, fromLogits: r.fromLogits!.data[0]!, ops };
  }

  it.each([
    ["untied lm_head", SMALL],
    ["tied embeddings", { ...SMALL, tie_word_embeddings: true }],
  ])("%s: linearCrossEntropy on the head weight, equal to the loss of the logits (1e-6)", async (_, cfg) => {
    const r = await losses(new LlamaForCausalLM(parseLlamaConfig(cfg), { seed: 2 }));
    expect(r.ops.has("linearCrossEntropy")).toBe(true);
    expect(r.ops.has("crossEntropy")).toBe(false);
    expect(Math.abs(r.loss - r.fromLogits)).toBeLessThan(1e-6);
  });

  it("a replaced lm_head (a strategy's wrapper) keeps the loss of its own logits", async () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(SMALL), { seed: 2 });
    class ScaledHead extends Linear {
      override forward(x: Tensor): Tensor {
        return mul(super.forward(x), 2);
      }
    }
    const head = new ScaledHead(8, 20, { bias: false });
    head.weight.value = model.getParameter("lm_head.weight").value;
    model.setSubmodule("lm_head", head);
    const r = await losses(model);
    expect(r.ops.has("linearCrossEntropy")).toBe(false);
    expect(Math.abs(r.loss - r.fromLogits)).toBeLessThan(1e-9);
  });
});

describe("causalLmLoss", () => {
  it("logits at t predict labels at t+1; -100 ignored; mean over the rest", async () => {
    const g = new Graph();
    const logits = g.input("logits", "float32", [1, 3, 2]);
    const labels = g.input("labels", "int32", [1, 3]);
    g.output("loss", causalLmLoss(logits, labels));
    const exe = await createReferenceBackend().compile(g);
    const z = [0, 1, 2, 0, 5, 5];
    const nll = (t: number, y: number): number => {
      const [a, b] = [z[2 * t]!, z[2 * t + 1]!];
      return Math.log(Math.exp(a) + Math.exp(b)) - (y === 0 ? a : b);
    };
    const run = async (l: number[]) =>
      (await exe.run({ logits: hostTensor("float32", [1, 3, 2], z), labels: hostTensor("int32", [1, 3], l) }))
        .loss!.data[0]!;
    expect(await run([0, 1, 0])).toBeCloseTo((nll(0, 1) + nll(1, 0)) / 2, 6);
    expect(await run([1, -100, 0])).toBeCloseTo(nll(1, 0), 6);
    expect(await run([1, -100, -100])).toBe(0);
  });

  it("refuses sequences of one token and float labels", () => {
    const g = new Graph();
    expect(() => causalLmLoss(g.input("a", "float32", [2, 1, 4]), g.input("b", "int32", [2, 1]))).toThrow(
      /sequences of length 1 have no next token/,
    );
    expect(() => causalLmLoss(g.input("c", "float32", [2, 3, 4]), g.input("d", "float32", [2, 3]))).toThrow(
      /labels must be int32/,
    );
    expect(() => causalLmLoss(g.input("e", "float32", [2, 3, 4]), g.input("f", "int32", [2, 4]))).toThrow(
      /expected logits \[B, S, V\] and labels \[B, S\], got logits \[2, 3, 4\] and labels \[2, 4\]/,
    );
  });
});
