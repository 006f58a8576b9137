/**
 * The "Under attack" section of BENCHMARKS.md (issue 6's figures): the node fuzzer's million
 * inputs, an insider flooding at 100×, a Sybil swarm, an eclipse, black and grey holes, and the
 * revocation of a stolen certificate. 200-node meshes, fixed seeds.
 *
 * `node build/tools/bench-attacks.js [--fuzz N] [--out FILE]` measures this section alone and
 * rewrites it in place (bench.ts runs it as part of the whole report).
 */
import { runCustodyHoles, type HoleResult } from "../hosts/sim/custody-holes.js";
import { runEclipse, type EclipseResult } from "../hosts/sim/eclipse-attack.js";
import { runInsiderFlood, type FloodResult } from "../hosts/sim/insider-flood.js";
import { fuzzNode, type FuzzResult } from "../hosts/sim/node-fuzzer.js";
import { runRevocation, type RevocationResult } from "../hosts/sim/revocation-spread.js";
import { runSybilSwarm, type SybilResult } from "../hosts/sim/sybil-swarm.js";
import { processIo, runAsScript, UsageError, type Io } from "./cli.js";
import { runReportTool } from "./report-tool.js";
import { replaceSection } from "./markdown-section.js";

const MINUTE = 60_000;
const HEADING = "## Under attack";

export interface AttackResults {
  fuzz: FuzzResult & { wallMs: number };
  flood: FloodResult & { nodes: number };
  sybil: SybilResult & { nodes: number; attackers: number };
  eclipse: EclipseResult;
  black: HoleResult;
  grey: HoleResult;
  revocation: RevocationResult & { nodes: number };
}

/** The hole scenarios: 200 nodes, 2 gateways, 3 holes next to each, 18 min with readings for the first 10. */
const HOLES = { nodes: 200, seed: 1, gateways: 2, holesPerGateway: 3, durationMs: 18 * MINUTE, drainMs: 8 * MINUTE };

export function runAttackBench(fuzzInputs: number, log: (line: string) => void): AttackResults {
  let started = performance.now();
  const seconds = () => `(${((performance.now() - started) / 1000).toFixed(1)} s)`;
  const fuzz = { ...fuzzNode(1, fuzzInputs), wallMs: 0 };
  fuzz.wallMs = performance.now() - started;
  log(`attacks: fuzz ${fuzz.inputs} inputs, ${fuzz.escaped} escaped, ${fuzz.violationCount} violations ${seconds()}`);
  started = performance.now();
  const flood = { ...runInsiderFlood({ nodes: 200, seed: 1, factor: 100, periodMs: 60_000, durationMs: 6 * 60_000 }), nodes: 200 };
  log(`attacks: insider flood, honest delivery ${(100 * flood.honestDelivery).toFixed(2)}%, worst relayed ${flood.worstRelayed} of budget ${flood.allowance} ${seconds()}`);
  started = performance.now();
  const sybil = { ...runSybilSwarm({ nodes: 200, attackers: 5, identities: 1000, seed: 1, durationMs: 6 * 60_000 }), nodes: 200, attackers: 5 };
  log(`attacks: sybil, ${sybil.admitted} admitted, honest delivery ${(100 * sybil.honestDelivery).toFixed(2)}% ${seconds()}`);
  started = performance.now();
  const eclipse = runEclipse({ nodes: 200, seed: 1, attackerShare: 0.75, durationMs: 15 * MINUTE, drainMs: 5 * MINUTE });
  log(`attacks: eclipse, victim delivery ${(100 * eclipse.victimDelivery).toFixed(2)}%, its readings ${eclipse.victimReadings.delivered}/${eclipse.victimReadings.taken} ${seconds()}`);
  started = performance.now();
  const black = runCustodyHoles({ ...HOLES, dropShare: 1 });
  log(`attacks: black holes, ${black.readings.lost} readings lost, ${black.readings.duplicated} duplicated ${seconds()}`);
  started = performance.now();
  const grey = runCustodyHoles({ ...HOLES, dropShare: 0.5 });
  log(`attacks: grey holes, ${grey.readings.lost} readings lost, ${grey.readings.duplicated} duplicated ${seconds()}`);
  started = performance.now();
  const revocation = { ...runRevocation({ nodes: 200, seed: 1, revokeAtMs: 90_000, durationMs: 180_000 }), nodes: 200 };
  log(`attacks: revocation, every node cut off after ${revocation.cutOffMs} ms ${seconds()}`);
  return { fuzz, flood, sybil, eclipse, black, grey, revocation };
}

