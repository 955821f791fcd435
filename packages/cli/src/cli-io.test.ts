import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { safeWriter } from "./cli-io.js";

describe("safeWriter", () => {
  it("an EPIPE emitted by the stream does not throw; later writes are dropped", async () => {
    let calls = 0;
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        calls++;
        cb(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const write = safeWriter(stream);
    write("one\n");
    await new Promise((r) => setImmediate(r)); // the 'error' event is emitted asynchronously
    write("two\n");
    write("three\n");
    expect(calls).toBe(1);
  });

  it("a write that throws (EBADF) does not throw either", () => {
    let calls = 0;
    const stream = {
      on: () => stream,
      write: () => {
        calls++;
        throw Object.assign(new Error("EBADF: bad file descriptor, write"), { code: "EBADF" });
      },
    } as unknown as NodeJS.WritableStream;
    const write = safeWriter(stream);
    expect(() => write("banner\n")).not.toThrow();
    write("more\n");
    expect(calls).toBe(1);
  });
});
