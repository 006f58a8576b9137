/**
 * Command acknowledgements and resends (docs/protocol.md §Commands, Acknowledgements), in simulated
 * meshes of a gateway G with the command right, a relay R and a target T in a line:
 *   - T off when two commands are sent and back a minute later: each acted on once, in the order sent,
 *     and acked; nothing goes out for them afterwards;
 *   - T's ack lost (T crashes before it leaves): the resend is acked again, T acts once;
 *   - an insider's forged acks (T's certificate with its own signature, its own certificate) are
 *     refused, and the resends go on until T's genuine ack;
 *   - a commanding node that is not a gateway: T finds a route to it for the ack;
 *   - G restarted with a command pending (command-outbox-store.ts): the target off meanwhile still acts
 *     on it once and G reports it acked; one acked before the restart is not sent again; one pending
 *     across the restart expires 15 minutes after it was taken; a corrupt stored table boots clean;
 * and, on their own: the ack's signature, the DATA and GOSSIP codecs, the pending table's cap,
 * eviction, one command in flight per target, resend times and lifetime.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ascii, toHex } from "../modules/bytes.js";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import type { MeshEvent, Transmit } from "../modules/events.js";
import { commandAckCertificate, encodeCommandAck, verifyCommandAck } from "../modules/command/command-ack.js";
import { encodeCommand, encodeCommandResend, resentCommandSeq } from "../modules/command/command-message.js";
import { COMMAND_EXPIRES_MS, CommandOutbox, RESEND_AFTER_MS, RESEND_PACE_MS } from "../modules/command/command-outbox.js";
import { encodeStoredCommand } from "../modules/command/command-outbox-store.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { MeshNode, type Provisioning } from "../modules/node.js";
import { checkAck, COMMAND_ACK_BYTES, DataKind, decodeData, encodeAck, encodeData, newDataView } from "../modules/wire/data.js";
import { WireError } from "../modules/wire/errors.js";
import { decodeGossip, encodeGossip, GossipKind, newGossipView } from "../modules/wire/gossip.js";
import { RecordType } from "../modules/wire/records.js";
import { nodeCrypto as crypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { Simulator } from "../hosts/sim/simulator.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { fromPositions } from "../hosts/sim/topology.js";
import { ScriptedBoard, type ScriptStep } from "./helpers/scripted-board.js";
import { ScriptedInsider } from "./helpers/scripted-insider.js";

const keys = createMeshKeys(new Rng(15));
const nodeRng = new Rng(16);
const gatewayP = provisionNode(keys, nodeRng, Role.Gateway, true);
const relayP = provisionNode(keys, nodeRng, Role.Relay);
const targetP = provisionNode(keys, nodeRng);
const forgerP = provisionNode(keys, nodeRng);
const idOf = (p: Provisioning) => nodeIdOf(crypto, p.secretKey.subarray(32));
const [gatewayId, targetId, forgerId] = [idOf(gatewayP), idOf(targetP), idOf(forgerP)];
const config = createNodeConfig({ beaconIntervalMs: 2000 });

type Acked = Extract<MeshEvent, { type: "command-acked" }>;
type Acted = Extract<MeshEvent, { type: "command" }>;

/**
 * A target whose acks are lost: once it acts on a command it sends no unicast frame any more (its ack
 * never leaves: the test then crashes it).
 */
class AckLosingTarget extends ScriptedBoard {
  private acted = false;
  private readonly events: MeshEvent[] = [];

  constructor(node: MeshNode) {
    super(node, []);
  }

  override pollTransmit(): Transmit | undefined {
    // The node's events first: the simulator takes its frames before its events, and the ack is a frame.
    for (let e; (e = this.node.pollEvent()); this.events.push(e)) if (e.type === "command") this.acted = true;
    let t = super.pollTransmit();
    while (t && this.acted && t.to !== null) t = super.pollTransmit();
    return t;
  }

  override pollEvent(): MeshEvent | undefined {
    return this.events.shift();
  }
}

/**
 * G(0) - R(1) - T(2) in a line, 100 m apart (range 120); the forger F(3), when given, hears G alone.
 * G runs `script`; `setup` schedules power and the like. Returns each node's events with their times.
 */
