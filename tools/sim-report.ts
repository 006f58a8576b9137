/**
 * A SimulationReport as text for a person: a header saying what was simulated, then delivery,
 * traffic, crypto work and drops, each a short aligned block. At most 40 lines. The same header
 * and figures feed the HTML report's table (report-page.ts).
 */
import { Role } from "../modules/identity/certificate.js";
import type { SimulationReport } from "../hosts/sim/mesh-simulation.js";

const LABEL = 22;

function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function fixed(n: number, digits: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A percentage that never rounds up to 100 (or down to 0) unless it is exactly that. */
function pct(ratio: number, digits = 2): string {
  const step = 10 ** -digits;
  let p = Number((ratio * 100).toFixed(digits));
  if (p >= 100 && ratio < 1) p = 100 - step;
  if (p <= 0 && ratio > 0) p = step;
  return `${fixed(p, digits)} %`;
}

/** Up to `digits` decimals, trailing zeros dropped: 5, 2.5, 0.25. */
export function short(n: number, digits = 2): string {
  return String(Number(n.toFixed(digits)));
}

/** One block of the report: rows of a label and its values, then notes. */
export interface FigureSection {
  title: string;
  /** Headings of the value columns where a row has several values; the text report right-aligns to `width`. */
  columns?: { title: string; width: number }[];
  rows: { label: string; values: string[] }[];
  notes: string[];
}

/** What was simulated: a title line, then two lines of settings. */
export function reportHeader(report: SimulationReport): string[] {
  const s = report.scenario;
  const minutes = s.durationMs / 60_000;
  const policy = s.config?.relayPolicy ?? "coverage";
  const extras: string[] = [
    s.publishPeriodMs > 0 ? `each node publishes every ${short(s.publishPeriodMs / 1000)} s` : "no periodic publishing",
  ];
  if (s.broadcasts?.length) extras.push(`${s.broadcasts.length} scripted broadcasts`);
  const gateways = s.roles?.filter((r) => r.role === Role.Gateway).length ?? 0;
  if (gateways > 0) extras.push(`${gateways} gateway${gateways === 1 ? "" : "s"}`);
  if ((s.readingPeriodMs ?? 0) > 0) extras.push(`a reading every ${short(s.readingPeriodMs! / 1000)} s per node`);
  if (s.reboots?.length) {
    const down = s.reboots.map((r) => r.downMs);
    const same = down.every((d) => d === down[0]);
    extras.push(`${s.reboots.length} reboot${s.reboots.length === 1 ? "" : "s"}${same ? ` (${short(down[0] / 1000)} s down)` : ""}`);
  }
  if (s.stops?.length) extras.push(`${s.stops.length} nodes stopped`);
  for (const p of s.partitions ?? []) extras.push(`partition ${short(p.from / 60_000)}–${short(p.to / 60_000)} min`);
  return [
    `Hyphae simulation: ${int(report.nodes)} nodes, ${policy} relay policy`,
    `radio degree ${fixed(report.graphDegree, 2)} mean · neighbor table ${fixed(report.tableNeighbors, 2)} mean` +
      ` · ${short(minutes)} simulated min · loss ${short(s.loss * 100, 1)} % · seed ${s.seed}`,
    extras.join(" · "),
  ];
}

/** The figures, section by section: delivery, readings (when taken), traffic, crypto work, drops. */
export function reportFigures(report: SimulationReport): FigureSection[] {
  const b = report.broadcasts;
  const nodeMinutes = report.nodes * report.scenario.durationMs / 60_000;
  const sections: FigureSection[] = [];
  const section = (title: string, columns?: FigureSection["columns"]): FigureSection => {
    const added: FigureSection = { title, ...(columns ? { columns } : {}), rows: [], notes: [] };
    sections.push(added);
    return added;
  };
  const row = (into: FigureSection, label: string, ...values: string[]) => into.rows.push({ label, values });

  const delivery = section("Delivery");
  if (b.count === 0) {
    row(delivery, "broadcasts", "0 (none published with a reachable receiver: nothing to measure)");
  } else {
    row(delivery, "broadcasts", int(b.count));
    row(delivery, "delivery ratio", `${pct(b.deliveryRatio)}  (${int(b.delivered)} of ${int(b.reachable)} reachable receivers)`);
    row(delivery, "worst broadcast", pct(b.worstDeliveryRatio));
    row(delivery, "hops", `${fixed(b.meanHops, 2)} mean vs ${fixed(b.meanBfsHops, 2)} breadth-first limit`);
    row(delivery, "stretch", `${fixed(b.hopStretch, 3)} mean · ${fixed(b.maxHopRatio, 3)} farthest receiver / eccentricity`);
  }

  const r = report.readings;
  if (r) {
    const readings = section("Readings to gateways");
    row(readings, "taken", int(r.taken));
    row(readings, "delivered", `${int(r.delivered)} · lost ${int(r.lost)} · duplicated ${int(r.duplicated)}` +
      (r.unreachable ? ` · ${int(r.unreachable)} waiting (no path to a gateway)` : ""));
    row(readings, "verified on delivery", pct(r.delivered ? r.verifiedOnDelivery / r.delivered : 0));
    const l = r.latencyMs;
    row(readings, "latency", `${short(l.p50 / 1000)} s median · ${short(l.p90 / 1000)} s p90 · ${short(l.p99 / 1000)} s p99 · ${short(l.max / 1000)} s worst`);
  }

  const traffic = section("Traffic");
  row(traffic, "frames sent", int(report.framesSent));
  row(traffic, "bytes sent", `${int(report.bytesSent)}  (${int(report.framesSent ? report.bytesSent / report.framesSent : 0)} B/frame)`);
  row(traffic, "beacons", int(report.beaconsSent));
  if (b.count > 0) row(traffic, "tx per broadcast", `${fixed(b.transmissionsPerBroadcast, 2)}  (origin + relays, among ${int(report.nodes)} nodes)`);
  row(traffic, "relays", `${int(report.relays)} sent · ${int(report.relaysSuppressed)} suppressed`);

  const crypto = section("Crypto operations", [{ title: "total", width: 12 }, { title: "per node·min", width: 15 }]);
  const c = report.crypto;
  for (const [name, count] of [["sha512", c.sha512], ["sign", c.sign], ["verify", c.verify], ["seal", c.seal], ["open", c.open], ["agree", c.agree]] as const) {
    row(crypto, name, int(count), fixed(nodeMinutes ? count / nodeMinutes : 0, 2));
  }
  crypto.notes.push(`verify = certificate and checkpoint checks (${int(report.certificatesVerified)} certificates); none per relayed frame`);
  crypto.notes.push("agree = X25519 key agreements, once per origin and gateway (CONFIRM keys)");

  const dropped = section("Drops");
  const drops = Object.entries(report.drops).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  if (drops.length === 0) dropped.notes.push("none");
  const shown = drops.length > 8 ? drops.slice(0, 7) : drops;
  for (const [reason, count] of shown) row(dropped, reason, int(count));
  if (shown.length < drops.length) {
    const rest = drops.slice(shown.length).reduce((sum, [, n]) => sum + n, 0);
    row(dropped, `${drops.length - shown.length} other reasons`, int(rest));
  }
  return sections;
}

export function renderReport(report: SimulationReport): string {
  const [title, ...settings] = reportHeader(report);
  const lines = [title, ...settings.map((line) => `  ${line}`)];
  for (const s of reportFigures(report)) {
    lines.push("", s.title.padEnd(s.columns ? LABEL + 2 : 0) + (s.columns ?? []).map((c) => c.title.padStart(c.width)).join(""));
    for (const { label, values } of s.rows) {
      const value = s.columns ? values.map((v, k) => v.padStart(s.columns![k].width)).join("") : values.join(" ");
      lines.push(`  ${label.padEnd(LABEL)}${value}`);
    }
    for (const note of s.notes) lines.push(`  ${note}`);
  }
  lines.push("", `trace digest ${report.traceDigest} · wall time ${fixed(report.wallMs / 1000, 2)} s`);
  return lines.join("\n") + "\n";
}
