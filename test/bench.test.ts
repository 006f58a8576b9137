import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { BroadcastTotals } from "../hosts/sim/broadcast-ledger.js";
import { componentOf } from "../hosts/sim/graph.js";
import { randomGeometricGraph } from "../hosts/sim/topology.js";
import { MeshSimulation } from "../hosts/sim/mesh-simulation.js";
import {
  broadcastScenario, chooseSources, main, pool, renderScaleSection, type ScaleResult, withRelaySection, withRoutingSection, withScaleSection,
} from "../tools/bench.js";
import { deviceSectionOf, replaceDeviceSection } from "../tools/bench-device.js";
import { firmwareSectionOf, replaceFirmwareSection, SECTION_HEADING } from "../tools/bench-firmware.js";
import { main as contentMain } from "../tools/bench-content.js";
import { main as routingMain, NODE_ROUTE_HEADING, withNodeRouteSection } from "../tools/bench-routing.js";

test("sources: distinct, in the largest component, a function of the seed", () => {
  const topology = randomGeometricGraph({ nodes: 120, averageDegree: 5, seed: 4 });
  const a = chooseSources(topology, 4, 20);
  assert.equal(chooseSources(topology, 4, 20), a);
  assert.not.equal(chooseSources(topology, 5, 20), a);
  assert.is(new Set(a).size, 20);
  const component = new Set(componentOf(topology.neighbors, a[0]));
  for (const s of a) assert.ok(component.has(s), `source ${s} outside the component`);
  for (let i = 0; i < 120; i++) assert.ok(componentOf(topology.neighbors, i).length <= component.size);
});

test("broadcast scenario: beacons first, spaced broadcasts, settle time", () => {
  const s = broadcastScenario(50, 0.3, 2, [7, 8, 9], { hopLimit: 255, relayPolicy: "flood" });
  assert.equal(s.broadcasts, [{ node: 7, at: 30_000 }, { node: 8, at: 33_000 }, { node: 9, at: 36_000 }]);
  assert.is(s.durationMs, 56_000);
  assert.is(s.publishPeriodMs, 0);
  assert.is(s.warmupMs, 0);
  assert.equal(s.config, { hopLimit: 255, relayPolicy: "flood" });
});

test("stepping the run for progress reports changes nothing", () => {
  const scenario = broadcastScenario(30, 0.2, 3, [1, 2], { hopLimit: 255 });
  const whole = new MeshSimulation(scenario).run();
  const steps: number[] = [];
  const stepped = new MeshSimulation(scenario).run({ stepMs: 7_000, onStep: (t) => t < scenario.durationMs && steps.push(t) });
  assert.is(stepped.traceDigest, whole.traceDigest);
  assert.equal(stepped.broadcasts, whole.broadcasts);
  assert.is(steps.length, Math.ceil(scenario.durationMs / 7_000) - 1);
});

test("pooling weights by broadcasts and deliveries", () => {
  const t = (count: number, reachable: number, delivered: number, tx: number, hops: number, bfs: number, latency: number): BroadcastTotals => ({
    count, reachable, delivered, deliveryRatio: delivered / reachable, worstDeliveryRatio: delivered / reachable,
    transmissionsPerBroadcast: tx, meanHops: hops, meanBfsHops: bfs, hopStretch: hops / bfs, maxHopRatio: 1, latencyMs: { mean: latency, p90: 0, max: 0 },
  });
  const p = pool([{ totals: t(1, 10, 10, 4, 2, 2, 100), wallMs: 5 }, { totals: t(3, 30, 15, 8, 3, 2, 400), wallMs: 7 }]);
  assert.is(p.deliveryRatio, 25 / 40);
  assert.is(p.worstDeliveryRatio, 0.5);
  assert.is(p.transmissionsPerBroadcast, (4 + 24) / 4);
  assert.is(p.hopStretch, (20 + 45) / (20 + 30));
  assert.is(p.latencyMeanMs, (10 * 100 + 15 * 400) / 25);
  assert.is(p.wallMs, 12);
});