function line(script: ScriptStep[], setup: (sim: Simulator) => void,
    until: number, options: { forger?: ScriptedInsider; crashAfterCommand?: boolean; commander?: Provisioning } = {}) {
  const { forger, crashAfterCommand = false, commander = gatewayP } = options;
  let commanderLives = 0;
  const topology = fromPositions(forger ? [0, 100, 200, -100] : [0, 100, 200], forger ? [0, 0, 0, 0] : [0, 0, 0], 120);
  const provisioning = [commander, relayP, targetP];
  const events: { at: number; e: MeshEvent }[][] = [[], [], [], []];
  const sim = new Simulator({
    topology, seed: 21, radio: { loss: 0 },
    createDevice: (i, ports) => {
      if (i === 3) return forger!;
      const node = new MeshNode(provisioning[i], { crypto, random: ports.random, storage: ports.storage }, config);
      // The target loses its ack only in its first life: the crash takes the ack with it.
      if (i === 2 && crashAfterCommand && events[2].length === 0) return new AckLosingTarget(node);
      // G runs its script in its first life only: after a restart it has only what it stored.
      return new ScriptedBoard(node, i === 0 && commanderLives++ === 0 ? script : []);
    },
    onEvent: (i, e, now) => {
      if (i === 2 && e.type === "command" && crashAfterCommand) sim.reboot(2, now + 100, 1000);
      events[i].push({ at: now, e });
    },
  });
  setup(sim);
  sim.startAll(0);
  sim.runUntil(until);
  const of = <T extends MeshEvent["type"]>(i: number, type: T) =>
    events[i].filter((x) => x.e.type === type) as { at: number; e: Extract<MeshEvent, { type: T }> }[];
  return { sim, of };
}

const send = (seqs: number[], path: string, value: string) => ({
  run: (node: MeshNode, now: number) => void seqs.push(node.sendCommand(targetId, path, ascii(value), now)),
});

test("a target off when commanded, back a minute later: each command acted on once, in order, and acked", () => {
  const seqs: number[] = [];
  const { of, sim } = line([{ at: 20_000, ...send(seqs, "led", "on") }, { at: 21_000, ...send(seqs, "fan/speed", "3") }], (sim) => {
    sim.stop(2, 15_000);
    sim.start(2, 80_000);
  }, 400_000);
  const acted = of(2, "command").map(({ e }: { e: Acted }) => [e.seq, e.path, String.fromCharCode(...e.value)]);
  assert.equal(acted, [[seqs[0], "led", "on"], [seqs[1], "fan/speed", "3"]], "each once, in the order sent");
  const acked = of(0, "command-acked");
  assert.equal(acked.map(({ e }: { e: Acked }) => [e.target, e.seq, e.path]), [[toHex(targetId), seqs[0], "led"], [toHex(targetId), seqs[1], "fan/speed"]]);
  const firstAck = acked[0];
  // Resent at 40 s (T off) and at 80 s, as T boots: acked once T has met R again (or after the 160 s resend).
  assert.ok(firstAck.e.resends >= 2 && firstAck.at > 80_000 && firstAck.at < 200_000, `acked at ${firstAck.at} after ${firstAck.e.resends} resends`);
  assert.is(acked[1].e.resends, 0, "the second went out once the first was acked, and was acked at once");
  assert.ok(acked[1].at - firstAck.at < 10_000, `second acked ${acked[1].at - firstAck.at} ms after the first`);
  assert.equal(of(0, "command-expired"), []);
  console.log(`  command-acks: T back at 80 s, first command acked at ${firstAck.at / 1000} s after ${firstAck.e.resends} resends, the second ${(acked[1].at - firstAck.at) / 1000} s later`);
  const target = (sim.device(2) as ScriptedBoard).node;
  assert.is(target.counters.dropped(DropReason.CommandReplay), 0, "no copy after the ack: the resends stopped");
});

