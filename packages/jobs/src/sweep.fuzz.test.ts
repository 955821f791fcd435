import { isTunekitError } from "@tunekit/core";
import { mulberry32 } from "@tunekit/core/data";
import { describe, expect, it } from "vitest";
import { expandSweep } from "./sweep.js";
import { writeToySweep } from "./testing/toy-sweep.js";

// Hostile sweep documents: 400 seeded mutations of a valid sweep either expand or throw
// CONFIG_INVALID / IO_ERROR, never another error, each within a second.
const HOSTILE: unknown[] = [
  null,
  true,
  -1,
  1e308,
  Number.NaN,
  "",
  "__proto__",
  "a..b",
  "../../../etc/passwd",
  [],
  [[]],
  {},
  { "__proto__.x": [1] },
  { constructor: [1] },
  { "training.lr": [] },
  { "training.lr": Array.from({ length: 200 }, (_, i) => i + 1) },
  { output: "x" },
  Array.from({ length: 50 }, (_, i) => ({ "training.seed": i })),
  "x".repeat(10_000),
];

function mutate(doc: unknown, rng: () => number): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const keys = ["base", "set", "tasks", "strategies", "grid", "list", "seeds", "gird"];
  for (let n = 1 + Math.floor(rng() * 3); n > 0; n--) {
    const key = pick(keys);
    const value = copy[key];
    if (rng() < 0.5 || typeof value !== "object" || value === null)
      copy[key] = structuredClone(pick(HOSTILE));
    else if (Array.isArray(value))
      value[Math.floor(rng() * (value.length + 1))] = structuredClone(pick(HOSTILE));
    else
      (value as Record<string, unknown>)[pick(["training.lr", "a", "strategy", "model.random.layers"])] =
        structuredClone(pick(HOSTILE));
  }
  return copy;
}

describe("sweep files under hostile input", () => {
  it("400 seeded mutations: jobs or CONFIG_INVALID / IO_ERROR, each within a second", async () => {
    const toy = await writeToySweep();
    const valid = {
      base: "base.json",
      set: { "training.maxLength": 12 },
      tasks: { a: { "data.maxRows.train": 16 } },
      strategies: ["full", "lora"],
      grid: { "training.lr": [0.001, 0.002] },
      list: [{ "training.batchSize": 4 }],
      seeds: [1, 2],
    };
    const where = { source: "fuzz.yaml", dir: toy.dir, cwd: toy.dir };
    expect(await expandSweep(valid, where)).toHaveLength(8);
    const rng = mulberry32(17);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const doc = mutate(valid, rng);
      const started = performance.now();
      const outcome = await expandSweep(doc, where).then(
        () => "ok",
        (e: unknown) => {
          if (isTunekitError(e, "CONFIG_INVALID") || isTunekitError(e, "IO_ERROR")) return e.code;
          throw new Error(`case ${i} ${JSON.stringify(doc).slice(0, 300)}: ${String(e)}`);
        },
      );
      expect(performance.now() - started, `case ${i}`).toBeLessThan(1000);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(outcomes.CONFIG_INVALID).toBeGreaterThan(100);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
