/**
 * `hyphae sim`'s report as one self-contained HTML page: no scripts, no external fonts, styles or
 * images, nothing fetched. The mesh picture (mesh-picture.ts), plots over simulated time
 * (svg-plot.ts) of what RunRecorder sampled, and the text report's figures as a table
 * (sim-report.ts). Everything on it is a function of the run, never of the wall clock, so the
 * same seed gives the same bytes.
 */
import type { SimulatedMesh, SimulationReport } from "../hosts/sim/simulated-mesh.js";
import type { LatencySummary, RunRecorder, TimelineBucket } from "../hosts/sim/run-recorder.js";
import { meshPictureData, renderMeshPicture, type MeshPictureData } from "./mesh-picture.js";
import { reportFigures, reportHeader, short } from "./sim-report.js";
import { escapeXml } from "./svg.js";
import { type PlotSeries, svgPlot } from "./svg-plot.js";

export interface ReportPageData {
  report: SimulationReport;
  buckets: TimelineBucket[];
  bucketMs: number;
  picture: MeshPictureData;
}

/** The page's data from a mesh that ran with `recorder` attached, and its report. */
export function reportPageData(sim: SimulatedMesh, recorder: RunRecorder, report: SimulationReport): ReportPageData {
  return { report, buckets: recorder.buckets(), bucketMs: recorder.bucketMs, picture: meshPictureData(sim, recorder) };
}