test("an ack lost with its target (crashed before it left) is repaired by the resend; the target acts once", () => {
  const seqs: number[] = [];
  const { of, sim } = line([{ at: 20_000, ...send(seqs, "led", "on") }], () => {}, 120_000, { crashAfterCommand: true });
  const acted = of(2, "command");
  assert.equal(acted.map(({ e }: { e: Acted }) => e.seq), [seqs[0]], "acted on once, before the crash");
  assert.ok(acted[0].at < 25_000);
  const acked = of(0, "command-acked");
  assert.equal(acked.map(({ e }: { e: Acked }) => [e.seq, e.resends]), [[seqs[0], 1]], "acked after one resend");
  assert.ok(acked[0].at >= 40_000 && acked[0].at < 45_000, `acked at ${acked[0].at}`);
  const target = (sim.device(2) as ScriptedBoard).node;
  assert.is(target.counters.dropped(DropReason.CommandReplay), 1, "the resend: not acted on again, acked again");
});

test("an insider's forged acks are refused: the resends go on until the target's own ack", () => {
  const seqs: number[] = [];
  const forgedAck = (certificate: Uint8Array) => () => [encodeData(targetId, gatewayId, DataKind.CommandAck, 1, seqs[0],
    encodeCommandAck(crypto, forgerP.secretKey, certificate, gatewayId, targetId, seqs[0]))];
  // T's own (public) certificate with the forger's signature, then the forger's certificate.
  const forger = new ScriptedInsider(forgerP, RecordType.Data, [
    { at: 25_000, records: forgedAck(targetP.certificate) }, { at: 30_000, records: forgedAck(forgerP.certificate) },
  ]);
  const { of, sim } = line([{ at: 20_000, ...send(seqs, "led", "on") }], (sim) => {
    sim.stop(2, 15_000);
    sim.start(2, 60_000);
  }, 200_000, { forger });
  const gateway = (sim.device(0) as ScriptedBoard).node;
  assert.is(gateway.counters.dropped(DropReason.BadSignature), 1, "T's certificate, not T's signature");
  assert.is(gateway.counters.dropped(DropReason.BadCertificate), 1, "a certificate that is not T's");
  const acked = of(0, "command-acked");
  assert.is(acked.length, 1);
  assert.ok(acked[0].at > 60_000 && acked[0].e.resends >= 2, `acked at ${acked[0].at} after ${acked[0].e.resends} resends: the forgeries stopped none`);
  assert.equal(of(2, "command").map(({ e }: { e: Acted }) => e.seq), [seqs[0]]);
});

type Restored = Extract<MeshEvent, { type: "commands-restored" }>;
type Expired = Extract<MeshEvent, { type: "command-expired" }>;

test("a gateway restarted while its target is off resumes the command: the target acts once, the gateway reports it acked", () => {
  const seqs: number[] = [];
  // G sends at 20 s to T (off), restarts at 30 s (5 s down); T is back at 80 s.
  const { of, sim } = line([{ at: 20_000, ...send(seqs, "led", "on") }], (sim) => {
    sim.stop(2, 15_000);
    sim.reboot(0, 30_000, 5000);
    sim.start(2, 80_000);
  }, 300_000);
  const restored = of(0, "commands-restored");
  assert.equal(restored.map(({ at, e }: { at: number; e: Restored }) => [at, e.commands, e.unreadable]),
    [[35_000, [{ target: toHex(targetId), seq: seqs[0], path: "led" }], 0]]);
  assert.equal(of(2, "command").map(({ e }: { e: Acted }) => [e.seq, e.path, String.fromCharCode(...e.value)]), [[seqs[0], "led", "on"]],
    "acted on once: the resend after the restart carries the bytes signed before it");
  const acked = of(0, "command-acked");
  assert.equal(acked.map(({ e }: { e: Acked }) => [e.target, e.seq, e.path]), [[toHex(targetId), seqs[0], "led"]]);
  assert.ok(acked[0].at > 80_000, `acked at ${acked[0].at}`);
  // Its age counts from sendCommand before the restart (the wall clock), not from the boot.
  assert.ok(acked[0].e.ms >= acked[0].at - 20_000 - 1000 && acked[0].e.ms <= acked[0].at - 20_000 + 1000, `ms ${acked[0].e.ms}`);
  assert.equal(of(0, "command-expired"), []);
  assert.equal(sim.storage(0).get("cmdq0"), Uint8Array.of(0), "acked: its slot is free");
  console.log(`  command-acks: G restarted at 30 s, T back at 80 s: acked at ${acked[0].at / 1000} s after ${acked[0].e.resends} resends since the restart`);
});

