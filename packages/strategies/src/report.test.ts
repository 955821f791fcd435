import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bitfit } from "./bitfit.js";
import { fullFineTuning, headOnly } from "./freeze.js";
import { ia3 } from "./ia3/ia3.js";
import { lora } from "./lora/lora.js";
import { saveAdapter } from "./peft/save-adapter.js";
import { formatStrategyReport, strategyReport } from "./report.js";
import { tinyBert } from "./testing/tiny-bert.js";

describe("strategyReport", () => {
  it("counts trainable parameters, % of base and exact adapter file bytes per method", async () => {
    const base = tinyBert(); // hidden 8, 2 layers, intermediate 12, vocab 24, 3 labels
    const total = base.parameters().reduce((s, p) => s + p.value.data.length, 0);
    const report = strategyReport(base, [
      lora({ r: 4 }),
      lora({ r: 4, useDora: true }),
      ia3(),
      bitfit(),
      headOnly(),
      fullFineTuning(),
    ]);
    console.info(formatStrategyReport(report));
    expect(report.baseTotal).toBe(total);
    const head = 3 * 8 + 3;
    const [l, d, i, b, h, f] = report.rows;
    // LoRA r=4 on query+value of 2 layers: 4 modules × (4·8 + 8·4)
    expect(l!.trainable).toBe(4 * 64 + head);
    expect(l!.added).toBe(4 * 64);
    expect(l!.percentOfBase).toBeCloseTo((100 * (4 * 64 + head)) / total, 10);
    expect(d!.added).toBe(4 * (64 + 8)); // + magnitude vectors [out]
    // IA3: key, value [8] + attention.output.dense input [8] + output.dense input [12], per layer
    expect(i!.added).toBe(2 * (8 + 8 + 8 + 12));
    // BitFit: every bias (LayerNorm included) + the classifier weight
    const biases = base.namedParameters().filter(([n]) => n.endsWith(".bias"));
    expect(b!.trainable).toBe(biases.reduce((s, [, p]) => s + p.value.data.length, 0) + 3 * 8);
    expect(h!.trainable).toBe(head);
    expect(f!.trainable).toBe(total);
    expect([l, d, i].every((r) => r!.isAdapterFile)).toBe(true);
    expect(b!.isAdapterFile).toBe(false);
    // the reported bytes are the real file's size
    const dir = await mkdtemp(join(tmpdir(), "tunekit-report-"));
    const saved = await saveAdapter(lora({ r: 4 }).apply(base), dir);
    expect((await stat(saved.weightsPath)).size).toBe(l!.fileBytes);
    expect(formatStrategyReport(report)).toMatch(/lora r=4\s+283\s+/);
    expect(d!.method).toBe("lora+dora r=4");
  });
});
