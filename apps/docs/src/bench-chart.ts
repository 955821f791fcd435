import { TunekitError } from "@tunekit/core";

/** One line of `npm run bench` output (the fields the chart reads). */
export interface BenchRecord {
  /** The backend, or the peer (`PyTorch 1.13 + OpenBLAS`). */
  readonly backend: string;
  /** `full`, `head` or `lora`. */
  readonly mode: string;
  /** Median training tokens per second. */
  readonly tokens_per_s: number;
  /** Median seconds per step. */
  readonly step_s?: number;
  /** Peak resident memory in MB. */
  readonly peak_rss_mb?: number;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const COLORS = ["#3451b2", "#c2410c", "#15803d", "#7c3aed", "#b91c1c"];

/**
 * A horizontal bar chart (SVG text) of tokens per second, one group per mode and one bar per
 * backend, each bar labelled with its value. Throws a typed error on records without a
 * positive `tokens_per_s`.
 *
 * @example
 * ```ts
 * const svg = benchChartSvg([{ backend: "onnx", mode: "lora", tokens_per_s: 8004 }]);
 * svg.startsWith("<svg"); // true
 * ```
 */
export function benchChartSvg(records: readonly BenchRecord[]): string {
  if (records.length === 0) {
    throw new TunekitError("INVALID_ARGUMENT", "bench chart: no records; expected bench JSON lines.");
  }
  for (const r of records) {
    if (typeof r.backend !== "string" || typeof r.mode !== "string" || !(r.tokens_per_s > 0)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `bench chart: received ${JSON.stringify(r)}; expected { backend, mode, tokens_per_s > 0 }.`,
      );
    }
  }
  const modes = [...new Set(records.map((r) => r.mode))];
  const backends = [...new Set(records.map((r) => r.backend))];
  const max = Math.max(...records.map((r) => r.tokens_per_s));
  const left = 70;
  const width = 640;
  const plot = width - left - 90;
  const bar = 18;
  const lines: string[] = [];
  let y = 34;
  for (const mode of modes) {
    const rows = records.filter((r) => r.mode === mode);
    const top = y;
    for (const r of rows) {
      const w = Math.max(1, Math.round((r.tokens_per_s / max) * plot));
      const color = COLORS[backends.indexOf(r.backend) % COLORS.length];
      lines.push(
        `<rect x="${left}" y="${y}" width="${w}" height="${bar}" fill="${color}"><title>${escapeXml(
          `${r.backend} ${r.mode}: ${r.tokens_per_s} tokens/s`,
        )}</title></rect>`,
        `<text x="${left + w + 6}" y="${y + 13}">${Math.round(r.tokens_per_s).toLocaleString("en-US")}</text>`,
      );
      y += bar + 4;
    }
    lines.push(
      `<text x="${left - 8}" y="${(top + y) / 2 + 2}" text-anchor="end" font-weight="600">${escapeXml(mode)}</text>`,
    );
    y += 12;
  }
  const legend = backends
    .map((b, i) => {
      const x = left + i * 200;
      return `<rect x="${x}" y="8" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 18}" y="18">${escapeXml(b)}</text>`;
    })
    .join("");
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Training tokens per second by mode and backend" font-family="sans-serif" font-size="12" fill="#333">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    legend,
    ...lines,
    `<text x="${left}" y="${height - 6}" fill="#666">training tokens per second (higher is better)</text>`,
    "</svg>",
    "",
  ].join("\n");
}
