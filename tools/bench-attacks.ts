/**
 * The "Under attack" section of BENCHMARKS.md (issue 6's figures, as far as they are built):
 * the node fuzzer's million inputs and an insider flooding at 100×. Fixed seeds.
 */
import { runInsiderFlood, type FloodResult } from "../hosts/sim/insider-flood.js";
import { fuzzNode, type FuzzResult } from "../hosts/sim/node-fuzzer.js";
import { runSybilSwarm, type SybilResult } from "../hosts/sim/sybil-swarm.js";

export interface AttackResults {
  fuzz: FuzzResult & { wallMs: number };
  flood: FloodResult & { nodes: number };
  sybil: SybilResult & { nodes: number; attackers: number };
}

export function runAttackBench(fuzzInputs: number, log: (line: string) => void): AttackResults {
  let started = performance.now();
  const fuzz = { ...fuzzNode(1, fuzzInputs), wallMs: 0 };
  fuzz.wallMs = performance.now() - started;
  log(`attacks: fuzz ${fuzz.inputs} inputs, ${fuzz.escaped} escaped, ${fuzz.violationCount} violations (${(fuzz.wallMs / 1000).toFixed(1)} s)`);
  started = performance.now();
  const flood = { ...runInsiderFlood({ nodes: 200, seed: 1, factor: 100, periodMs: 60_000, durationMs: 6 * 60_000 }), nodes: 200 };
  log(`attacks: insider flood, honest delivery ${(100 * flood.honestDelivery).toFixed(2)}%, worst relayed ${flood.worstRelayed} of budget ${flood.allowance} ` +
    `(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  started = performance.now();
  const sybil = { ...runSybilSwarm({ nodes: 200, attackers: 5, identities: 1000, seed: 1, durationMs: 6 * 60_000 }), nodes: 200, attackers: 5 };
  log(`attacks: sybil, ${sybil.admitted} admitted, honest delivery ${(100 * sybil.honestDelivery).toFixed(2)}% ` +
    `(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { fuzz, flood, sybil };
}

export function renderAttackSection(r: AttackResults): string {
  const f = r.fuzz;
  const d = r.flood;
  const y = r.sybil;
  const pass = (ok: boolean) => (ok ? "PASS" : "**FAIL**");
  const drops = Object.entries(f.drops).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ");
  return [
    "## Under attack", "",
    "Fixed seeds. Scenarios still to come with issue 6: eclipse, black and grey holes at 200 nodes, revocation time.", "",
    "| attack | figure | target | result |",
    "|---|---|---|---|",
    `| fuzzing a live node (random, mutated-and-sealed by insiders, replayed frames; seed 1) | ${f.inputs.toLocaleString("en-US")} inputs: ` +
      `${f.escaped} escaped exceptions, ${f.violationCount} invariant violations; ${f.rejected.toLocaleString("en-US")} rejected whole, ` +
      `${f.accepted.toLocaleString("en-US")} (partly) applied; ${(f.wallMs / 1000).toFixed(0)} s | ≥ 1,000,000 inputs, 0 and 0 | ` +
      `${pass(f.inputs >= 1_000_000 && f.escaped === 0 && f.violationCount === 0)} |`,
    `| insider flood: one certified node of ${d.nodes} publishing 100× the others' once a minute, 10% loss, 6 min | ` +
      `honest delivery ${(100 * d.honestDelivery).toFixed(2)}% of ${d.honestMessages} messages; the attacker published ${d.attackerPublished}, ` +
      `the most any node relayed was ${d.worstRelayed} (budget ${d.allowance.toFixed(0)}); ${d.relaysRefused.toLocaleString("en-US")} relays refused; ` +
      `caps ${d.capsHeld ? "held" : "**exceeded**"} | ≥ 99%, within budget, caps held | ` +
      `${pass(d.honestDelivery >= 0.99 && d.worstRelayed <= d.allowance && d.capsHeld)} |`,
    `| replay and forgery (from the fuzzing run) | ${f.replaysTried.toLocaleString("en-US")} replays tried, ${f.replaysAccepted} accepted; ` +
      `${f.forgeriesTried.toLocaleString("en-US")} frames forged without the network key, ${f.forgeriesAccepted} accepted | 0 and 0 | ` +
      `${pass(f.replaysAccepted === 0 && f.forgeriesAccepted === 0)} |`,
    `| Sybil: ${y.identities.toLocaleString("en-US")} identities with the network key but certificates not signed by the owner, from ` +
      `${y.attackers} radios among ${y.nodes} nodes, 6 min | ${y.admitted} admitted or delivered of ${y.framesSent.toLocaleString("en-US")} forged frames; ` +
      `honest delivery ${(100 * y.honestDelivery).toFixed(2)}%; ${y.verifiesPerNodeMinute.toFixed(1)} signature verifies per node per minute ` +
      `(the verify budget: 20) | 0 admitted, ≥ 99% | ${pass(y.admitted === 0 && y.honestDelivery >= 0.99)} |`,
    "", `Fuzzer drops by reason (which checks the inputs reached): ${drops}.`, "",
  ].join("\n");
}
