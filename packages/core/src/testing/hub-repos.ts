import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors } from "../io/safetensors.js";
import { writeSafetensors } from "../io/safetensors-write.js";
import type { LoopbackRepo } from "./hub-server.js";
import { findRepoRoot } from "./parity-fixtures.js";

/**
 * The committed tiny BERT (3 layers, hidden 24) as Hub repositories for the loopback server:
 * `single` (config + LFS `model.safetensors` + a small `vocab.txt`) and `sharded` (the same
 * weights in two LFS shards with a `model.safetensors.index.json`).
 *
 * @example
 * ```ts
 * const { single, sharded, weights } = await tinyHubRepos();
 * ```
 */
export async function tinyHubRepos(): Promise<{
  readonly single: LoopbackRepo;
  readonly sharded: LoopbackRepo;
  readonly weights: Uint8Array;
}> {
  const dir = join(findRepoRoot()!, "fixtures/parity/bert-3l-h24-seq13-2labels");
  const config = new Uint8Array(await readFile(join(dir, "config.json")));
  const weights = new Uint8Array(await readFile(join(dir, "model.safetensors")));
  const vocab = new TextEncoder().encode(
    `${["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...Array.from({ length: 45 }, (_, i) => `w${i}`)].join("\n")}\n`,
  );
  const { tensors } = readSafetensors(weights);
  const names = [...tensors.keys()].sort();
  const half = Math.ceil(names.length / 2);
  const shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const shards = [names.slice(0, half), names.slice(half)].map((part) =>
    writeSafetensors(new Map(part.map((n) => [n, tensors.get(n)!]))),
  );
  const index = {
    metadata: { total_size: shards.reduce((s, b) => s + b.byteLength, 0) },
    weight_map: Object.fromEntries(names.map((n, i) => [n, shardNames[i < half ? 0 : 1]!])),
  };
  return {
    weights,
    single: {
      commit: "1111111111111111111111111111111111111111",
      files: { "config.json": config, "model.safetensors": weights, "vocab.txt": vocab },
      lfs: ["model.safetensors"],
    },
    sharded: {
      commit: "2222222222222222222222222222222222222222",
      files: {
        "config.json": config,
        "model.safetensors.index.json": new TextEncoder().encode(JSON.stringify(index, null, 2)),
        [shardNames[0]!]: shards[0]!,
        [shardNames[1]!]: shards[1]!,
      },
      lfs: shardNames,
    },
  };
}
