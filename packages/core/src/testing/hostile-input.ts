import { mulberry32, type Rng, randomInt } from "../data/random.js";
import { type TunekitErrorCode, TunekitError } from "../errors.js";

/**
 * What one hostile-input case did: parsed fine (`"ok"`), or failed with a
 * {@link TunekitError} of the given code. Anything else (a `TypeError`, a `RangeError`, a
 * plain `Error`, a time-out) is a bug and makes {@link runHostileCase} throw.
 *
 * @example
 * ```ts
 * const outcome: HostileOutcome = "CONFIG_INVALID";
 * ```
 */
export type HostileOutcome = "ok" | TunekitErrorCode;

/**
 * Runs `parse` on one hostile input and checks that it either succeeds or throws a
 * {@link TunekitError} with one of `codes`, within `maxMs` milliseconds of CPU time and 10 ×
 * `maxMs` of wall time (bounds that catch hangs and quadratic blow-ups without failing on a
 * busy machine). Throws an `Error` describing the case otherwise.
 *
 * @example
 * ```ts
 * const outcome = await runHostileCase("flip byte 3", () => parseBertConfig(JSON.parse(text)), {
 *   codes: ["CONFIG_INVALID"],
 * });
 * ```
 */
export async function runHostileCase(
  label: string,
  parse: () => unknown,
  options: { readonly codes: readonly TunekitErrorCode[]; readonly maxMs?: number },
): Promise<HostileOutcome> {
  const maxMs = options.maxMs ?? 1000;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let outcome: HostileOutcome = "ok";
  try {
    await parse();
  } catch (e) {
    if (!(e instanceof TunekitError)) {
      const what = e instanceof Error ? `${e.name}: ${e.message}` : `a thrown ${typeof e} ${String(e)}`;
      throw new Error(`${label}: expected success or a TunekitError, got ${what.slice(0, 500)}`, {
        cause: e,
      });
    }
    if (!options.codes.includes(e.code)) {
      throw new Error(
        `${label}: TunekitError code ${e.code} (${e.message.slice(0, 300)}) is not one of ${options.codes.join(", ")}`,
      );
    }
    if (e.message.trim().length < 10) throw new Error(`${label}: error message too short: "${e.message}"`);
    outcome = e.code;
  }
  // CPU time (this process) is what a runaway parser burns, and unlike wall time it does not
  // grow when other jobs share the machine; wall time still gets a 10x looser bound.
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const ms = performance.now() - t0;
  if (cpuMs > maxMs || ms > 10 * maxMs) {
    throw new Error(
      `${label}: took ${cpuMs.toFixed(0)} ms of CPU (${ms.toFixed(0)} ms wall), more than the ${maxMs} ms bound`,
    );
  }
  return outcome;
}

/** Bytes that tend to break parsers: quotes, separators, newlines, NUL, BOM and UTF-8 fragments. */
const NASTY_BYTES = [
  0x22, 0x27, 0x2c, 0x09, 0x0a, 0x0d, 0x00, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x5c, 0xef, 0xbb, 0xbf, 0xc3, 0x80,
  0xff, 0xfe, 0xed, 0xa0, 0x30, 0x2d, 0x65,
];

/**
 * One seeded random mutation of `bytes` (never in place): flip a bit, overwrite or insert a
 * "nasty" byte (quote, delimiter, newline, NUL, BOM/UTF-8 fragment), delete or duplicate a
 * range, truncate, or splice a run of random bytes. Returns the mutated copy and a short
 * description for failure messages.
 *
 * @example
 * ```ts
 * const rng = mulberry32(1);
 * const { bytes, what } = mutateBytes(valid, rng);
 * ```
 */
