import { readFile } from "node:fs/promises";
import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { parseTrainConfig } from "./train-config.js";

// schema/train-config.schema.json (for editors) lists exactly the keys the validator accepts:
// each object's properties are compared with the "allowed keys" of the validator's error for
// an unknown key at that path.
const schema = JSON.parse(
  await readFile(new URL("../../schema/train-config.schema.json", import.meta.url), "utf8"),
) as SchemaNode;

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  oneOf?: SchemaNode[];
}

const base = {
  model: { random: {} },
  tokenizer: "tok",
  data: { config: "d.json" },
  training: { epochs: 1 },
  output: "out",
};

/** Allowed keys the validator names for an unknown key in the object at `path`. */
function allowedKeys(raw: unknown): string[] {
  try {
    parseTrainConfig(raw, { source: "t.json", configDir: "/", cwd: "/" });
  } catch (e) {
    if (!isTunekitError(e, "CONFIG_INVALID")) throw e;
    const m = /allowed keys: (.*)$/.exec(e.message);
    if (m) return m[1]!.split(", ").sort();
    throw new Error(`no allowed keys in: ${e.message}`);
  }
  throw new Error("expected a CONFIG_INVALID error");
}

function schemaKeys(path: string[]): string[] {
  let node: SchemaNode | undefined = schema;
  for (const k of path) {
    const next: SchemaNode | undefined = node?.properties?.[k];
    node = next?.properties ? next : next?.oneOf?.find((o) => o.properties !== undefined);
  }
  return Object.keys(node?.properties ?? {}).sort();
}

const X = { zzz: 1 };
const cases: [string[], unknown][] = [
  [[], { ...base, ...X }],
  [["model"], { ...base, model: { random: {}, ...X } }],
  [["model", "random"], { ...base, model: { random: X } }],
  [["data"], { ...base, data: { config: "d.json", ...X } }],
  [["data", "maxRows"], { ...base, data: { config: "d.json", maxRows: X } }],
  [["data", "tokens"], { ...base, data: { tokens: { splits: { train: "t" }, ...X } } }],
  [["data", "tokens", "splits"], { ...base, data: { tokens: { splits: { train: "t", ...X } } } }],
  [["data", "jsonl"], { ...base, data: { jsonl: { train: "t", ...X } } }],
  [["backend"], { ...base, backend: { name: "onnx", ...X } }],
  [
    ["sampling"],
    { ...base, data: undefined, tasks: [{ name: "a", data: { config: "d.json" } }], sampling: X },
  ],
  [["training"], { ...base, training: { epochs: 1, ...X } }],
  [["training", "earlyStopping"], { ...base, training: { epochs: 1, earlyStopping: { patience: 1, ...X } } }],
];

describe("train config JSON schema", () => {
  for (const [path, raw] of cases) {
    it(`${path.join(".") || "(top level)"} has the validator's keys`, () => {
      expect(schemaKeys(path)).toEqual(allowedKeys(raw));
    });
  }
});
