import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensorsFile } from "@tunekit/core";
import { evaluateGraphFloat64 } from "@tunekit/core/ir";
import { BertModel, parseBertConfig, traceForward } from "@tunekit/core/models";
import { afterAll, describe, expect, it } from "vitest";
import { loadBottleneckAdapter, saveBottleneckAdapter } from "./adapters/adapter-file.js";
import { houlsbyAdapter } from "./adapters/bottleneck-strategies.js";
import { prefixTuning } from "./prefix/prefix-tuning.js";
import { savePromptLearningAdapter } from "./prompt/prompt-learning-peft.js";
import { promptTuning } from "./prompt/prompt-tuning.js";
import { probeBatch, randomizeParameters, TINY_BERT_JSON } from "./testing/tiny-bert.js";

const config = parseBertConfig(TINY_BERT_JSON);
const { input_ids, attention_mask, token_type_ids } = probeBatch(2, 5);
const feeds = { input_ids: input_ids!, attention_mask: attention_mask!, token_type_ids: token_type_ids! };

function hidden(model: BertModel): { shape: readonly number[]; data: Float64Array } {
  const { graph } = traceForward(model, { batchSize: 2, seqLength: 5 });
  return evaluateGraphFloat64(graph, feeds, ["last_hidden_state"]).last_hidden_state!;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("bottleneck adapters, prefix and prompt tuning on a bare BertModel (feature extraction)", () => {
  it("adapters: fresh no-op; files use bert.-rooted keys and load back", async () => {
    const base = new BertModel(config, { seed: 1 });
    const adapted = houlsbyAdapter({ name: "f", reductionFactor: 4 }).apply(base);
    expect(Array.from(hidden(adapted).data)).toEqual(Array.from(hidden(base).data));
    randomizeParameters(adapted, /adapters\./, 2, 0.5);
    const dir = await mkdtemp(join(tmpdir(), "tunekit-bare-"));
    dirs.push(dir);
    const { keys } = await saveBottleneckAdapter(adapted, dir);
    expect(keys[0]).toBe("bert.encoder.layer.0.attention.output.adapters.f.adapter_down.0.weight");
    expect(JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8")).includes_head).toBe(false);
    const loaded = await loadBottleneckAdapter(new BertModel(config, { seed: 1 }), dir);
    expect(Array.from(hidden(loaded).data)).toEqual(Array.from(hidden(adapted).data));
  });

  it("prefix keeps [B, S, H]; prompt returns [B, P + S, H] (virtual tokens first, as PEFT)", async () => {
    const base = new BertModel(config, { seed: 1 });
    const prefixed = prefixTuning({ numVirtualTokens: 2 }).apply(base);
    expect(hidden(prefixed).shape).toEqual([2, 5, 8]);
    expect(
      prefixed
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n]) => n),
    ).toEqual(["encoder.prefix_encoder.embedding.weight"]);
    const prompted = promptTuning({ numVirtualTokens: 2 }).apply(base);
    expect(hidden(prompted).shape).toEqual([2, 7, 8]);
    const dir = await mkdtemp(join(tmpdir(), "tunekit-bare-"));
    dirs.push(dir);
    await savePromptLearningAdapter(prompted, dir);
    const config2 = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(config2).toMatchObject({
      peft_type: "PROMPT_TUNING",
      task_type: "FEATURE_EXTRACTION",
      modules_to_save: null,
    });
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    expect([...tensors.keys()]).toEqual(["prompt_embeddings"]);
  });
});
