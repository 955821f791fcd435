// @tunekit/core/testing/properties: fast-check arbitraries and a property runner for
// hostile-input tests. A subpath of its own so that @tunekit/core/testing does not need
// fast-check (an optional peer dependency: install it to use this entry point).
import * as fc from "fast-check";
import type { TunekitErrorCode } from "../errors.js";
import { type HostileOutcome, runHostileCase } from "./hostile-input.js";

/** Bytes that tend to break parsers: quotes, separators, newlines, NUL, BOM and UTF-8 fragments. */
const NASTY = [
  0x22, 0x27, 0x2c, 0x09, 0x0a, 0x0d, 0x00, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x5c, 0xef, 0xbb, 0xbf, 0xc3, 0x80,
  0xff, 0xfe, 0xed, 0xa0, 0x30, 0x2d, 0x65,
];

/**
 * One edit of a byte string, as {@link hostileBytes} draws it: `at` and `len` are taken modulo
 * the input's length, so any drawn edit applies to any input (and fast-check can shrink it).
 *
 * @example
 * ```ts
 * const edit: ByteEdit = { kind: "truncate", at: 10, len: 1, bytes: new Uint8Array(0) };
 * ```
 */
export interface ByteEdit {
  readonly kind: "flip" | "overwrite" | "insert" | "delete" | "duplicate" | "truncate" | "splice";
  readonly at: number;
  readonly len: number;
  readonly bytes: Uint8Array;
}

/**
 * Applies one {@link ByteEdit} to a copy of `input`.
 *
 * @example
 * ```ts
 * applyByteEdit(Uint8Array.of(1, 2, 3), { kind: "delete", at: 1, len: 1, bytes: new Uint8Array(0) }); // [1, 3]
 * ```
 */
export function applyByteEdit(input: Uint8Array, edit: ByteEdit): Uint8Array {
  const n = input.length;
  const at = n === 0 ? 0 : edit.at % n;
  const splice = (start: number, remove: number, insert: Uint8Array): Uint8Array => {
    const out = new Uint8Array(n - remove + insert.length);
    out.set(input.subarray(0, start), 0);
    out.set(insert, start);
    out.set(input.subarray(start + remove), start + insert.length);
    return out;
  };
  const first = edit.bytes[0] ?? 0;
  const len = Math.min(n - at, edit.len);
  switch (edit.kind) {
    case "flip": {
      const out = input.slice();
      if (n > 0) out[at] = out[at]! ^ (1 << (first % 8));
      return out;
    }
    case "overwrite": {
      const out = input.slice();
      if (n > 0) out[at] = NASTY[first % NASTY.length]!;
      return out;
    }
    case "insert":
      return splice(at, 0, Uint8Array.of(NASTY[first % NASTY.length]!));
    case "delete":
      return splice(at, len, new Uint8Array(0));
    case "duplicate":
      return splice(at, 0, input.slice(at, at + len));
    case "truncate":
      return input.slice(0, at);
    case "splice":
      return splice(at, 0, edit.bytes);
  }
}

