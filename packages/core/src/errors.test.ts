import { describe, expect, it } from "vitest";
import { isTunekitError, TunekitError } from "./errors.js";

describe("TunekitError", () => {
  it("carries a code, details and cause", () => {
    const cause = new Error("inner");
    const e = new TunekitError("CONFIG_INVALID", "bad", { cause, details: { key: "x" } });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.details).toEqual({ key: "x" });
    expect(e.cause).toBe(cause);
    expect(isTunekitError(e)).toBe(true);
    expect(isTunekitError(e, "CONFIG_INVALID")).toBe(true);
    expect(isTunekitError(e, "IO_ERROR")).toBe(false);
    expect(isTunekitError(new Error("x"))).toBe(false);
  });
});
