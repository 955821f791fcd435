import { describe, expect, it } from "vitest";
import { evaluateGraphFloat64 } from "../../backend/reference-backend.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { Graph } from "../../ir/graph.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import type { BertEmbeddings } from "./bert-embeddings.js";
import { BertModel } from "./bert-model.js";
import { TINY_CONFIG } from "./config.test-helpers.js";

const config = parseBertConfig(TINY_CONFIG);
const ints = (shape: number[], data: number[]): HostTensor => hostTensor("int32", shape, data);

function hidden(model: BertModel, ids: HostTensor, positionIds?: HostTensor): Float64Array | Float32Array {
  const [b, s] = ids.shape as [number, number];
  const g = new Graph();
  const out = model.forward(
    {
      inputIds: g.input("input_ids", "int32", [b, s]),
      positionIds: positionIds ? g.input("position_ids", "int32", [b, s]) : undefined,
    },
    { training: false },
  );
  g.output("h", out.lastHiddenState);
  const feeds: Record<string, HostTensor> = { input_ids: ids };
  if (positionIds) feeds.position_ids = positionIds;
  return evaluateGraphFloat64(g, feeds).h!.data as Float64Array;
}

describe("BertModel position_ids (Hugging Face's position_ids)", () => {
  const model = new BertModel(config, { seed: 3 });
  const embeddings = model.child<BertEmbeddings>("embeddings");
  const ids = ints([2, 5], [2, 7, 9, 11, 3, 2, 8, 8, 4, 3]);

  it("0..S-1 for every row is the default; k..k+S-1 equals the prefix hook's positionOffset k", () => {
    expect(hidden(model, ids, ints([2, 5], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]))).toEqual(hidden(model, ids));
    embeddings.positionOffset = 3;
    const shifted = hidden(model, ids);
    embeddings.positionOffset = 0;
    expect(hidden(model, ids, ints([2, 5], [3, 4, 5, 6, 7, 3, 4, 5, 6, 7]))).toEqual(shifted);
  });

  it("each row may have its own positions (row 1 shifted by 4 equals that row alone with offset 4)", () => {
    const h = config.hiddenSize;
    const mixed = hidden(model, ids, ints([2, 5], [0, 1, 2, 3, 4, 4, 5, 6, 7, 8]));
    embeddings.positionOffset = 4;
    const row1 = hidden(model, ints([1, 5], [2, 8, 8, 4, 3]));
    embeddings.positionOffset = 0;
    expect(Array.from(mixed.slice(5 * h))).toEqual(Array.from(row1));
    expect(Array.from(mixed.slice(0, 5 * h))).toEqual(Array.from(hidden(model, ids).slice(0, 5 * h)));
  });

  it("rejects position_ids of the wrong dtype or shape", () => {
    const g = new Graph();
    const inputIds = g.input("input_ids", "int32", [2, 5]);
    expect(() =>
      model.forward({ inputIds, positionIds: g.input("p", "int32", [2, 4]) }, { training: false }),
    ).toThrow(/position_ids must be int32 \[2, 5\], got int32\[2, 4\]/);
    expect(() =>
      model.forward({ inputIds, positionIds: g.input("q", "float32", [2, 5]) }, { training: false }),
    ).toThrow(/position_ids must be int32/);
  });
});
