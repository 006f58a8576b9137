/**
 * Small static plots as inline SVG: lines (polylines, split at gaps) and bars over a shared x axis,
 * with ticked axes, axis labels, a title and a legend. No script, no fonts beyond the page's own.
 */
import { coordinate as c, escapeXml } from "./svg.js";

export interface PlotSeries {
  name: string;
  /** One y per x of the plot; NaN leaves a gap in a line (or no bar). */
  values: readonly number[];
  color: string;
  /** Bars (one per x, a bucket wide) instead of a line. */
  bars?: boolean;
  dashed?: boolean;
}

export interface PlotOptions {
  /** The `data-plot` attribute: how tests and styles find the plot. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Where each value sits on the x axis (bucket starts), ascending. */
  x: readonly number[];
  /** The x axis spans [0, xMax]; a bar spans [x, x + barWidth]. */
  xMax: number;
  barWidth: number;
  series: PlotSeries[];
  /** Top of the y axis; default: a round number above the largest value. */
  yMax?: number;
  /** A logarithmic y axis, from the power of 10 below the smallest positive value (for latencies). */
  logY?: boolean;
  yFormat?: (v: number) => string;
  xFormat?: (v: number) => string;
}

const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = { left: 64, right: 16, top: 44, bottom: 42 };

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) from 0 to at least `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let k = 0; ; k++) {
    // Multiplying (not adding) keeps 0.1-steps free of drift: 0.30000000000000004 would print.
    const v = Number((k * step).toPrecision(12));
    ticks.push(v);
    if (v >= max) return ticks;
  }
}

/** Powers of ten from below the smallest positive value to above the largest, with 2× and 5× steps when they span ≤ 2 decades. */
export function logTicks(values: readonly number[]): number[] {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return [1, 10];
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive))));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of hi - lo <= 2 && e < hi ? [1, 2, 5] : [1]) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return ticks;
}

export function svgPlot(o: PlotOptions): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const finite = o.series.flatMap((s) => s.values.filter(Number.isFinite));
  const yTicks = o.logY ? logTicks(finite)
    : o.yMax === undefined ? niceTicks(Math.max(0, ...finite)) : niceTicks(o.yMax).filter((t) => t <= o.yMax!);
  const yBottom = o.logY ? yTicks[0] : 0;
  const yTop = o.yMax ?? yTicks[yTicks.length - 1];
  const fraction = o.logY
    ? (v: number) => Math.log10(Math.max(yBottom, Math.min(v, yTop)) / yBottom) / Math.log10(yTop / yBottom)
    : (v: number) => Math.min(v, yTop) / (yTop || 1);
  const xTicks = niceTicks(o.xMax, 6).filter((t) => t <= o.xMax);
  const sx = (v: number) => MARGIN.left + (v / (o.xMax || 1)) * plotW;
  const sy = (v: number) => MARGIN.top + plotH - fraction(v) * plotH;
  const yFormat = o.yFormat ?? String;
  const xFormat = o.xFormat ?? String;

  const parts: string[] = [];
  parts.push(`<text class="plot-title" x="${MARGIN.left}" y="18">${escapeXml(o.title)}</text>`);
  let legendX = MARGIN.left;
  for (const s of o.series) {
    const swatch = s.bars
      ? `<rect class="swatch" x="${legendX}" y="26" width="12" height="8" fill="${s.color}"/>`
      : `<line x1="${legendX}" y1="30" x2="${legendX + 12}" y2="30" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>`;
    parts.push(swatch, `<text class="legend" x="${legendX + 16}" y="34">${escapeXml(s.name)}</text>`);
    legendX += 28 + 6.5 * s.name.length;
  }
  for (const t of yTicks) {
    parts.push(`<line class="grid" x1="${MARGIN.left}" y1="${c(sy(t))}" x2="${MARGIN.left + plotW}" y2="${c(sy(t))}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${c(sy(t) + 4)}" text-anchor="end">${escapeXml(yFormat(t))}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<text class="tick" x="${c(sx(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeXml(xFormat(t))}</text>`);
  }
  const bottom = MARGIN.top + plotH;
  parts.push(`<line class="axis" x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + plotW}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}"/>`);
  parts.push(`<text class="axis-label" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);

  for (const s of o.series) {
    if (s.bars) {
      const w = Math.max(1, sx(o.barWidth) - sx(0) - 1);
      s.values.forEach((v, k) => {
        if (!Number.isFinite(v) || v <= 0) return;
        parts.push(`<rect x="${c(sx(o.x[k]) + 0.5)}" y="${c(sy(v))}" width="${c(w)}" height="${c(bottom - sy(v))}" fill="${s.color}"/>`);
      });
      continue;
    }
    // Each run of finite values is one polyline through the bucket middles; a lone value spans its bucket.
    let run: number[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const points = run.length === 1
        ? [`${c(sx(o.x[run[0]]))},${c(sy(s.values[run[0]]))}`, `${c(sx(o.x[run[0]] + o.barWidth))},${c(sy(s.values[run[0]]))}`]
        : run.map((k) => `${c(sx(o.x[k] + o.barWidth / 2))},${c(sy(s.values[k]))}`);
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ""}` +
        ` stroke-linejoin="round" points="${points.join(" ")}"><title>${escapeXml(s.name)}</title></polyline>`);
      run = [];
    };
    s.values.forEach((v, k) => {
      if (Number.isFinite(v)) run.push(k);
      else flush();
    });
    flush();
  }
  return `<svg class="plot" data-plot="${escapeXml(o.id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}"` +
    ` role="img" aria-label="${escapeXml(o.title)}">${parts.join("")}</svg>`;
}
