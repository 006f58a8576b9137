/**
 * The page `hyphae monitor` serves: one self-contained HTML document (no external scripts, styles or
 * fonts) that draws the mesh from /snapshot.json and redraws it on every `snapshot` event of the
 * /events stream (server-sent events). The topology is an SVG with one circle per node on a ring (in
 * id order, so a node keeps its place), one line per neighbor pair shaded by reception, gateways
 * larger and amber, nodes that raised an anomaly ringed in red;
 * below it a table of each node's health and a list of anomaly events.
 */
export function monitorPage(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .3em} .muted{color:#777}
svg{border:1px solid #ddd;background:#fcfcfc}
circle.node{fill:#4a7bd0;stroke:#1d3f7a;stroke-width:1.5}
circle.node.gateway{fill:#e0a32e;stroke:#7a5200;stroke-width:3}
circle.node.offline{fill:#bbb}
circle.node.anomaly{stroke:#d0342c;stroke-width:4}
line.link{stroke:#2d6a3e}
table{border-collapse:collapse;margin-top:1em} td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f2f2f2} td.id{font-family:monospace;text-align:left}
li.event{font-family:monospace}
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted" id="summary">waiting for the gateway…</p>
<svg id="mesh" width="640" height="640" viewBox="0 0 640 640" role="img" aria-label="mesh topology"></svg>
<table id="nodes"><thead><tr><th>node</th><th>role</th><th>uptime s</th><th>neighbors</th><th>frames in</th><th>frames out</th>
<th>drops</th><th>auth failures</th><th>rate-limited</th><th>custody</th><th>unconfirmed</th><th>firmware</th><th>lowest score</th><th>anomalies</th></tr></thead><tbody></tbody></table>
<h2>Anomaly events</h2><ul id="events"></ul>
<script>
"use strict";
const NS = "http://www.w3.org/2000/svg";
const ANOMALIES = ["rate-spike", "auth-failures", "neighbor-churn"];
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  parent.appendChild(e);
  return e;
}
function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}
function draw(s) {
  const svg = document.getElementById("mesh");
  svg.replaceChildren();
  const n = s.nodes.length, c = 320, r = n > 1 ? 270 : 0;
  const at = new Map();
  s.nodes.forEach((node, i) => {
    const a = 2 * Math.PI * i / Math.max(n, 1) - Math.PI / 2;
    at.set(node.id, [c + r * Math.cos(a), c + r * Math.sin(a)]);
  });
  // Each end reports the other: one line per pair, as good as the better of the two directions.
  const pairs = new Map();
  for (const l of s.links) {
    if (!at.has(l.from) || !at.has(l.to)) continue;
    const key = l.from < l.to ? l.from + l.to : l.to + l.from;
    const seen = pairs.get(key);
    if (!seen || seen.reception < l.reception) pairs.set(key, l);
  }
  for (const l of pairs.values()) {
    const p = at.get(l.from), q = at.get(l.to);
    el("line", { class: "link", x1: p[0], y1: p[1], x2: q[0], y2: q[1], "stroke-width": 1 + 3 * l.reception,
      "stroke-opacity": (0.15 + 0.85 * l.reception).toFixed(2) }, svg);
  }
  for (const node of s.nodes) {
    const [x, y] = at.get(node.id);
    const flags = node.report ? node.report.anomalies : 0;
    const cls = "node" + (node.gateway ? " gateway" : "") + (node.online ? "" : " offline") + (flags ? " anomaly" : "");
    const dot = el("circle", { class: cls, cx: x, cy: y, r: node.gateway ? 14 : 10, "data-node": node.id }, svg);
    el("title", {}, dot).textContent = node.id + (node.gateway ? " (gateway)" : "");
    el("text", { x: x + 14, y: y + 4, "font-size": 11, "font-family": "monospace" }, svg).textContent = node.id.slice(0, 4) + "…" + node.id.slice(-4);
  }
  const body = document.querySelector("#nodes tbody");
  body.replaceChildren();
  for (const node of s.nodes) {
    const row = body.insertRow();
    const h = node.report;
    cell(row, node.id, "id");
    cell(row, node.gateway ? "gateway" : "node");
    for (const v of h ? [h.uptimeSeconds, h.neighborCount, h.framesIn, h.framesOut, h.drops, h.authFailures, h.rateLimited, h.custody, h.unconfirmedReadings] : Array(9).fill("—")) cell(row, v);
    // The installed version, and a transfer under way as "v4: 120/256".
    cell(row, !h ? "—" : (h.firmwareVersion ? "v" + h.firmwareVersion : "—") +
      (h.transferVersion && h.transferHeld < h.transferTotal ? " (v" + h.transferVersion + ": " + h.transferHeld + "/" + h.transferTotal + ")" : ""));
    cell(row, node.lowestScore === null ? "—" : node.lowestScore);
    cell(row, h ? ANOMALIES.filter((_, b) => h.anomalies & (1 << b)).join(" ") : "");
  }
  const events = document.getElementById("events");
  events.replaceChildren();
  for (const e of s.events.slice().reverse()) {
    const li = document.createElement("li");
    li.className = "event";
    li.textContent = new Date(e.at * 1000).toISOString() + "  " + e.node + "  " + e.kind;
    events.appendChild(li);
  }
  document.getElementById("summary").textContent = n + " nodes, " + pairs.size + " links, updated " +
    (s.updatedAt ? new Date(s.updatedAt).toLocaleTimeString() : "never");
}
fetch("snapshot.json").then((r) => r.json()).then(draw);
new EventSource("events").addEventListener("snapshot", (e) => draw(JSON.parse(e.data)));
</script>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
