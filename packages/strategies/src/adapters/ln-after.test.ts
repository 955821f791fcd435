import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { loadBottleneckAdapter, saveBottleneckAdapter } from "./adapter-file.js";
import { houlsbyAdapter } from "./bottleneck-strategies.js";

const dirs: string[] = [];
const tmp = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-ln-after-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("bottleneck adapters with ln_after (adapter_norm_after, residual after it)", () => {
  it("a fresh adapter is a no-op; the LayerNorm is trainable and saved", async () => {
    const base = tinyBert(3);
    const adapted = houlsbyAdapter({ name: "a", reductionFactor: 4, lnAfter: true }).apply(base);
    expect(Array.from(await logitsOf(adapted, probeBatch()))).toEqual(
      Array.from(await logitsOf(base, probeBatch())),
    );
    const ln = adapted.getParameter("bert.encoder.layer.0.output.adapters.a.adapter_norm_after.weight");
    expect(ln.trainable).toBe(true);
    randomizeParameters(adapted, /adapters\.a\./, 5, 0.4);
    const dir = await tmp();
    const { keys } = await saveBottleneckAdapter(adapted, dir, { includeHead: false });
    expect(keys).toContain("bert.encoder.layer.1.attention.output.adapters.a.adapter_norm_after.bias");
    const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(config).toMatchObject({ ln_after: true, residual_before_ln: false });
    const loaded = await loadBottleneckAdapter(tinyBert(3), dir);
    expect(Array.from(await logitsOf(loaded, probeBatch()))).toEqual(
      Array.from(await logitsOf(adapted, probeBatch())),
    );
  });

  it("refuses ln_after with the residual before the LayerNorm (AdapterHub's default placement)", async () => {
    const adapted = houlsbyAdapter({ name: "a", reductionFactor: 4, lnAfter: true }).apply(tinyBert(3));
    const dir = await tmp();
    await saveBottleneckAdapter(adapted, dir);
    const path = join(dir, "adapter_config.json");
    const config = JSON.parse(await readFile(path, "utf8"));
    const { residual_before_ln: _, ...withoutPlacement } = config;
    await writeFile(path, JSON.stringify(withoutPlacement));
    await expect(loadBottleneckAdapter(tinyBert(3), dir)).rejects.toThrow(
      /"residual_before_ln" must be false/,
    );
  });

  it("records lnAfter in the strategy options (false by default)", () => {
    expect(houlsbyAdapter().options).toMatchObject({ lnAfter: false });
    expect(houlsbyAdapter({ lnAfter: true }).options).toMatchObject({ lnAfter: true });
  });
});