export function mutateBytes(bytes: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  const n = bytes.length;
  const at = n === 0 ? 0 : randomInt(rng, n);
  const nasty = (): number => NASTY_BYTES[randomInt(rng, NASTY_BYTES.length)]!;
  const splice = (start: number, remove: number, insert: ArrayLike<number>): Uint8Array => {
    const out = new Uint8Array(n - remove + insert.length);
    out.set(bytes.subarray(0, start), 0);
    out.set(insert, start);
    out.set(bytes.subarray(start + remove), start + insert.length);
    return out;
  };
  switch (randomInt(rng, 7)) {
    case 0: {
      const out = bytes.slice();
      if (n > 0) out[at] = out[at]! ^ (1 << randomInt(rng, 8));
      return { bytes: out, what: `flip a bit at ${at}` };
    }
    case 1: {
      const out = bytes.slice();
      if (n > 0) out[at] = nasty();
      return { bytes: out, what: `overwrite byte ${at} with ${out[at] ?? "-"}` };
    }
    case 2: {
      const b = nasty();
      return { bytes: splice(at, 0, [b]), what: `insert byte ${b} at ${at}` };
    }
    case 3: {
      const len = Math.min(n - at, 1 + randomInt(rng, 64));
      return { bytes: splice(at, len, []), what: `delete ${len} bytes at ${at}` };
    }
    case 4: {
      const len = Math.min(n - at, 1 + randomInt(rng, 64));
      return { bytes: splice(at, 0, bytes.slice(at, at + len)), what: `duplicate ${len} bytes at ${at}` };
    }
    case 5:
      return { bytes: bytes.slice(0, at), what: `truncate to ${at} bytes` };
    default: {
      const run = Array.from({ length: 1 + randomInt(rng, 16) }, () => randomInt(rng, 256));
      return { bytes: splice(at, 0, run), what: `insert ${run.length} random bytes at ${at}` };
    }
  }
}

/**
 * `count` seeded mutations of `bytes` (1 to 3 stacked mutations each), for fuzz tests that
 * must be reproducible: the same seed gives the same cases on every run.
 *
 * @example
 * ```ts
 * for (const { bytes, what } of mutations(valid, 200, 42)) await runHostileCase(what, () => parse(bytes), opts);
 * ```
 */
export function mutations(
  bytes: Uint8Array,
  count: number,
  seed: number,
): { bytes: Uint8Array; what: string }[] {
  const rng = mulberry32(seed);
  const out: { bytes: Uint8Array; what: string }[] = [];
  for (let i = 0; i < count; i++) {
    let cur = bytes;
    const steps: string[] = [];
    for (let k = 0, m = 1 + randomInt(rng, 3); k < m; k++) {
      const r = mutateBytes(cur, rng);
      cur = r.bytes;
      steps.push(r.what);
    }
    out.push({ bytes: cur, what: `case ${i} (seed ${seed}): ${steps.join(", ")}` });
  }
  return out;
}

/**
 * A seeded random JSON value (nulls, booleans, extreme numbers, odd strings, small arrays
 * and objects, with `__proto__`-like keys) to substitute into a valid document.
 *
 * @example
 * ```ts
 * const v = randomJsonValue(mulberry32(3), 2);
 * ```
 */
export function randomJsonValue(rng: Rng, depth = 2): unknown {
  const scalars: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    "",
    "0",
    "\u0000",
    "\ud800",
    "a".repeat(1000),
    "__proto__",
    "[UNK]",
  ];
  const kind = randomInt(rng, depth > 0 ? 5 : 3);
  if (kind < 3) return scalars[randomInt(rng, scalars.length)];
  if (kind === 3) return Array.from({ length: randomInt(rng, 4) }, () => randomJsonValue(rng, depth - 1));
  const keys = ["__proto__", "constructor", "0", "type", "vocab", "id", ""];
  const obj: Record<string, unknown> = {};
  for (let i = randomInt(rng, 4); i > 0; i--) {
    Object.defineProperty(obj, keys[randomInt(rng, keys.length)]!, {
      value: randomJsonValue(rng, depth - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return obj;
}

/**
 * A deep copy of the JSON document `doc` with the value at one random path (chosen by
 * `rng`) replaced by {@link randomJsonValue}, or the key deleted (an array entry becomes
 * `null`, as in JSON). Returns the copy and the path it changed.
 *
 * @example
 * ```ts
 * const { doc: broken, path } = mutateJson(JSON.parse(text), mulberry32(5));
 * ```
 */
export function mutateJson(doc: unknown, rng: Rng): { doc: unknown; path: string } {
  const copy: unknown = JSON.parse(JSON.stringify(doc));
  if (typeof copy !== "object" || copy === null) return { doc: randomJsonValue(rng), path: "$" };
  let parent = copy as Record<string, unknown>;
  let path = "$";
  for (;;) {
    const keys = Object.keys(parent);
    if (keys.length === 0) break;
    const key = keys[randomInt(rng, keys.length)]!;
    const child = parent[key];
    const descend = typeof child === "object" && child !== null && rng() < 0.6;
    if (!descend) {
      path += `.${key}`;
      if (rng() < 0.2) delete parent[key];
      else {
        Object.defineProperty(parent, key, {
          value: randomJsonValue(rng),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      // Round-trip so the result is what a JSON file could hold (a deleted array entry is null).
      return { doc: JSON.parse(JSON.stringify(copy)), path };
    }
    parent = child as Record<string, unknown>;
    path += `.${key}`;
  }
  return { doc: copy, path };
}