test("a command whose ack arrived before the restart is not restored, nor sent again", () => {
  const seqs: number[] = [];
  const { of, sim } = line([{ at: 20_000, ...send(seqs, "led", "on") }], (sim) => sim.reboot(0, 40_000, 5000), 200_000);
  const acked = of(0, "command-acked");
  assert.equal(acked.map(({ e }: { e: Acked }) => [e.seq, e.resends]), [[seqs[0], 0]]);
  assert.ok(acked[0].at < 40_000);
  assert.equal(of(0, "commands-restored"), [], "nothing pending: no event");
  assert.equal(of(2, "command").map(({ e }: { e: Acted }) => e.seq), [seqs[0]]);
  assert.is((sim.device(2) as ScriptedBoard).node.counters.dropped(DropReason.CommandReplay), 0, "no copy reached the target after the restart");
});

test("a command pending across a restart still expires 15 minutes after it was taken, the time off counted", () => {
  const seqs: number[] = [];
  // T is off throughout; G is down from 300 s to 420 s.
  const { of } = line([{ at: 20_000, ...send(seqs, "led", "on") }], (sim) => {
    sim.stop(2, 15_000);
    sim.reboot(0, 300_000, 120_000);
  }, 1_100_000);
  assert.equal(of(0, "commands-restored").map(({ e }: { e: Restored }) => e.commands.map((c) => c.seq)), [[seqs[0]]]);
  const expired = of(0, "command-expired");
  assert.equal(expired.map(({ e }: { e: Expired }) => [e.seq, e.path, e.reason]), [[seqs[0], "led", "timeout"]]);
  // The wall clock has whole seconds: within a second of 20 s + 15 min.
  assert.ok(Math.abs(expired[0].at - (20_000 + COMMAND_EXPIRES_MS)) <= 1000, `expired at ${expired[0].at}`);
  assert.ok(expired[0].e.resends >= 3, `${expired[0].e.resends} resends since the restart`);
  assert.equal(of(0, "command-acked"), []);
});

test("a corrupt stored outbox boots clean: its values dropped and counted, the slots freed, commands work", () => {
  const seqs: number[] = [];
  const stored = encodeStoredCommand(crypto, 5, SIM_EPOCH_SECONDS,
    encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 5, targetId, "led", ascii("stale")));
  const flipped = stored.slice();
  flipped[stored.length - 70] ^= 1;
  const otherVersion = stored.slice();
  otherVersion[0] = 2;
  const { of, sim } = line([{ at: 20_000, ...send(seqs, "led", "on") }], (sim) => {
    const flash = sim.storage(0);
    flash.set("cmdq0", flipped);
    flash.set("cmdq1", stored.subarray(0, 100));
    flash.set("cmdq2", otherVersion);
    flash.set("cmdq3", Uint8Array.of(1, 2, 3));
  }, 60_000);
  assert.equal(of(0, "commands-restored").map(({ at, e }: { at: number; e: Restored }) => [at, e.commands, e.unreadable]), [[0, [], 4]]);
  for (const key of ["cmdq1", "cmdq2", "cmdq3"]) assert.equal(sim.storage(0).get(key), Uint8Array.of(0), `${key} freed`);
  assert.equal(of(2, "command").map(({ e }: { e: Acted }) => [e.seq, String.fromCharCode(...e.value)]), [[seqs[0], "on"]], "none of them sent");
  assert.equal(of(0, "command-acked").map(({ e }: { e: Acked }) => e.seq), seqs);
});