const int = (n: number) => n.toLocaleString("en-US");
const pass = (ok: boolean) => (ok ? "PASS" : "**FAIL**");

function holeRow(name: string, h: HoleResult): string {
  const r = h.readings;
  return `| ${name} | ${int(r.taken)} readings taken: ${int(r.delivered)} delivered, ${r.lost} lost, ${r.duplicated} duplicated ` +
    `(${r.unreachable} wait at origins with no honest path to a gateway); the holes took custody of ${int(h.droppedByHoles)} and dropped them; ` +
    `latency p50 ${(r.latencyMs.p50 / 1000).toFixed(1)} s, p99 ${(r.latencyMs.p99 / 1000).toFixed(0)} s | 0 lost, 0 duplicated | ` +
    `${pass(r.lost === 0 && r.duplicated === 0)} |`;
}

/** The section; `produced` says which command wrote it, when it was run alone. */
export function renderAttackSection(r: AttackResults, produced?: string): string {
  const f = r.fuzz;
  const d = r.flood;
  const y = r.sybil;
  const e = r.eclipse;
  const v = r.revocation;
  const drops = Object.entries(f.drops).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${int(n)}`).join(", ");
  const beacon = v.beaconIntervalMs;
  return [
    HEADING, "",
    ...(produced ? [produced, ""] : []),
    "Fixed seeds. Attackers run the real core with modified firmware (hosts/sim/insider-attacker.ts); scenarios in hosts/sim/.", "",
    "| attack | figure | target | result |",
    "|---|---|---|---|",
    `| fuzzing a live node (random, mutated-and-sealed by insiders, replayed frames; seed 1) | ${int(f.inputs)} inputs: ` +
      `${f.escaped} escaped exceptions, ${f.violationCount} invariant violations; ${int(f.rejected)} rejected whole, ` +
      `${int(f.accepted)} (partly) applied; ${(f.wallMs / 1000).toFixed(0)} s | ≥ 1,000,000 inputs, 0 and 0 | ` +
      `${pass(f.inputs >= 1_000_000 && f.escaped === 0 && f.violationCount === 0)} |`,
    `| insider flood: one certified node of ${d.nodes} publishing 100× the others' once a minute, 10% loss, 6 min | ` +
      `honest delivery ${(100 * d.honestDelivery).toFixed(2)}% of ${d.honestMessages} messages; the attacker published ${d.attackerPublished}, ` +
      `the most any node relayed was ${d.worstRelayed} (budget ${d.allowance.toFixed(0)}); ${int(d.relaysRefused)} relays refused; ` +
      `caps ${d.capsHeld ? "held" : "**exceeded**"} | ≥ 99%, within budget, caps held | ` +
      `${pass(d.honestDelivery >= 0.99 && d.worstRelayed <= d.allowance && d.capsHeld)} |`,
    `| replay and forgery (from the fuzzing run) | ${int(f.replaysTried)} replays tried, ${f.replaysAccepted} accepted; ` +
      `${int(f.forgeriesTried)} frames forged without the network key, ${f.forgeriesAccepted} accepted | 0 and 0 | ` +
      `${pass(f.replaysAccepted === 0 && f.forgeriesAccepted === 0)} |`,
    `| Sybil: ${int(y.identities)} identities with the network key but certificates not signed by the owner, from ` +
      `${y.attackers} radios among ${y.nodes} nodes, 6 min | ${y.admitted} admitted or delivered of ${int(y.framesSent)} forged frames; ` +
      `honest delivery ${(100 * y.honestDelivery).toFixed(2)}%; ${y.verifiesPerNodeMinute.toFixed(1)} signature verifies per node per minute ` +
      `(the verify budget: 20) | 0 admitted, ≥ 99% | ${pass(y.admitted === 0 && y.honestDelivery >= 0.99)} |`,
    `| eclipse: ${e.attackers} certified insiders around a victim with ${e.victimHonestNeighbors} honest neighbors ` +
      `(${(100 * e.attackers / (e.attackers + e.victimHonestNeighbors)).toFixed(0)}% of its neighborhood), ${e.victimHopsToGateway} hops from the gateway, ` +
      `in a mesh of ${e.honestNodes}; they beacon, claim one perfect hop to the gateway, relay nothing and drop every reading they take; ` +
      `10% loss, gossip and a reading from every node each minute for 10 min, 15 min | victim received ${(100 * e.victimDelivery).toFixed(2)}% ` +
      `of the honest broadcasts it could (mesh ${(100 * e.meshDelivery).toFixed(2)}%); its readings ${e.victimReadings.delivered} of ` +
      `${e.victimReadings.taken} delivered; mesh-wide ${e.readings.lost} readings lost, ${e.readings.duplicated} duplicated ` +
      `(${int(e.droppedByAttackers)} dropped by the attackers and sent again); eclipse suspected by the victim ` +
      `${e.suspectedAt === null ? "**never**" : `at ${(e.suspectedAt / 1000).toFixed(0)} s`} | ≥ 95%, readings delivered | ` +
      `${pass(e.victimDelivery >= 0.95 && e.victimReadings.delivered === e.victimReadings.taken && e.readings.lost === 0)} |`,
    holeRow(`black holes: ${r.black.holes} certified routers next to the ${HOLES.gateways} gateways of ${HOLES.nodes} nodes claim one perfect hop ` +
      "to the gateway and drop every reading they take custody of; 10% loss, a reading from every node each minute for 10 min, 18 min", r.black),
    holeRow(`grey holes: the same, dropping half of the readings (chosen per reading, so a resend through them is dropped again)`, r.grey),
    `| revocation of a stolen certificate: the best-connected of ${v.nodes} nodes, the owner's list handed to a gateway at 90 s | ` +
      `${v.holding} of ${v.others} nodes cut it off (hold the list, forgot it, refuse its frames), the last after ${(v.cutOffMs / 1000).toFixed(2)} s ` +
      `= ${(v.cutOffMs / beacon).toFixed(2)} beacon intervals (median ${(v.medianMs / 1000).toFixed(2)} s); afterwards ${v.deliveredAfterCutOff} of its ` +
      `messages delivered, ${v.stillNeighbors} nodes with it as a neighbor, ${int(v.refused)} of its frames refused | every node, bounded | ` +
      `${pass(v.holding === v.others && v.deliveredAfterCutOff === 0 && v.stillNeighbors === 0)} |`,
    "", `Fuzzer drops by reason (which checks the inputs reached): ${drops}.`, "",
  ].join("\n");
}

const HELP = `Usage: node build/tools/bench-attacks.js [--fuzz N] [--out FILE]

Measures the "Under attack" section of BENCHMARKS.md alone (fuzzing, insider flood, Sybil, eclipse,
black and grey holes, revocation; 200-node meshes, fixed seeds) and rewrites it in place.

  --fuzz N      fuzz inputs (default 1000000)
  --out FILE    the report to update (default: BENCHMARKS.md at the repo root)
  -h, --help    this help
`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runReportTool({
    name: "bench-attacks", section: HEADING.slice(3), help: HELP, flags: { fuzz: { type: "string" } },
    settings(v) {
      const fuzz = v.fuzz === undefined ? 1_000_000 : Number(v.fuzz);
      if (!Number.isInteger(fuzz) || fuzz < 1) throw new UsageError("--fuzz must be a positive integer");
      return fuzz;
    },
    rewrite(existing, fuzz, command, io) {
      const results = runAttackBench(fuzz, (line) => void io.stderr.write(line + "\n"));
      const section = renderAttackSection(results, `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 19)}Z.`);
      const report = replaceSection(existing, HEADING, section);
      if (!report) throw new Error(`the report has no "${HEADING}" section`);
      return report;
    },
  }, argv, io);
}

if (runAsScript(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
