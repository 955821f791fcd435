import { createHash } from "node:crypto";
import type * as ort from "onnxruntime-node";

interface Entry {
  readonly session: Promise<ort.InferenceSession>;
  refs: number;
}

/**
 * onnxruntime sessions keyed by the SHA-256 of the model bytes and the outputs left on the
 * device, reference-counted: compiling the same lowered graph twice shares one session, and a
 * session is released when the last executable using it is disposed.
 *
 * @example
 * ```ts
 * const cache = new SessionCache((bytes, keepOnDevice) => ort.InferenceSession.create(bytes, opts));
 * const { key, session } = await cache.acquire(bytes);
 * cache.release(key);
 * ```
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Sessions created so far (cache misses), for tests and logs. */
  created = 0;

  constructor(
    private readonly create: (
      bytes: Uint8Array,
      keepOnDevice: readonly string[],
    ) => Promise<ort.InferenceSession>,
  ) {}

  /** Number of live sessions. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The session for `bytes` whose outputs named in `keepOnDevice` (ONNX names) stay on the
   * device (created on first use) and its key; `hit` says it was shared.
   */
  async acquire(
    bytes: Uint8Array,
    keepOnDevice: readonly string[] = [],
  ): Promise<{ key: string; session: ort.InferenceSession; hit: boolean }> {
    const kept = [...keepOnDevice].sort();
    const hash = createHash("sha256").update(bytes);
    for (const name of kept) hash.update(`\0${name}`);
    const key = hash.digest("hex");
    let entry = this.entries.get(key);
    const hit = entry !== undefined;
    if (!entry) {
      entry = { session: this.create(bytes, kept), refs: 0 };
      this.created++;
      this.entries.set(key, entry);
    }
    entry.refs++;
    try {
      return { key, session: await entry.session, hit };
    } catch (e) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw e;
    }
  }

  /** Drops one reference; the session is released when none are left. */
  release(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.refs--;
    if (entry.refs <= 0) {
      this.entries.delete(key);
      void entry.session.then((s) => s.release()).catch(() => undefined);
    }
  }

  /** Every live session (for profiling). */
  async sessions(): Promise<ort.InferenceSession[]> {
    const settled = await Promise.allSettled([...this.entries.values()].map((e) => e.session));
    return settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  }

  /** Releases every session. */
  clear(): void {
    for (const entry of this.entries.values())
      void entry.session.then((s) => s.release()).catch(() => undefined);
    this.entries.clear();
  }
}