test("the ack's signature binds origin, target and seq; DATA kind 7 carries exactly certificate and signature", () => {
  const ack = encodeCommandAck(crypto, targetP.secretKey, targetP.certificate, gatewayId, targetId, 42);
  assert.is(ack.length, COMMAND_ACK_BYTES);
  assert.equal(commandAckCertificate(ack), targetP.certificate);
  const key = targetP.secretKey.subarray(32);
  assert.ok(verifyCommandAck(crypto, ack, gatewayId, targetId, 42, key));
  assert.not.ok(verifyCommandAck(crypto, ack, gatewayId, targetId, 43, key), "another seq");
  assert.not.ok(verifyCommandAck(crypto, ack, forgerId, targetId, 42, key), "another origin");
  assert.not.ok(verifyCommandAck(crypto, ack, gatewayId, forgerId, 42, key), "another target");
  assert.not.ok(verifyCommandAck(crypto, ack, gatewayId, targetId, 42, forgerP.secretKey.subarray(32)), "another key");
  const view = newDataView();
  assert.is(decodeData(encodeData(targetId, gatewayId, DataKind.CommandAck, 0, 42, ack), view), WireError.None);
  assert.equal([view.kind, view.seq, view.payload.length], [DataKind.CommandAck, 42, COMMAND_ACK_BYTES]);
  assert.is(decodeData(encodeData(targetId, gatewayId, DataKind.CommandAck, 0, 42, ack.subarray(1)), view), WireError.BadField);
  const unknown = encodeData(targetId, gatewayId, DataKind.CommandAck, 0, 42, ack);
  unknown[16] = 8;
  assert.is(decodeData(unknown, view), WireError.BadType);
  const custodyAck = encodeAck([{ origin: targetId, kind: DataKind.CommandAck, seq: 42 }]);
  assert.is(checkAck(custodyAck), WireError.None, "a hop takes custody of an ack like any item");
  custodyAck[1 + 8] = 8;
  assert.is(checkAck(custodyAck), WireError.BadType);
  // A resend: the command's seq ‖ its payload, under a later gossip seq.
  const command = encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 7, targetId, "led", ascii("on"));
  const resend = encodeCommandResend(7, command);
  const g = newGossipView();
  assert.is(decodeGossip(encodeGossip(gatewayId, 9, GossipKind.CommandResend, 0, 32, resend), g), WireError.None);
  assert.equal([g.kind, resentCommandSeq(g.payload, g.seq)], [GossipKind.CommandResend, 7]);
  assert.equal(g.payload.subarray(4), command);
  assert.is(resentCommandSeq(resend, 7), 0, "not later than its own seq: not a resend");
  assert.is(resentCommandSeq(resend.subarray(0, 3), 9), 0);
});

test("MeshNode: the full table evicts the oldest command (command-expired, evicted); the rest expire after 15 minutes", () => {
  const gateway = new MeshNode(gatewayP, { crypto, random: new Rng(1), storage: new MemoryStorage() }, config);
  gateway.start(0);
  const targets = Array.from({ length: 17 }, (_, k) => Uint8Array.of(0xee, k, 0, 0, 0, 0, 0, 1));
  const seqs = targets.map((t, k) => gateway.sendCommand(t, "led", ascii("on"), 1000 + k));
  const expired = () => {
    const out: Extract<MeshEvent, { type: "command-expired" }>[] = [];
    for (let e; (e = gateway.pollEvent()); ) if (e.type === "command-expired") out.push(e);
    return out;
  };
  assert.equal(expired().map((e) => [e.seq, e.reason, e.target]), [[seqs[0], "evicted", toHex(targets[0])]]);
  for (let now = 2000; now < 1000 + COMMAND_EXPIRES_MS; now += 1000) gateway.tick(now);
  assert.equal(expired(), []);
  gateway.tick(1000 + COMMAND_EXPIRES_MS + 16);
  const late = expired();
  assert.equal(late.map((e) => e.seq), seqs.slice(1));
  const resends = late.map((e) => e.resends);
  assert.ok(late.every((e) => e.reason === "timeout"));
  // One resend per 30 s in all from the first (20 s after sending), the most overdue first: 30 in 15 minutes, shared out.
  assert.is(resends.reduce((a, b) => a + b), Math.floor((COMMAND_EXPIRES_MS - RESEND_AFTER_MS) / RESEND_PACE_MS) + 1, resends.join(","));
  assert.ok(Math.min(...resends) >= 1, resends.join(","));
  assert.is(gateway.nextTimeout() > 1000 + COMMAND_EXPIRES_MS, true);
});

test("a commanding node that is not a gateway gets its ack by an on-demand route", () => {
  const commanderP = provisionNode(keys, new Rng(17), Role.Node, true);
  const seqs: number[] = [];
  const script = [{ at: 20_000, run: (node: MeshNode, now: number) => void seqs.push(node.sendCommand(targetId, "led", ascii("on"), now)) }];
  const { of, sim } = line(script, () => {}, 60_000, { commander: commanderP });
  assert.equal(of(2, "command").map(({ e }: { e: Acted }) => e.seq), seqs);
  const acked = of(0, "command-acked");
  assert.equal(acked.map(({ e }: { e: Acked }) => [e.seq, e.resends]), [[seqs[0], 0]]);
  assert.ok(acked[0].at - 20_000 < 5000, `acked ${acked[0].at - 20_000} ms after sending`);
  assert.ok((sim.device(2) as ScriptedBoard).node.discoveryCounters.requestsStarted >= 1, "the target looked for a route to it");
});