test("a tiny plan writes a report with tables and target verdicts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-bench-"));
  try {
    const out = join(dir, "b.md");
    let stderr = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    const code = await main(["--out", out], io, { sizes: [40], losses: [0.1], seeds: [1], broadcasts: 3, scale: false });
    assert.is(code, 0, stderr);
    const md = readFileSync(out, "utf8");
    assert.match(md, /^# Hyphae benchmarks\n\nProduced by `[^`]*--out [^`]*` on \d{4}-\d\d-\d\dT/);
    assert.match(md, /Node v\d+/);
    assert.match(md, /### N = 40, loss 10 %/);
    for (const p of ["coverage", "flood", "managed"]) assert.match(md, new RegExp(`\\| ${p} \\| \\d`));
    assert.match(md, /mean greedy CDS [\d.]+ nodes; hindsight relays [\d.]+ tx \([\d.]+ % of flooding.s\); feedback relays [\d.]+ tx \([\d.]+ %\), [\d.]+ tx at the delivery target \([\d.]+ %\); mean source eccentricity [\d.]+ hops/);
    assert.is((md.match(/\| (PASS|\*\*FAIL\*\*) \|/g) ?? []).length, 4);
    assert.match(stderr, /\[3\/3\]/);
    assert.match(stderr, /^(PASS|FAIL) {2}coverage N=40/m);
    const bad = await main(["--bogus"], io);
    assert.is(bad, 2);
    assert.match(stderr, /unknown flag --bogus/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--only scale rewrites just the Simulator-scale section, naming the command; --only takes known sections", async () => {
  const sim = new MeshSimulation({ seed: 1, nodes: 12, averageDegree: 6, durationMs: 5_000, loss: 0, publishPeriodMs: 0, warmupMs: 0 });
  const runs: ScaleResult[] = [{ name: "12 nodes", threads: 2, setupMs: 10, report: sim.run(), cpuMs: 2500 }];
  const share = { aloneMs: [3000, 3100, 2900], pairMs: [4000, 4200, 4400], share: 0.75 };
  const section = renderScaleSection({ runs, share }, { command: "node build/tools/bench.js --only scale", date: new Date(0) });
  assert.match(section, /^## Simulator scale\n\nMeasured alone by `node build\/tools\/bench\.js --only scale` on 1970-01-01T00:00:00Z, Node v/);
  assert.match(section, /\| 12 nodes \| 2 \| 0\.0 s \| \d+\.\d s \| 2\.5 s \| /);
  assert.match(section, new RegExp(`\\| \`${runs[0].report.traceDigest}\` \\|`));
  assert.match(section, /each ran a serial simulation at 75 % of the speed of one thread alone \(median of 3 rounds: 3\.0 s, 3\.1 s, 2\.9 s alone, 4\.0 s, 4\.2 s, 4\.4 s side by side;/);
  assert.match(section, /can run at most 1\.50× as fast as the serial one\./);
  assert.not.match(renderScaleSection({ runs, share: null }), /side by side/);
  const report = "# T\n\n## Relay policies\n\nr\n\n## Simulator scale\n\nold\n\n## Routing and readings\n\nz\n";
  assert.is(withScaleSection(report, section), `# T\n\n## Relay policies\n\nr\n\n${section}\n## Routing and readings\n\nz\n`);
  assert.is(withScaleSection("# T\n", section), `# T\n\n${section}`);

  let stderr = "";
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
  assert.is(await main(["--only", "content"], io), 2);
  assert.match(stderr, /--only takes one of: relay, routing, scale/);
  assert.is(await main(["--only", "scale", "--quick"], io), 2);
});

test("the Routes-to-any-node subsection ends §Routing and readings: added there, then replaced in place", () => {
  const before = "# B\n\n## Routing and readings\n\nrows\n\n## Under attack\n\nfuzz\n";
  const first = withNodeRouteSection(before, `${NODE_ROUTE_HEADING}\n\nold\n`)!;
  assert.is(first, `# B\n\n## Routing and readings\n\nrows\n\n${NODE_ROUTE_HEADING}\n\nold\n\n## Under attack\n\nfuzz\n`);
  assert.is(withNodeRouteSection(first, `${NODE_ROUTE_HEADING}\n\nnew\n`), first.replace("old", "new"));
  assert.is(withNodeRouteSection("# B\n", "x\n"), undefined);
});

test("--only routing replaces just the Routing-and-readings section, subsections included", () => {
  const report = "# T\n\n## Routing and readings\n\nold\n\n### Routes to any node\n\nold too\n\n## Under attack\n\nkept\n";
  assert.is(withRoutingSection(report, "## Routing and readings\n\nnew\n"), "# T\n\n## Routing and readings\n\nnew\n\n## Under attack\n\nkept\n");
  assert.is(withRoutingSection("# T\n", "## Routing and readings\n\nnew\n"), "# T\n\n## Routing and readings\n\nnew\n");
});

test("--only relay rewrites just the Relay-policies section, naming the command", async () => {
  const report = "# T\n\n## Relay policies\n\nold\n\n## Simulator scale\n\nkept\n";
  assert.is(withRelaySection(report, "## Relay policies\n\nnew\n"), "# T\n\n## Relay policies\n\nnew\n\n## Simulator scale\n\nkept\n");
  const dir = mkdtempSync(join(tmpdir(), "hyphae-bench-"));
  try {
    const out = join(dir, "b.md");
    writeFileSync(out, report);
    let stderr = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    const tiny = { sizes: [30], losses: [0.1], seeds: [1], broadcasts: 2, scale: false };
    assert.is(await main(["--only", "relay", "--out", out], io, tiny), 0, stderr);
    const md = readFileSync(out, "utf8");
    assert.match(md, /^# T\n\n## Relay policies\n\nMeasured alone by `[^`]*--only relay[^`]*` on \d{4}-/);
    assert.match(md, /### N = 30, loss 10 %/);
    assert.is((md.match(/\| (PASS|\*\*FAIL\*\*) \|/g) ?? []).length, 4);
    assert.ok(md.endsWith("\n## Simulator scale\n\nkept\n"), md.slice(-100));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Device section is replaced in place or appended, and a run that does not measure it keeps it", async () => {
  const section = "## Device\n\nnew figures\n";
  assert.is(replaceDeviceSection("# T\n\n## A\n\na\n", section), "# T\n\n## A\n\na\n\n## Device\n\nnew figures\n");
  assert.is(replaceDeviceSection("# T\n\n## Device\n\nold\n\n## Z\n\nz\n", section), "# T\n\n## Device\n\nnew figures\n\n## Z\n\nz\n");
  assert.is(replaceDeviceSection("", section), section);
  assert.is(deviceSectionOf("# T\n\n## Device\n\nold\n\n### sub\n\n## Z\n"), "## Device\n\nold\n\n### sub\n");
  assert.is(deviceSectionOf("# T\n\n## Devices\n"), undefined);

  const dir = mkdtempSync(join(tmpdir(), "hyphae-bench-"));
  try {
    const out = join(dir, "b.md");
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const tiny = { sizes: [30], losses: [0.1], seeds: [1], broadcasts: 2, scale: false };
    assert.is(await main(["--out", out], io, tiny), 0);
    assert.match(readFileSync(out, "utf8"), /\n## Device\n\nNot measured yet: `node build\/tools\/bench-device\.js`/);
    writeFileSync(out, "# Old report\n\n## Device\n\nkept figures\n\n### Heap\n\nrows\n");
    assert.is(await main(["--out", out], io, tiny), 0);
    const md = readFileSync(out, "utf8");
    assert.match(md, /^# Hyphae benchmarks\n/);
    assert.ok(md.endsWith("\n## Device\n\nkept figures\n\n### Heap\n\nrows\n"), md.slice(-200));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the firmware section sits right after Device, is replaced in place, and survives both Device writers", async () => {
  const fw = `${SECTION_HEADING}\n\nfirmware figures\n`;
  const report = "# T\n\n## A\n\na\n\n## Device\n\nd\n\n### sub\n\ns\n\n## Z\n\nz\n";
  const placed = replaceFirmwareSection(report, fw);
  assert.is(placed, `# T\n\n## A\n\na\n\n## Device\n\nd\n\n### sub\n\ns\n\n${fw}\n## Z\n\nz\n`);
  assert.is(replaceFirmwareSection(placed, `${SECTION_HEADING}\n\nnewer\n`), placed.replace("firmware figures", "newer"));
  assert.is(firmwareSectionOf(placed), fw);
  assert.is(deviceSectionOf(placed), "## Device\n\nd\n\n### sub\n\ns\n", "the Device section ends where the firmware one starts");
  assert.is(replaceDeviceSection(placed, "## Device\n\nnew\n"), placed.replace("d\n\n### sub\n\ns\n", "new\n"));
  assert.is(replaceFirmwareSection("# T\n\n## Device\n\nd\n", fw), `# T\n\n## Device\n\nd\n\n${fw}`);
  assert.is(replaceFirmwareSection("", fw), fw);

  const dir = mkdtempSync(join(tmpdir(), "hyphae-bench-"));
  try {
    const out = join(dir, "b.md");
    writeFileSync(out, `# Old report\n\n## Device\n\nkept figures\n\n${fw}`);
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    assert.is(await main(["--out", out], io, { sizes: [30], losses: [0.1], seeds: [1], broadcasts: 2, scale: false }), 0);
    const md = readFileSync(out, "utf8");
    assert.ok(md.endsWith(`\n## Device\n\nkept figures\n\n${fw}`), md.slice(-200));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

test("bench-routing and bench-content: --help says what they rewrite; a bad flag is refused before anything runs", async () => {
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  assert.is(await routingMain(["--help"], io), 0);
  assert.match(stdout, /^Usage: node build\/tools\/bench-routing\.js \[--out FILE\]/);
  assert.match(stdout, /### Routes to any node/);
  assert.is(await contentMain(["-h"], io), 0);
  assert.match(stdout, /Usage: node build\/tools\/bench-content\.js \[--quick\] \[--out FILE\]/);
  const dir = mkdtempSync(join(tmpdir(), "hyphae-bench-flags-"));
  try {
    const out = join(dir, "B.md");
    writeFileSync(out, "# B\n");
    assert.is(await routingMain(["--quick", "--out", out], io), 2);
    assert.match(stderr, /bench-routing: unknown flag --quick\nRun with --help for the flags\./);
    assert.is(await contentMain(["--out", out, "500"], io), 2);
    assert.match(stderr, /bench-content: unexpected argument '500'/);
    assert.is(await contentMain(["--out", " "], io), 2);
    assert.match(stderr, /bench-content: --out must name a file/);
    // Refused before running: the report is as it was.
    assert.is(readFileSync(out, "utf8"), "# B\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