const byteEdit: fc.Arbitrary<ByteEdit> = fc.record({
  kind: fc.constantFrom("flip", "overwrite", "insert", "delete", "duplicate", "truncate", "splice"),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 64 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

/**
 * A fast-check arbitrary of hostile byte strings built from a valid file: one to `maxEdits`
 * stacked {@link ByteEdit}s of it (most cases), a valid prefix followed by random bytes, or
 * plain random bytes of up to 2 × its length.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(hostileBytes(validFile), (bytes) => parseOrTypedError(bytes)), { seed: 1 });
 * ```
 */
export function hostileBytes(valid: Uint8Array, maxEdits = 3): fc.Arbitrary<Uint8Array> {
  const edited = fc
    .array(byteEdit, { minLength: 1, maxLength: maxEdits })
    .map((edits) => edits.reduce(applyByteEdit, valid));
  const prefixThenNoise = fc
    .tuple(fc.nat({ max: valid.length }), fc.uint8Array({ maxLength: 256 }))
    .map(([cut, tail]) => {
      const out = new Uint8Array(cut + tail.length);
      out.set(valid.subarray(0, cut), 0);
      out.set(tail, cut);
      return out;
    });
  const noise = fc.uint8Array({ maxLength: Math.max(16, 2 * valid.length) });
  return fc.oneof(
    { arbitrary: edited, weight: 6 },
    { arbitrary: prefixThenNoise, weight: 2 },
    { arbitrary: noise, weight: 1 },
  );
}

/** Marks a key to delete in {@link hostileJson}. */
const DELETE = Symbol("delete");

/**
 * A fast-check arbitrary of JSON documents made from a valid one: the value at one path
 * (chosen by drawn indexes, descending through objects and arrays) replaced with any JSON
 * value (`fc.jsonValue`, odd keys such as `__proto__` included) or deleted.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(hostileJson(JSON.parse(configText)), (doc) => parseOrTypedError(doc)), { seed: 2 });
 * ```
 */
export function hostileJson(valid: unknown): fc.Arbitrary<unknown> {
  const replacement = fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 8 },
    { arbitrary: fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 2, 1.5, "", "__proto__"), weight: 3 },
    { arbitrary: fc.constant(DELETE), weight: 2 },
  );
  return fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), replacement).map(([path, value]) => {
    const copy: unknown = JSON.parse(JSON.stringify(valid));
    if (typeof copy !== "object" || copy === null) return value === DELETE ? null : value;
    let parent = copy as Record<string, unknown>;
    for (let i = 0; i < path.length; i++) {
      const keys = Object.keys(parent);
      if (keys.length === 0) break;
      const key = keys[path[i]! % keys.length]!;
      const child = parent[key];
      if (i < path.length - 1 && typeof child === "object" && child !== null) {
        parent = child as Record<string, unknown>;
        continue;
      }
      if (value === DELETE) delete parent[key];
      else
        Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
      break;
    }
    // Round-trip so the result is what a JSON file could hold (a deleted array entry is null).
    return JSON.parse(JSON.stringify(copy)) as unknown;
  });
}

/**
 * Number of fast-check runs for a fuzz property: `base`, times the `TUNEKIT_FUZZ_SCALE`
 * environment variable when it is set (a longer run: `TUNEKIT_FUZZ_SCALE=100 npx vitest run
 * packages/core/src/io/safetensors.fuzz.test.ts`).
 *
 * @example
 * ```ts
 * const numRuns = fuzzRuns(200); // 200 in CI, 20,000 with TUNEKIT_FUZZ_SCALE=100
 * ```
 */
export function fuzzRuns(base: number): number {
  const scale = Number(process.env.TUNEKIT_FUZZ_SCALE ?? "1");
  return Number.isFinite(scale) && scale > 0 ? Math.max(1, Math.round(base * scale)) : base;
}

/**
 * Checks with fast-check that `parse` either succeeds or throws a TunekitError with one of
 * `codes`, within the CPU-time bound of {@link runHostileCase} (default 1 s per case), for
 * `numRuns` inputs drawn from `arbitrary` with a fixed `seed`. A failure reports the seed, the
 * shrunk counterexample and the error. Returns how many cases ended in each outcome.
 *
 * @example
 * ```ts
 * const tally = await assertHostileProperty(hostileBytes(valid), (b) => readSafetensors(b), {
 *   codes: ["SAFETENSORS_INVALID"],
 *   seed: 1,
 *   numRuns: 300,
 * });
 * ```
 */
export async function assertHostileProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  parse: (input: T) => unknown,
  options: {
    readonly codes: readonly TunekitErrorCode[];
    readonly seed: number;
    readonly numRuns: number;
    readonly maxMs?: number;
  },
): Promise<Record<string, number>> {
  const tally: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      const outcome: HostileOutcome = await runHostileCase("fast-check case", () => parse(input), {
        codes: options.codes,
        ...(options.maxMs !== undefined ? { maxMs: options.maxMs } : {}),
      });
      tally[outcome] = (tally[outcome] ?? 0) + 1;
    }),
    { seed: options.seed, numRuns: fuzzRuns(options.numRuns), endOnFailure: false },
  );
  return tally;
}
