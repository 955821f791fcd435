import type { TrainerProgress } from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { formatDuration, ProgressRenderer, progressBar, progressLine } from "./progress.js";
import { captureIo } from "./testing/capture-io.js";

const at = (step: number, over: Partial<TrainerProgress> = {}): TrainerProgress => ({
  step,
  totalSteps: 100,
  epoch: 0,
  epochs: 2,
  loss: 0.69321,
  lr: 1e-3,
  tokensPerSecond: 2500,
  examplesPerSecond: 180.25,
  elapsedSeconds: 10,
  etaSeconds: 65,
  ...over,
});

describe("progress rendering", () => {
  it("formats durations", () => {
    expect(formatDuration(45.4)).toBe("45s");
    expect(formatDuration(185)).toBe("3m05s");
    expect(formatDuration(3720)).toBe("1h02m");
    expect(formatDuration(Number.NaN)).toBe("?");
  });

  it("plain lines carry step, loss, throughput and ETA", () => {
    expect(progressLine(at(20))).toBe(
      "step 20/100 (20%) epoch 1/2 loss 0.6932 lr 1.0e-3 | 180.3 ex/s 2.5k tok/s | eta 1m05s",
    );
  });

  it("the bar fills with the steps done and fits the width", () => {
    const half = progressBar(at(50), 100);
    expect(half.startsWith("[")).toBe(true);
    const bar = half.slice(1, half.indexOf("]"));
    expect(bar.replace(/[^=]/g, "").length).toBe(Math.round(bar.length / 2));
    expect(half).toContain("50/100 loss 0.6932 | 180.3 ex/s 2.5k tok/s | eta 1m05s");
    expect(progressBar(at(100), 60).length).toBeLessThanOrEqual(59);
    expect(progressBar(at(100), 100)).toMatch(/^\[=+\]/);
    // an unknown width (0, e.g. no window size) falls back to 80 columns instead of cutting the line
    expect(progressBar(at(50), 0)).toContain("| eta 1m05s");
  });

  it("without a TTY logs every logEvery steps, the first and the last", () => {
    const io = captureIo();
    const r = new ProgressRenderer(io, { logEvery: 10 });
    for (let s = 1; s <= 25; s++) r.update(at(s, { totalSteps: 25 }));
    const lines = io.err().trim().split("\n");
    expect(lines.map((l) => l.split(" ")[1])).toEqual(["1/25", "10/25", "20/25", "25/25"]);
    expect(io.err()).not.toContain("\r");
  });

  it("estimates the ETA from the updates after the first (which includes compiling)", () => {
    const io = captureIo();
    const r = new ProgressRenderer(io, { logEvery: 1 });
    r.update(at(1, { elapsedSeconds: 30, etaSeconds: 2970 })); // 30 s: compile + first step
    r.update(at(11, { elapsedSeconds: 40, etaSeconds: 324 })); // then 1 s per step
    const lines = io.err().trim().split("\n");
    expect(lines[0]).toContain("eta 49m30s"); // nothing better known yet
    expect(lines[1]).toContain("eta 1m29s"); // 89 steps left at 1 s each
  });

  it("on a TTY redraws one line at most every 100 ms and keeps messages above it", () => {
    let t = 0;
    const io = captureIo({ isTTY: true, now: () => t });
    const r = new ProgressRenderer(io);
    r.update(at(1));
    t = 50;
    r.update(at(2)); // throttled
    t = 150;
    r.update(at(3));
    r.line("eval step 3 accuracy 0.5");
    r.update(at(100)); // last step always drawn
    r.finish();
    const draws = io
      .err()
      .split("\r")
      .filter((s) => s.startsWith("["));
    expect(draws.map((d) => d.match(/\] (\d+)\//)?.[1])).toEqual(["1", "3", "100"]);
    expect(io.err()).toContain("\r\x1b[Keval step 3 accuracy 0.5\n");
    expect(io.err().endsWith("\n")).toBe(true);
  });
});
