import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { runHostileCase } from "./hostile-input.js";
import { checkParityFolder } from "./parity.js";
import { parityFixtureFolders } from "./parity-fixtures.js";

// A damaged reference.json in a parity folder is a CONFIG_INVALID error naming the file,
// not a TypeError deep inside the LoRA or AdamW check.
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-parity-json-"));
  await cp(parityFixtureFolders(undefined)[0]!, dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("checkParityFolder with a hostile reference.json", () => {
  it("rejects non-JSON, missing sections and wrong types with CONFIG_INVALID", async () => {
    const cases: [string, string][] = [
      ["not JSON", "{"],
      ["null", "null"],
      ["no adamw", '{"lora": {"r": 4, "lora_alpha": 8, "target_modules": ["query"]}}'],
      ["r as a string", '{"lora": {"r": "4", "lora_alpha": 8, "target_modules": []}, "adamw": {}}'],
      [
        "lr missing",
        '{"lora": {"r": 4, "lora_alpha": 8, "target_modules": ["query"]}, "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0}}',
      ],
    ];
    const backend = createReferenceBackend();
    for (const [label, text] of cases) {
      await writeFile(join(dir, "reference.json"), text);
      expect(
        await runHostileCase(label, () => checkParityFolder(dir, backend), { codes: ["CONFIG_INVALID"] }),
        label,
      ).toBe("CONFIG_INVALID");
    }
    await expect(checkParityFolder(dir, backend)).rejects.toThrow(/reference\.json: expected \{"lora"/);
  });
});
