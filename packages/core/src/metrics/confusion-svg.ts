import { TunekitError } from "../errors.js";

/**
 * Options of {@link confusionMatrixSvg}.
 *
 * @example
 * ```ts
 * const o: ConfusionSvgOptions = { title: "validation (872 rows)", cellSize: 48 };
 * ```
 */
export interface ConfusionSvgOptions {
  /** A line above the matrix. */
  readonly title?: string;
  /** Side of one cell in pixels (default 56). */
  readonly cellSize?: number;
}

const escapeXml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );

/** Keeps only characters XML 1.0 allows (a label could hold control characters). */
const xmlText = (s: string): string =>
  escapeXml(s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD"));

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * A confusion matrix (`confusion[true][predicted]` counts) as a small standalone SVG: rows are
 * the true classes, columns the predicted ones, each cell shows its count and is shaded by the
 * share of its row (its recall, on the diagonal). Every cell is a `<rect>` with
 * `data-true`, `data-predicted` and `data-count` attributes, so tools can read it back.
 *
 * @example
 * ```ts
 * await writeFile("confusion-matrix.svg", confusionMatrixSvg([[5, 1], [2, 7]], ["neg", "pos"]));
 * ```
 */
export function confusionMatrixSvg(
  confusion: readonly (readonly number[])[],
  labelNames: readonly string[],
  options: ConfusionSvgOptions = {},
): string {
  const k = confusion.length;
  if (k === 0 || labelNames.length !== k || confusion.some((r) => r.length !== k)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `confusionMatrixSvg: a ${k}-row matrix with ${labelNames.length} label names; expected a square matrix with one name per class`,
    );
  }
  const cell = options.cellSize ?? 56;
  const names = labelNames.map((l) => clip(l, 16));
  const longest = Math.max(...names.map((n) => n.length), 4);
  const left = 24 + longest * 7;
  const top = (options.title === undefined ? 16 : 40) + longest * 7;
  const width = left + k * cell + 16;
  const height = top + k * cell + 16;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title !== undefined)
    parts.push(
      `<text x="${width / 2}" y="20" text-anchor="middle" font-weight="bold">${xmlText(options.title)}</text>`,
    );
  parts.push(
    `<text x="${left + (k * cell) / 2}" y="${top - longest * 7 - 4}" text-anchor="middle">predicted</text>`,
    `<text x="12" y="${top + (k * cell) / 2}" text-anchor="middle" transform="rotate(-90 12 ${top + (k * cell) / 2})">true</text>`,
  );
  for (let c = 0; c < k; c++) {
    const x = left + c * cell + cell / 2;
    parts.push(
      `<text x="${x}" y="${top - 6}" text-anchor="start" transform="rotate(-45 ${x} ${top - 6})">${xmlText(names[c]!)}</text>`,
      `<text x="${left - 6}" y="${top + c * cell + cell / 2 + 4}" text-anchor="end">${xmlText(names[c]!)}</text>`,
    );
  }
  for (let t = 0; t < k; t++) {
    const row = confusion[t]!;
    const rowSum = row.reduce((a, b) => a + b, 0);
    for (let p = 0; p < k; p++) {
      const count = row[p]!;
      const share = rowSum === 0 ? 0 : count / rowSum;
      // white -> blue by the share of the row; dark cells get white text
      const shade = (to: number): number => Math.round(255 + (to - 255) * share);
      const fill = `rgb(${shade(8)},${shade(81)},${shade(156)})`;
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#cccccc" data-true="${t}" data-predicted="${p}" data-count="${count}"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${share > 0.5 ? "#ffffff" : "#000000"}">${count}</text>`,
      );
    }
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
