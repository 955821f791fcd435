// Hand-written SVG charts for the experiment pages: grouped bars with ±std error bars, and a
// scatter plot (optionally log-x) with error bars. No dependencies.
import { writeFile } from "node:fs/promises";

const PALETTE = [
  "#4477aa",
  "#ee6677",
  "#228833",
  "#ccbb44",
  "#66ccee",
  "#aa3377",
  "#bbbbbb",
  "#332288",
  "#882255",
];
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 0.1 ? 3 : 2));

/** A bar: its mean and standard deviation. */
export interface Bar {
  readonly mean: number;
  readonly std: number;
}

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/**
 * Grouped bar chart: one group per `groups` entry, one bar per series, each with a ±std
 * error bar; a legend names the series.
 */
export async function barChart(
  path: string,
  o: {
    readonly title: string;
    readonly yLabel: string;
    readonly groups: readonly string[];
    readonly series: readonly string[];
    /** values[group][series] */
    readonly values: readonly (readonly (Bar | undefined)[])[];
    readonly yMin?: number;
    readonly yMax?: number;
    /** A dashed horizontal reference line (e.g. chance level). */
    readonly reference?: { readonly value: number; readonly label: string };
  },
): Promise<void> {
  const all = o.values.flat().filter((b): b is Bar => b !== undefined);
  const lo = o.yMin ?? Math.min(0, ...all.map((b) => b.mean - b.std));
  const hi = o.yMax ?? Math.max(...all.map((b) => b.mean + b.std)) * 1.05;
  const W = Math.max(640, 90 + o.groups.length * (o.series.length * 18 + 30));
  const H = 400;
  const m = { l: 64, r: 16, t: 40, b: 90 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const y = (v: number): number => m.t + ph - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * ph;
  const gw = pw / o.groups.length;
  const bw = Math.min(28, (gw - 16) / o.series.length);
  const parts: string[] = [];
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  );
  for (const t of ticks(lo, hi)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`);
  parts.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.yLabel)}</text>`,
  );
  o.groups.forEach((g, gi) => {
    const x0 = m.l + gi * gw + (gw - bw * o.series.length) / 2;
    o.series.forEach((_, si) => {
      const b = o.values[gi]?.[si];
      if (b === undefined) return;
      const x = x0 + si * bw;
      const top = y(b.mean);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(m.t + ph - top).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${g} / ${o.series[si]}: ${b.mean.toFixed(4)} ± ${b.std.toFixed(4)}`)}</title></rect>`,
      );
      const cx = x + (bw - 2) / 2;
      if (b.std > 0) {
        parts.push(
          `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(b.mean - b.std).toFixed(1)}" y2="${y(b.mean + b.std).toFixed(1)}" stroke="#000"/>`,
        );
      }
    });
    const lx = m.l + gi * gw + gw / 2;
    parts.push(
      `<text transform="translate(${lx.toFixed(1)} ${m.t + ph + 14}) rotate(${o.groups.length > 6 ? 30 : 0})" text-anchor="${o.groups.length > 6 ? "start" : "middle"}" font-size="11">${esc(g)}</text>`,
    );
  });
  if (o.reference !== undefined) {
    const ry = y(o.reference.value);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${ry}" y2="${ry}" stroke="#666" stroke-dasharray="5 4"/>`,
    );
    parts.push(
      `<text x="${W - m.r - 4}" y="${ry - 4}" text-anchor="end" font-size="11" fill="#666">${esc(o.reference.label)}</text>`,
    );
  }
  legend(parts, o.series, m.l, H - 28, W - m.l - m.r);
  await save(path, W, H, parts, o.title);
}

/** A scatter point: x, y (mean) and its ±std, and the series it belongs to. */
export interface Point {
  readonly x: number;
  readonly y: number;
  readonly std: number;
  readonly series: number;
  readonly label?: string;
}

/** Scatter plot (log-x when `logX`), points coloured by series, with ±std error bars. */
export async function scatterChart(
  path: string,
  o: {
    readonly title: string;
    readonly xLabel: string;
    readonly yLabel: string;
    readonly series: readonly string[];
    readonly points: readonly Point[];
    readonly logX?: boolean;
  },
): Promise<void> {
  const W = 720;
  const H = 440;
  const m = { l: 64, r: 24, t: 40, b: 100 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const tx = (v: number): number => (o.logX ? Math.log10(v) : v);
  const xs = o.points.map((p) => tx(p.x));
  let xlo = Math.min(...xs);
  let xhi = Math.max(...xs);
  const pad = (xhi - xlo || 1) * 0.06;
  xlo -= pad;
  xhi += pad;
  const ylo = Math.min(...o.points.map((p) => p.y - p.std));
  const yhi = Math.max(...o.points.map((p) => p.y + p.std));
  const ypad = (yhi - ylo || 0.1) * 0.08;
  const [y0, y1] = [ylo - ypad, yhi + ypad];
  const X = (v: number): number => m.l + ((tx(v) - xlo) / (xhi - xlo)) * pw;
  const Y = (v: number): number => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  );
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  const xt = o.logX
    ? Array.from({ length: Math.floor(xhi) - Math.ceil(xlo) + 1 }, (_, i) => 10 ** (Math.ceil(xlo) + i))
    : ticks(xlo, xhi);
  for (const t of xt) {
    const px = X(t);
    parts.push(`<line x1="${px}" x2="${px}" y1="${m.t}" y2="${m.t + ph}" stroke="#f0f0f0"/>`);
    const label = o.logX ? (t >= 1e6 ? `${t / 1e6}M` : t >= 1e3 ? `${t / 1e3}k` : String(t)) : fmt(t);
    parts.push(`<text x="${px}" y="${m.t + ph + 16}" text-anchor="middle" font-size="11">${label}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${m.t + ph + 36}" text-anchor="middle" font-size="12">${esc(o.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.yLabel)}</text>`,
  );
  for (const p of o.points) {
    const c = PALETTE[p.series % PALETTE.length];
    const px = X(p.x);
    if (p.std > 0)
      parts.push(`<line x1="${px}" x2="${px}" y1="${Y(p.y - p.std)}" y2="${Y(p.y + p.std)}" stroke="${c}"/>`);
    parts.push(
      `<circle cx="${px.toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="5" fill="${c}" stroke="#000" stroke-width="0.5"><title>${esc(`${o.series[p.series]}${p.label ? ` ${p.label}` : ""}: x ${p.x}, y ${p.y.toFixed(4)} ± ${p.std.toFixed(4)}`)}</title></circle>`,
    );
  }
  legend(parts, o.series, m.l, H - 40, pw);
  await save(path, W, H, parts, o.title);
}

function legend(parts: string[], series: readonly string[], x0: number, y0: number, width: number): void {
  let x = x0;
  let y = y0;
  for (const [i, s] of series.entries()) {
    const w = 22 + s.length * 6.5;
    if (x + w > x0 + width) {
      x = x0;
      y += 16;
    }
    parts.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    parts.push(`<text x="${x + 14}" y="${y}" font-size="11">${esc(s)}</text>`);
    x += w;
  }
}

async function save(
  path: string,
  W: number,
  H: number,
  parts: readonly string[],
  title: string,
): Promise<void> {
  await writeFile(
    path,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<title>${esc(title)}</title>\n<rect width="${W}" height="${H}" fill="#fff"/>\n${parts.join("\n")}\n</svg>\n`,
  );
}
