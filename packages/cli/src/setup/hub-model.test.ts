import { describe, expect, it } from "vitest";
import { captureIo } from "../testing/capture-io.js";
import { downloadBar, downloadLine } from "./hub-model.js";

const p = {
  repoId: "org/m",
  file: "model.safetensors",
  received: 5e6,
  total: 1e7,
  resumedFrom: 0,
  done: false,
};

describe("download progress", () => {
  it("a bar on a terminal (throttled, ended by a newline), nothing otherwise", () => {
    let t = 0;
    const tty = captureIo({ isTTY: true, now: () => t });
    const bar = downloadBar(tty);
    bar(p);
    t = 50;
    bar({ ...p, received: 6e6 }); // within 100 ms: not drawn
    t = 200;
    bar({ ...p, received: 1e7, done: true });
    bar.finish();
    expect(tty.err()).toBe(
      `\r${downloadLine(p, 100)}\x1b[K\r${downloadLine({ ...p, received: 1e7, done: true }, 100)}\x1b[K\n`,
    );
    const pipe = captureIo({ isTTY: false });
    const quiet = downloadBar(pipe);
    quiet({ ...p, done: true });
    quiet.finish();
    expect(pipe.err()).toBe("");
  });

  it("fits the width and says when a download resumed", () => {
    expect(downloadLine(p, 80)).toBe("[==========>         ] org/m model.safetensors 5.0/10.0 MB");
    expect(downloadLine({ ...p, resumedFrom: 1 }, 80)).toContain("(resumed)");
    expect(downloadLine({ ...p, repoId: "x".repeat(200) }, 60).length).toBeLessThanOrEqual(59);
  });
});