test("command outbox: one command in flight per target, resend times, lifetime", () => {
  const outbox = new CommandOutbox(4);
  const payload = new Uint8Array(1);
  assert.is(outbox.add("a", 10, "x", payload, 0), null);
  assert.is(outbox.add("a", 11, "y", payload, 100), null);
  assert.is(outbox.add("b", 12, "x", payload, 200), null);
  const first = outbox.unsentHead("a")!;
  assert.is(first.seq, 10);
  outbox.sent(first, 0);
  assert.is(outbox.unsentHead("a"), null, "the second to a waits for the first");
  assert.is(outbox.inFlight("a", 11), null, "nor can it be acked");
  assert.is(outbox.unsentHead("b")!.seq, 12, "b's first is free to go");
  // Resends of the one in flight: 20 s after it went out, then at gaps of 40, 80, 160, 160… s.
  const times: number[] = [];
  for (let now = 0; now <= 600_000; now += 1000) if (outbox.resendDue(now)) times.push(now);
  assert.equal(times, [20_000, 60_000, 140_000, 300_000, 460_000]);
  assert.is(RESEND_AFTER_MS, 20_000);
  outbox.remove(outbox.inFlight("a", 10)!);
  assert.is(outbox.unsentHead("a")!.seq, 11, "acked: the next to a may go");
  const gone: { seq: number }[] = [];
  outbox.expire(COMMAND_EXPIRES_MS + 99, gone as never);
  assert.equal(gone.map((c) => c.seq), [], "lifetimes run from sendCommand");
  outbox.expire(COMMAND_EXPIRES_MS + 100, gone as never);
  assert.equal(gone.map((c) => c.seq), [11]);
  assert.is(outbox.nextDeadline(), COMMAND_EXPIRES_MS + 200);
});

test("command outbox: resends of all commands together go one per RESEND_PACE_MS, the most overdue first", () => {
  const outbox = new CommandOutbox(4);
  for (const name of ["a", "b"]) {
    outbox.add(name, name.charCodeAt(0), "x", new Uint8Array(1), 0);
    outbox.sent(outbox.unsentHead(name)!, 0);
  }
  const resent: string[] = [];
  for (let now = 0; now <= 200_000; now += 1000) {
    const c = outbox.resendDue(now);
    if (c) resent.push(`${c.targetHex}@${now / 1000}`);
  }
  assert.is(RESEND_PACE_MS, 30_000);
  assert.equal(resent, ["a@20", "b@50", "a@80", "b@110", "a@160", "b@190"]);
});

test("command outbox: a command's first send holds every resend back for RESEND_AFTER_MS (new commands go first)", () => {
  const outbox = new CommandOutbox(4);
  outbox.add("a", 1, "x", new Uint8Array(1), 0);
  outbox.sent(outbox.unsentHead("a")!, 0);
  outbox.add("b", 2, "x", new Uint8Array(1), 15_000);
  outbox.sent(outbox.unsentHead("b")!, 15_000);
  assert.is(outbox.nextDeadline(), 35_000, "a's resend, due at 20 s, waits until 20 s after b went out");
  assert.is(outbox.resendDue(34_999), null);
  assert.is(outbox.resendDue(35_000)?.targetHex, "a");
});

test("command outbox: a full table evicts its oldest command for the newest", () => {
  const outbox = new CommandOutbox(3);
  const payload = new Uint8Array(1);
  for (let k = 0; k < 3; k++) assert.is(outbox.add(`t${k}`, k + 1, "x", payload, k), null);
  const evicted = outbox.add("t9", 4, "x", payload, 3);
  assert.is(evicted!.seq, 1);
  assert.is(outbox.size, 3);
  assert.is(outbox.unsentHead("t0"), null);
  assert.is(outbox.unsentHead("t9")!.seq, 4);
});

test.run();
