/**
 * Renders rows as an aligned plain-text table (first row is the header; numbers
 * right-aligned).
 *
 * @example
 * ```ts
 * formatTable([["metric", "value"], ["accuracy", "0.8120"]]);
 * // metric    value
 * // --------  ------
 * // accuracy  0.8120
 * ```
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return "";
  const cols = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const numeric = Array.from({ length: cols }, (_, c) =>
    rows.slice(1).every((r) => r[c] === undefined || /^[-+]?[\d.,]+(e[-+]?\d+)?%?$|^NaN$/.test(r[c]!)),
  );
  const fmt = (r: readonly string[], header = false): string =>
    r
      .map((cell, c) => (numeric[c] && !header ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const [header, ...body] = rows;
  return [fmt(header!, true), widths.map((w) => "-".repeat(w)).join("  "), ...body.map((r) => fmt(r))].join(
    "\n",
  );
}

/**
 * The final metrics table of `train` / `evaluate`: one row per metric, `loss` first, four
 * decimals.
 *
 * @example
 * ```ts
 * metricsTable({ loss: 0.41, metrics: { accuracy: 0.81 } }, "validation");
 * ```
 */
export function metricsTable(
  result: { readonly loss: number; readonly metrics: Readonly<Record<string, number>> },
  split: string,
): string {
  const rows: string[][] = [["metric", split]];
  rows.push(["loss", result.loss.toFixed(4)]);
  for (const [name, value] of Object.entries(result.metrics)) rows.push([name, value.toFixed(4)]);
  return formatTable(rows);
}
