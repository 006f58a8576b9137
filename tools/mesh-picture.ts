/**
 * The mesh as an inline SVG: every node where the topology put it (one `<circle>` each, carrying
 * `data-node` and `data-id`), radio links shaded by quality, gateways drawn larger and dark, and the
 * way the sample broadcast spread, with the longest path it took drawn thick.
 *
 * Link quality is 1 / ETX: the ETX the two ends measured from each other's beacons at the end of
 * the run (their mean), or, where neither end holds the other in its neighbor table, the ETX the
 * radio model's loss gives (drawn dashed).
 */
import type { SimulatedMesh } from "../hosts/sim/simulated-mesh.js";
import type { RunRecorder } from "../hosts/sim/run-recorder.js";
import { Role } from "../modules/identity/certificate.js";
import { coordinate as c, escapeXml } from "./svg.js";

/** Beyond this many links only the nodes are drawn: the page would grow past tens of megabytes. */
export const MAX_LINKS = 20_000;
const SIZE = 640;
const PAD = 14;

export interface PictureLink {
  a: number;
  b: number;
  /** Expected transmissions per delivery, ≥ 1. */
  etx: number;
  /** Whether `etx` is what the nodes measured (else the radio model's). */
  measured: boolean;
}

export interface MeshPictureData {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  nodes: { id: string; gateway: boolean }[];
  /** Every radio link once (a < b), or none when there are more than MAX_LINKS. */
  links: PictureLink[];
  linksOmitted: number;
  /** The sample broadcast: who got it from whom, and the path to its farthest receiver. */
  sample: { source: number; publishedAt: number; parent: Int32Array; path: number[] } | null;
}

/** Collects the picture from a mesh that ran with `recorder` attached. */
export function meshPictureData(sim: SimulatedMesh, recorder: RunRecorder): MeshPictureData {
  const { topology, simulator } = sim;
  const n = topology.neighbors.length;
  const gateways = new Set(sim.scenario.roles?.filter((r) => r.role === Role.Gateway).map((r) => r.node));
  const nodes = Array.from({ length: n }, (_, i) => ({ id: sim.node(i)?.idHex ?? "", gateway: gateways.has(i) }));

  let linkCount = 0;
  for (const adj of topology.neighbors) linkCount += adj.length;
  linkCount /= 2;
  const links: PictureLink[] = [];
  if (linkCount <= MAX_LINKS) {
    // measuredEtx.get(a·n + b): a's ETX towards b, for nodes on at the end.
    const measuredEtx = new Map<number, number>();
    for (let a = 0; a < n; a++) {
      if (!simulator.isOn(a)) continue;
      for (const entry of sim.node(a)?.neighborSummary(simulator.now) ?? []) {
        const b = sim.indexOf(entry.id);
        if (b !== undefined) measuredEtx.set(a * n + b, entry.etx);
      }
    }
    for (let a = 0; a < n; a++) {
      for (const b of topology.neighbors[a]) {
        if (b <= a) continue;
        const views = [measuredEtx.get(a * n + b), measuredEtx.get(b * n + a)].filter((e): e is number => e !== undefined);
        const radio = 1 / ((1 - simulator.radio.lossOf(a, b)) * (1 - simulator.radio.lossOf(b, a)));
        const etx = views.length ? views.reduce((s, e) => s + e, 0) / views.length : radio;
        links.push({ a, b, etx, measured: views.length > 0 });
      }
    }
  }

  const s = recorder.sample;
  let sample: MeshPictureData["sample"] = null;
  if (s.source >= 0) {
    const parent = s.spread(topology.neighbors);
    sample = { source: s.source, publishedAt: s.publishedAt, parent, path: s.pathTo(s.farthest(), parent) };
  }
  return { x: topology.x, y: topology.y, nodes, links, linksOmitted: links.length ? 0 : linkCount, sample };
}

