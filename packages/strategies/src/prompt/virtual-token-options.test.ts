import { TunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { prefixTuning } from "../prefix/prefix-tuning.js";
import { tinyBert } from "../testing/tiny-bert.js";
import { promptTuning } from "./prompt-tuning.js";
import {
  checkVirtualTokensFit,
  rejectAlreadyApplied,
  resolveVirtualTokenOptions,
} from "./virtual-token-options.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof TunekitError ? e.code : `not a TunekitError: ${e}`;
  }
  return undefined;
}

describe("virtual-token options shared by prefix and prompt tuning", () => {
  it("fills in the defaults and keeps given values", () => {
    expect(resolveVirtualTokenOptions("m", { numVirtualTokens: 3 })).toEqual({
      numVirtualTokens: 3,
      initStd: 1,
      seed: 0,
      trainHead: true,
    });
    expect(
      resolveVirtualTokenOptions("m", { numVirtualTokens: 1, initStd: 0, seed: 7, trainHead: false }),
    ).toEqual({ numVirtualTokens: 1, initStd: 0, seed: 7, trainHead: false });
  });

  it("rejects bad values with CONFIG_INVALID, naming the method, the value and an example", () => {
    for (const n of [0, -2, 1.5, Number.NaN]) {
      expect(() => resolveVirtualTokenOptions("m", { numVirtualTokens: n })).toThrow(
        new RegExp(`^m: numVirtualTokens must be a positive integer, got ${n}; e\\.g\\.`),
      );
    }
    expect(() => resolveVirtualTokenOptions("m", { numVirtualTokens: 2, initStd: -1 })).toThrow(
      /m: initStd must be a finite number >= 0, got -1/,
    );
    expect(() => resolveVirtualTokenOptions("m", { numVirtualTokens: 2, initStd: Infinity })).toThrow(
      /initStd must be a finite number >= 0, got Infinity/,
    );
    expect(() => resolveVirtualTokenOptions("m", { numVirtualTokens: 2, seed: 0.5 })).toThrow(
      /m: seed must be an integer, got 0.5/,
    );
    expect(codeOf(() => resolveVirtualTokenOptions("m", { numVirtualTokens: 0 }))).toBe("CONFIG_INVALID");
  });

  it("fit: P + 1 <= max_position_embeddings; already applied: INVALID_ARGUMENT", () => {
    expect(() => checkVirtualTokensFit("m", 7, 8)).not.toThrow();
    expect(() => checkVirtualTokensFit("m", 8, 8)).toThrow(
      /m: 8 virtual tokens leave no room in max_position_embeddings 8 .*use at most 7 virtual tokens/,
    );
    expect(codeOf(() => checkVirtualTokensFit("m", 8, 8))).toBe("CONFIG_INVALID");
    expect(() => rejectAlreadyApplied("m", "prefix", false)).not.toThrow();
    expect(() => rejectAlreadyApplied("m", "prefix", true)).toThrow(/m: this model already has a prefix/);
    expect(codeOf(() => rejectAlreadyApplied("m", "prefix", true))).toBe("INVALID_ARGUMENT");
  });

  it("both strategies use them: same checks, each method's name in the message", () => {
    for (const [name, make] of [
      ["prefixTuning", prefixTuning],
      ["promptTuning", promptTuning],
    ] as const) {
      expect(() => make({ numVirtualTokens: 0 })).toThrow(
        `${name}: numVirtualTokens must be a positive integer`,
      );
      expect(() => make({ numVirtualTokens: 2, initStd: -0.1 })).toThrow(`${name}: initStd must be`);
      expect(() => make({ numVirtualTokens: 2, seed: Number.NaN })).toThrow(
        `${name}: seed must be an integer`,
      );
      expect(() => make({ numVirtualTokens: 8 }).apply(tinyBert())).toThrow(
        `${name}: 8 virtual tokens leave no room`,
      );
      const adapted = make({ numVirtualTokens: 2 }).apply(tinyBert());
      expect(() => make({ numVirtualTokens: 2 }).apply(adapted)).toThrow(`${name}: this model already has a`);
      expect(make({ numVirtualTokens: 2, initStd: 0.5, seed: 3, trainHead: false }).options).toMatchObject({
        numVirtualTokens: 2,
        initStd: 0.5,
        seed: 3,
        trainHead: false,
      });
    }
    expect(() => prefixTuning({ numVirtualTokens: 2, encoderHiddenSize: 0 })).toThrow(
      /prefixTuning: encoderHiddenSize must be a positive integer, got 0/,
    );
  });
});
