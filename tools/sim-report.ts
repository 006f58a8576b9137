/**
 * A SimulationReport as text for a person: a header saying what was simulated, then delivery,
 * traffic, crypto work and drops, each a short aligned block. At most 40 lines.
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
function short(n: number, digits = 2): string {
  return String(Number(n.toFixed(digits)));
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(LABEL)}${value}`;
}

export function renderReport(report: SimulationReport): string {
  const s = report.scenario;
  const b = report.broadcasts;
  const minutes = s.durationMs / 60_000;
  const nodeMinutes = report.nodes * minutes;
  const policy = s.config?.relayPolicy ?? "coverage";
  const lines: string[] = [];

  lines.push(`Hyphae simulation: ${int(report.nodes)} nodes, ${policy} relay policy`);
  lines.push(
    `  radio degree ${fixed(report.graphDegree, 2)} mean · neighbor table ${fixed(report.tableNeighbors, 2)} mean` +
      ` · ${short(minutes)} simulated min · loss ${short(s.loss * 100, 1)} % · seed ${s.seed}`,
  );
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
  lines.push(`  ${extras.join(" · ")}`);

  lines.push("", "Delivery");
  if (b.count === 0) {
    lines.push(row("broadcasts", "0 (none published with a reachable receiver: nothing to measure)"));
  } else {
    lines.push(row("broadcasts", int(b.count)));
    lines.push(row("delivery ratio", `${pct(b.deliveryRatio)}  (${int(b.delivered)} of ${int(b.reachable)} reachable receivers)`));
    lines.push(row("worst broadcast", pct(b.worstDeliveryRatio)));
    lines.push(row("hops", `${fixed(b.meanHops, 2)} mean vs ${fixed(b.meanBfsHops, 2)} breadth-first limit`));
    lines.push(row("stretch", `${fixed(b.hopStretch, 3)} mean · ${fixed(b.maxHopRatio, 3)} farthest receiver / eccentricity`));
  }

  const r = report.readings;
  if (r) {
    lines.push("", "Readings to gateways");
    lines.push(row("taken", int(r.taken)));
    lines.push(row("delivered", `${int(r.delivered)} · lost ${int(r.lost)} · duplicated ${int(r.duplicated)}` +
      (r.unreachable ? ` · ${int(r.unreachable)} waiting (no path to a gateway)` : "")));
    lines.push(row("verified on delivery", pct(r.delivered ? r.verifiedOnDelivery / r.delivered : 0)));
    const l = r.latencyMs;
    lines.push(row("latency", `${short(l.p50 / 1000)} s median · ${short(l.p90 / 1000)} s p90 · ${short(l.p99 / 1000)} s p99 · ${short(l.max / 1000)} s worst`));
  }

  lines.push("", "Traffic");
  lines.push(row("frames sent", int(report.framesSent)));
  lines.push(row("bytes sent", `${int(report.bytesSent)}  (${int(report.framesSent ? report.bytesSent / report.framesSent : 0)} B/frame)`));
  lines.push(row("beacons", int(report.beaconsSent)));
  if (b.count > 0) lines.push(row("tx per broadcast", `${fixed(b.transmissionsPerBroadcast, 2)}  (origin + relays, among ${int(report.nodes)} nodes)`));
  lines.push(row("relays", `${int(report.relays)} sent · ${int(report.relaysSuppressed)} suppressed`));

  lines.push("", `Crypto operations${" ".repeat(LABEL - 15)}${"total".padStart(12)}${"per node·min".padStart(15)}`);
  const c = report.crypto;
  for (const [name, count] of [["sha512", c.sha512], ["sign", c.sign], ["verify", c.verify], ["seal", c.seal], ["open", c.open]] as const) {
    lines.push(row(name, `${int(count).padStart(12)}${fixed(nodeMinutes ? count / nodeMinutes : 0, 2).padStart(15)}`));
  }
  lines.push(`  verify = certificate and checkpoint checks (${int(report.certificatesVerified)} certificates); none per relayed frame`);

  lines.push("", "Drops");
  const drops = Object.entries(report.drops).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  if (drops.length === 0) lines.push("  none");
  const shown = drops.length > 8 ? drops.slice(0, 7) : drops;
  for (const [reason, count] of shown) lines.push(row(reason, int(count)));
  if (shown.length < drops.length) {
    const rest = drops.slice(shown.length).reduce((sum, [, n]) => sum + n, 0);
    lines.push(row(`${drops.length - shown.length} other reasons`, int(rest)));
  }

  lines.push("", `trace digest ${report.traceDigest} · wall time ${fixed(report.wallMs / 1000, 2)} s`);
  return lines.join("\n") + "\n";
}