const COLORS = { blue: "#1f6fb4", orange: "#e07b12", green: "#2e8b3a", purple: "#7b52ab", gray: "#8a8f98" };

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 24px auto; max-width: 1340px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d8dce3; padding-bottom: 4px; }
.settings { color: #4a5263; margin: 0; }
.columns { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { color: #4a5263; font-size: 13px; max-width: 640px; margin-top: 6px; }
svg { background: #fff; border: 1px solid #e3e6eb; max-width: 100%; height: auto; }
svg text { font-family: inherit; fill: #1d2330; }
.mesh .links line { stroke-width: 1.2; stroke-opacity: 0.6; }
.mesh .spread line { stroke: ${COLORS.blue}; stroke-width: 2.2; stroke-opacity: 0.8; }
.mesh .path { fill: none; stroke: ${COLORS.orange}; stroke-width: 4; stroke-linejoin: round; stroke-linecap: round; }
.mesh .node { fill: #fff; stroke: #39404d; stroke-width: 1.2; }
.mesh .gateway { fill: #1d2330; stroke: #f5c518; stroke-width: 2.5; }
.mesh .source { fill: ${COLORS.orange}; }
.mesh .farthest { fill: ${COLORS.purple}; }
.mesh .end-label { font-size: 12px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.plot .plot-title { font-size: 14px; font-weight: 600; }
.plot .legend, .plot .tick { font-size: 11px; fill: #4a5263; }
.plot .axis-label { font-size: 12px; }
.plot .grid { stroke: #eceef2; }
.plot .axis { stroke: #39404d; }
.legend-list { list-style: none; padding: 0; margin: 8px 0 0; font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; border: 1px solid #39404d; }
.swatch.dot { border-radius: 50%; background: #fff; }
.swatch.gateway { background: #1d2330; border: 2px solid #f5c518; }
.swatch.line { height: 0; border: 0; border-top: 3px solid; width: 16px; vertical-align: 3px; }
.figures { display: flex; flex-wrap: wrap; gap: 20px 40px; align-items: flex-start; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; }
caption { text-align: left; font-weight: 600; font-size: 15px; padding-bottom: 4px; border-bottom: 1px solid #d8dce3; margin-bottom: 4px; }
th, td { text-align: left; padding: 3px 14px 3px 0; vertical-align: top; }
th[scope="row"] { font-weight: 500; color: #39404d; }
.number { text-align: right; }
td.note { color: #4a5263; font-size: 13px; }
footer { margin-top: 28px; color: #4a5263; font-size: 13px; }
`;

function minutes(ms: number): string {
  return short(ms / 60_000);
}

/** A time of day in the run, m:ss. */
function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function plots(d: ReportPageData): string[] {
  const { buckets, bucketMs, report } = d;
  const durationMs = report.scenario.durationMs;
  const x = buckets.map((b) => b.startMs / 60_000);
  const axis = { x, xMax: durationMs / 60_000, barWidth: bucketMs / 60_000, xLabel: "simulated minutes", xFormat: short };
  const per = (pick: (b: TimelineBucket) => number, when: (b: TimelineBucket) => boolean) =>
    buckets.map((b) => (when(b) ? pick(b) : NaN));
  const seconds = (b: TimelineBucket) => Math.min(bucketMs, durationMs - b.startMs) / 1000;
  const bucket = `${short(bucketMs / 1000)} s`;
  const out: string[] = [];

  const delivery: PlotSeries[] = [{
    name: "broadcasts: receivers reached / reachable", color: COLORS.blue,
    values: per((b) => (100 * b.broadcastDelivered) / b.broadcastReachable, (b) => b.broadcastReachable > 0),
  }];
  if (report.readings) {
    delivery.push({
      name: "readings: delivered / taken", color: COLORS.green, dashed: true,
      values: per((b) => (100 * b.readingsDelivered) / b.readingsTaken, (b) => b.readingsTaken > 0),
    });
  }
  out.push(figure(svgPlot({
    ...axis, id: "delivery", title: "Delivery", yLabel: "delivered, %", yMax: 100, yFormat: (v) => `${v}`, series: delivery,
  }), `Per ${bucket} of publishing (broadcasts) or taking (readings) time: the share that arrived by the end of the run.`));

  /** Median, p90 and worst of the latencies that fell into each bucket, in ms / `unit`. */
  const latencies = (pick: (b: TimelineBucket) => LatencySummary, unit: number): PlotSeries[] => [
    { name: "median", color: COLORS.green, values: per((b) => pick(b).p50 / unit, (b) => pick(b).count > 0) },
    { name: "p90", color: COLORS.blue, values: per((b) => pick(b).p90 / unit, (b) => pick(b).count > 0) },
    { name: "worst", color: COLORS.orange, dashed: true, values: per((b) => pick(b).max / unit, (b) => pick(b).count > 0) },
  ];
  out.push(figure(svgPlot({
    ...axis, id: "message-latency", title: "Message latency (first copy at each receiver)", yLabel: "ms (log scale)", logY: true,
    series: latencies((b) => b.messageLatencyMs, 1),
  }), `Per ${bucket} of delivery time: from publishing to a receiver's first copy (percentiles to within 9 %).`));
  if (report.readings) {
    out.push(figure(svgPlot({
      ...axis, id: "reading-latency", title: "Reading latency (taken → delivered at a gateway)", yLabel: "s (log scale)", logY: true,
      series: latencies((b) => b.readingLatencyMs, 1000),
    }), `Per ${bucket} of delivery time; store-and-forward holds readings while no path to a gateway exists.`));
  }

  out.push(figure(svgPlot({
    ...axis, id: "frames", title: "Traffic: frames on air", yLabel: "frames / s",
    series: [{ name: "frames sent per second (beacons, gossip, routing, data)", color: COLORS.purple, bars: true,
      values: buckets.map((b) => b.framesSent / seconds(b)) }],
  }), `Every frame any node sent, per ${bucket}.`));
  out.push(figure(svgPlot({
    ...axis, id: "bytes", title: "Traffic: bytes on air", yLabel: "kB / s",
    series: [{ name: "kilobytes sent per second", color: COLORS.gray, bars: true,
      values: buckets.map((b) => b.bytesSent / 1000 / seconds(b)) }],
  }), `Frame bytes (sealed, with headers) any node sent, per ${bucket}.`));
  return out;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function meshCaption(d: ReportPageData): string {
  const s = d.picture.sample;
  const parts = [`${d.report.nodes.toLocaleString("en-US")} nodes where the simulation placed them; lines are radio links, ` +
    "coloured by quality (1 / ETX) as the two ends measured it from each other's beacons at the end of the run; " +
    "dashed where neither end had the other in its neighbor table (then the radio model's ETX)."];
  if (d.picture.linksOmitted > 0) parts.push(`The ${d.picture.linksOmitted.toLocaleString("en-US")} links are not drawn (more than the picture holds).`);
  if (s) {
    const reached = [...s.parent].filter((p) => p >= 0).length;
    const path = s.path.length > 1 ? ` Thick: its path to the farthest receiver, node ${s.path[s.path.length - 1]}, ${s.path.length - 1} hops.` : "";
    parts.push(`Blue: how the first broadcast after the warm-up spread, published by node ${s.source} at ${clock(s.publishedAt)}` +
      ` and reaching ${reached} nodes (each line from the neighbor whose relay brought a node its first copy).${path}`);
  } else {
    parts.push("No broadcast was published after the warm-up, so no path is drawn.");
  }
  return parts.join(" ");
}

function legend(): string {
  const item = (swatch: string, text: string) => `<li>${swatch}${escapeXml(text)}</li>`;
  const line = (color: string, text: string) => item(`<span class="swatch line" style="border-color:${color}"></span>`, text);
  return `<ul class="legend-list">${[
    item('<span class="swatch dot"></span>', "node"),
    item('<span class="swatch dot gateway"></span>', "gateway"),
    line("hsl(120 70% 38%)", "good link (ETX 1)"),
    line("hsl(60 70% 38%)", "fair (ETX ≈ 1.5)"),
    line("hsl(0 70% 38%)", "poor (ETX ≥ 3.3)"),
    line(COLORS.blue, "sample broadcast's spread"),
    line(COLORS.orange, "its longest path"),
  ].join("")}</ul>`;
}

/** The text report's figures, a table per section. */
function figureTables(report: SimulationReport): string {
  const tables = reportFigures(report).map((s) => {
    const rows: string[] = [];
    if (s.columns) rows.push(`<tr><td></td>${s.columns.map((c) => `<th scope="col" class="number">${escapeXml(c.title)}</th>`).join("")}</tr>`);
    for (const r of s.rows) {
      const cells = r.values.map((v) => `<td${s.columns ? ' class="number"' : ""}>${escapeXml(v)}</td>`).join("");
      rows.push(`<tr><th scope="row">${escapeXml(r.label)}</th>${cells}</tr>`);
    }
    for (const note of s.notes) rows.push(`<tr><td class="note" colspan="${1 + (s.columns?.length ?? 1)}">${escapeXml(note)}</td></tr>`);
    return `<table data-section="${escapeXml(s.title)}"><caption>${escapeXml(s.title)}</caption>${rows.join("")}</table>`;
  });
  tables.push(`<table data-section="Run"><caption>Run</caption><tr><th scope="row">trace digest</th><td>${report.traceDigest}</td></tr></table>`);
  return `<div class="figures">${tables.join("\n")}</div>`;
}

export function renderReportPage(d: ReportPageData): string {
  const [title, ...settings] = reportHeader(d.report);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(`${title}, seed ${d.report.scenario.seed}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeXml(title)}</h1>
${settings.map((line) => `<p class="settings">${escapeXml(line)}</p>`).join("\n")}
</header>
<main>
<h2>The mesh</h2>
<div class="columns">
<figure>${renderMeshPicture(d.picture)}${legend()}<figcaption>${escapeXml(meshCaption(d))}</figcaption></figure>
</div>
<h2>Over time</h2>
<div class="columns">
${plots(d).join("\n")}
</div>
<h2>Figures</h2>
${figureTables(d.report)}
</main>
<footer>Written by <code>hyphae sim</code> from a deterministic simulation of ${minutes(d.report.scenario.durationMs)} simulated minutes:
the same flags give the same page, byte for byte. Trace digest ${d.report.traceDigest}.</footer>
</body>
</html>
`;
}
