import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { TunekitError } from "../errors.js";
import { generate } from "../generation/generate.js";
import { loadCausalLmCheckpoint } from "../models/causal-lm-checkpoint.js";
import { findRepoRoot } from "./parity-fixtures.js";

/**
 * The committed greedy-decoding references (`fixtures/generation/greedy.json`, made by
 * `scripts/make_generation_fixture.py` with PyTorch in float64): per model folder, prompts and the
 * tokens a greedy decode of each prompt alone produces.
 *
 * @example
 * ```ts
 * const { maxNewTokens, models } = readGenerationFixture();
 * ```
 */
export function readGenerationFixture(root: string | undefined = findRepoRoot()): {
  readonly maxNewTokens: number;
  readonly models: { folder: string; cases: { prompt: number[]; expected: number[] }[] }[];
} {
  if (root === undefined) {
    throw new TunekitError(
      "IO_ERROR",
      "readGenerationFixture: no repository root (turbo.json) above the working folder; run from inside the repository",
    );
  }
  const json = JSON.parse(readFileSync(join(root, "fixtures", "generation", "greedy.json"), "utf8")) as {
    max_new_tokens: number;
    models: { folder: string; cases: { prompt: number[]; expected: number[] }[] }[];
  };
  return {
    maxNewTokens: json.max_new_tokens,
    models: json.models.map((m) => ({ ...m, folder: join(root, m.folder) })),
  };
}

/**
 * Registers generation parity on a backend: for each model of {@link readGenerationFixture},
 * all prompts in one batch, greedy, with left and with right padding, with the static
 * key/value cache and without it, give PyTorch's tokens exactly; the cached run compiles
 * one prefill and one decode graph, the uncached one a single graph.
 *
 * @example
 * ```ts
 * describeGenerationParity("ONNX Runtime", () => createOnnxBackend());
 * ```
 */
export function describeGenerationParity(
  backendName: string,
  createBackend: () => Backend | Promise<Backend>,
): void {
  const fixture = readGenerationFixture();
  describe(`generation parity with PyTorch greedy (${backendName})`, () => {
    for (const m of fixture.models) {
      const name = m.folder.split(/[\\/]/).pop()!;
      it(`${name}: batched greedy decode equals PyTorch token for token (left/right padding, cache on/off)`, async () => {
        const backend = await createBackend();
        try {
          const { model } = await loadCausalLmCheckpoint(m.folder);
          const prompts = m.cases.map((c) => c.prompt);
          const expected = m.cases.map((c) => c.expected);
          for (const [paddingSide, kvCache] of [
            ["left", true],
            ["right", true],
            ["left", false],
          ] as const) {
            const result = await generate(model, backend, prompts, {
              maxNewTokens: fixture.maxNewTokens,
              stopTokenIds: [],
              paddingSide,
              kvCache,
              lengthBucket: 8,
            });
            expect(
              result.sequences.map((s) => s.tokens),
              `${paddingSide} padding, kvCache ${kvCache}`,
            ).toEqual(expected);
            expect(result.compiledGraphs.length).toBe(kvCache ? 2 : 1);
          }
        } finally {
          backend.dispose();
        }
      });
    }
  });
}
