import { createReferenceBackend, type HostTensor } from "@tunekit/core";
import { type AnyBertModel, traceForward } from "@tunekit/core/models";

const backend = createReferenceBackend();

/** Test support (not exported): logits of `model` on `batch` on the reference backend. */
export async function logitsOf(
  model: AnyBertModel,
  batch: Record<string, HostTensor>,
): Promise<Float32Array> {
  const [b, s] = batch.input_ids!.shape as [number, number];
  const { graph } = traceForward(model, { batchSize: b, seqLength: s });
  const constants = Object.fromEntries(
    model
      .namedParameters()
      .filter(([name]) => graph.params.has(name))
      .map(([name, p]) => [name, p.value]),
  );
  const exe = await backend.compile(graph, { constants });
  const { input_ids, attention_mask, token_type_ids } = batch;
  const out = await exe.run({
    input_ids: input_ids!,
    attention_mask: attention_mask!,
    token_type_ids: token_type_ids!,
  });
  return out.logits!.data as Float32Array;
}