/** Link colour: red at quality ≤ 0.3 (ETX ≥ 3.3), through amber, to green at quality 1. */
export function linkColor(etx: number): string {
  const quality = Number.isFinite(etx) && etx > 0 ? 1 / etx : 0;
  const t = Math.max(0, Math.min(1, (quality - 0.3) / 0.7));
  return `hsl(${Math.round(120 * t)} 70% 38%)`;
}

export function renderMeshPicture(p: MeshPictureData): string {
  const n = p.nodes.length;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, p.x[i]);
    maxX = Math.max(maxX, p.x[i]);
    minY = Math.min(minY, p.y[i]);
    maxY = Math.max(maxY, p.y[i]);
  }
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const scale = (SIZE - 2 * PAD) / span;
  const width = Math.round((maxX - minX) * scale + 2 * PAD);
  const height = Math.round((maxY - minY) * scale + 2 * PAD);
  const x = (i: number) => PAD + (p.x[i] - minX) * scale;
  const y = (i: number) => PAD + (p.y[i] - minY) * scale;
  const px = (i: number) => c(x(i));
  const py = (i: number) => c(y(i));
  const radius = Math.max(1.5, Math.min(7, 180 / Math.sqrt(Math.max(1, n))));
  const segment = (a: number, b: number) => `x1="${px(a)}" y1="${py(a)}" x2="${px(b)}" y2="${py(b)}"`;

  const parts: string[] = [];
  parts.push('<g class="links">');
  for (const l of p.links) {
    const how = l.measured ? "measured" : "radio model, not in a neighbor table";
    parts.push(`<line ${segment(l.a, l.b)} stroke="${linkColor(l.etx)}"${l.measured ? "" : ' stroke-dasharray="3 3"'}>` +
      `<title>link ${l.a}–${l.b}: ETX ${Number.isFinite(l.etx) ? l.etx.toFixed(2) : "∞"} (${how})</title></line>`);
  }
  parts.push("</g>");
  const sample = p.sample;
  if (sample) {
    parts.push('<g class="spread">');
    for (let i = 0; i < n; i++) if (sample.parent[i] >= 0 && i !== sample.source) parts.push(`<line ${segment(sample.parent[i], i)}/>`);
    parts.push("</g>");
    if (sample.path.length > 1) {
      const points = sample.path.map((i) => `${px(i)},${py(i)}`).join(" ");
      parts.push(`<polyline class="path" points="${points}"><title>the sample broadcast's path to its farthest receiver, ` +
        `${sample.path.length - 1} hops: nodes ${sample.path.join(" → ")}</title></polyline>`);
    }
  }
  const source = sample ? sample.source : -1;
  const farthest = sample && sample.path.length > 1 ? sample.path[sample.path.length - 1] : -1;
  parts.push('<g class="nodes">');
  for (let i = 0; i < n; i++) {
    const node = p.nodes[i];
    const classes = ["node", node.gateway ? " gateway" : "", i === source ? " source" : "", i === farthest ? " farthest" : ""].join("");
    parts.push(`<circle class="${classes}" data-node="${i}" data-id="${escapeXml(node.id)}" cx="${px(i)}" cy="${py(i)}"` +
      ` r="${c(node.gateway ? radius * 1.7 : radius)}"><title>${node.gateway ? "gateway" : "node"} ${i} · id ${escapeXml(node.id)}</title></circle>`);
  }
  parts.push("</g>");
  for (const [i, label] of [[source, "source"], [farthest, "farthest"]] as const) {
    if (i < 0) continue;
    // Labels point inwards, so none runs off the picture's edge.
    const left = x(i) > width / 2;
    const labelX = x(i) + (left ? -1 : 1) * (radius + 3);
    const labelY = y(i) + (y(i) < 2 * PAD ? radius + 12 : -radius - 2);
    parts.push(`<text class="end-label" x="${c(labelX)}" y="${c(labelY)}"${left ? ' text-anchor="end"' : ""}>${label}</text>`);
  }
  return `<svg class="mesh" data-picture="mesh" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"` +
    ` role="img" aria-label="the simulated mesh: ${n} nodes">${parts.join("")}</svg>`;
}
