import { fileURLToPath } from "node:url";

/**
 * The repository root (tests run the CLI there, so `examples/…` and `../shared` resolve).
 *
 * @example
 * ```ts
 * const io = captureIo({ cwd: REPO });
 * ```
 */
export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * `--set` flags that shrink a run for tests: row caps per split, max length and batch size.
 *
 * @example
 * ```ts
 * await runCli(["train", "examples/sst2-tiny.json", ...smallRunFlags({ train: 64 })], io);
 * ```
 */
export function smallRunFlags(o: {
  readonly train?: number;
  readonly validation?: number;
  readonly maxLength?: number;
  readonly batchSize?: number;
}): string[] {
  const sets: string[] = [];
  if (o.train !== undefined) sets.push(`data.maxRows.train=${o.train}`);
  sets.push(`data.maxRows.validation=${o.validation ?? 32}`);
  sets.push(`training.maxLength=${o.maxLength ?? 32}`);
  sets.push(`training.batchSize=${o.batchSize ?? 16}`);
  return sets.flatMap((s) => ["--set", s]);
}
