import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { resumeCommand } from "./interrupted-run.js";
import { InterruptGuard, type SignalSource, signalExitCode } from "./interrupts.js";

function harness(): {
  guard: InterruptGuard;
  signals: EventEmitter;
  exits: number[];
  notes: string[];
  released: number[];
} {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const notes: string[] = [];
  const released: number[] = [];
  const guard = new InterruptGuard({
    note: (l) => notes.push(l),
    exit: (c) => exits.push(c),
    beforeExit: () => released.push(1),
    signals: signals as unknown as SignalSource,
  });
  return { guard, signals, exits, notes, released };
}

describe("InterruptGuard", () => {
  it("while training, the first signal stops the trainer; a second exits at once (lock released first)", () => {
    const h = harness();
    let stops = 0;
    h.guard.training({ stop: () => stops++ });
    h.signals.emit("SIGINT");
    expect(stops).toBe(1);
    expect(h.exits).toEqual([]);
    expect(h.notes.join("\n")).toContain("stopping after the current step and saving a checkpoint");
    expect(h.guard.received).toBe("SIGINT");
    h.signals.emit("SIGINT");
    expect(h.exits).toEqual([130]);
    expect(h.released).toEqual([1]);
    expect(h.notes.join("\n")).toContain("exiting at once");
  });

  it("before training a signal exits at once; SIGTERM exits 143", () => {
    const h = harness();
    h.signals.emit("SIGTERM");
    expect(h.exits).toEqual([143]);
    expect(h.notes.join("\n")).toContain("nothing to save");
  });

  it("while the final files are written the first signal only warns; dispose removes the handlers", () => {
    const h = harness();
    h.guard.training({ stop: () => undefined });
    h.guard.finishing();
    h.signals.emit("SIGINT");
    expect(h.exits).toEqual([]);
    expect(h.notes.join("\n")).toContain("final files are being written");
    h.guard.dispose();
    expect(h.signals.listenerCount("SIGINT") + h.signals.listenerCount("SIGTERM")).toBe(0);
  });

  it("exit codes are 128 + the signal number", () => {
    expect(signalExitCode("SIGINT")).toBe(130);
    expect(signalExitCode("SIGTERM")).toBe(143);
  });
});

describe("resumeCommand", () => {
  it("repeats the command line with --resume, quoting values for a POSIX shell", () => {
    const cmd = resumeCommand({
      positionals: ["examples/sst2-tiny.json"],
      flags: {
        "max-steps": "50",
        set: ["training.lr=1e-3", 'strategy={"method":"lora"}'],
        json: true,
        resume: false,
      },
    });
    expect(cmd).toBe(
      'tunekit train examples/sst2-tiny.json --max-steps 50 --set training.lr=1e-3 --set \'strategy={"method":"lora"}\' --json --resume',
    );
  });
});
