/**
 * An insider forging gateways' handover notices (docs/protocol.md §Store-and-forward, "Changing
 * home"): a RELEASED in the old home's name with a position beyond what it delivered, which would
 * have the new home skip readings (and the origin drop them on its CONFIRMs), and a RELEASE in a
 * gateway's name, which would stop the real home delivering. Gateways act only on notices their
 * sender signed (forward/handover-message.ts): every reading is still delivered, once. And an insider
 * replaying genuine, signed handover messages it recorded: each is acted on once at most
 * (forward/handover-floors.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { equalBytes } from "../../modules/bytes.js";
import { createNodeConfig } from "../../modules/config.js";
import { DropReason } from "../../modules/counters.js";
import type { MeshEvent, Transmit } from "../../modules/events.js";
import { encodeHandover } from "../../modules/forward/handover-message.js";
import { Role } from "../../modules/identity/certificate.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import { WireError } from "../../modules/wire/errors.js";
import { newFrameHeader } from "../../modules/wire/frame.js";
import { decodeGossip, encodeGossip, GossipKind, newGossipView } from "../../modules/wire/gossip.js";
import { notice, NOTICE_BYTES, NoticeType, writeNotice } from "../../modules/wire/handover.js";
import { CERTIFICATE_BYTES, encodeHello } from "../../modules/wire/hello.js";
import { parseRecords, RecordType, type RecordView } from "../../modules/wire/records.js";
import { nodeCrypto as crypto } from "../../hosts/node/node-crypto.js";
import type { SimDevice } from "../../hosts/sim/device.js";
import { createMeshKeys, provisionNode } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { Simulator } from "../../hosts/sim/simulator.js";
import { fromEdges } from "../../hosts/sim/topology.js";
import { ReadingBoard } from "../helpers/reading-board.js";
import { helloFrame, ScriptedInsider } from "../helpers/scripted-insider.js";

/** An insider that broadcasts, every 20 s from `from` to `to`, a HELLO and the gossip `forged(k)` makes (k = 0, 1, …). */
function forger(p: Provisioning, from: number, to: number, forged: (k: number) => Uint8Array[]): ScriptedInsider {
  const steps = Array.from({ length: Math.ceil((to - from) / 20_000) }, (_, k) => ({ at: from + 20_000 * k, records: () => forged(k) }));
  return new ScriptedInsider(p, RecordType.Gossip, steps);
}

/**
 * An insider (network key, its own owner-signed certificate) that records every gateway's handover
 * message it hears, and at each `replays` time plays those `pick` chooses (as recorded: genuine,
 * signed) once the seen caches of its neighbors forgot them: first FLUSH messages of its own, more
 * than a seen cache holds. It beacons every 20 s to stay admitted.
 */
class Replayer implements SimDevice {
  static readonly FLUSH = 600;
  private readonly sealer: FrameSealer;
  private readonly id: Uint8Array;
  private readonly out: Transmit[] = [];
  private readonly header = newFrameHeader();
  private readonly records: RecordView[] = [];
  private readonly gossip = newGossipView();
  /** Handover messages heard, first copy of each: the gossip body as heard, and its notices. */
  readonly recorded: { origin: Uint8Array; seq: number; body: Uint8Array; notices: ReturnType<typeof notice>[] }[] = [];
  private nextHelloAt = 0;
  private k = 0;
  private flushSeq = 1;
  /** Own messages still to send before `pending` picks the recorded ones to play, one a frame (`plays`). */
  private flushLeft = 0;
  private pending: ((r: Replayer) => Uint8Array[]) | null = null;
  private readonly plays: Uint8Array[] = [];
  private nextFrameAt = Infinity;
  constructor(private readonly p: Provisioning, private readonly replays: { at: number; pick: (r: Replayer) => Uint8Array[] }[]) {
    this.id = nodeIdOf(crypto, p.secretKey.subarray(32));
    this.sealer = new FrameSealer(crypto, p.networkId, p.networkKey, this.id, 1);
  }
  start(): void {}
  receive(bytes: Uint8Array): void {
    const payload = this.sealer.open(bytes, this.header);
    if (typeof payload === "number" || parseRecords(payload, this.records) !== WireError.None) return;
    for (const r of this.records) {
      if (r.type !== RecordType.Gossip && r.type !== RecordType.Repair) continue;
      if (decodeGossip(r.body, this.gossip) !== WireError.None || this.gossip.kind !== GossipKind.Handover) continue;
      const { origin, seq, payload: message } = this.gossip;
      if (this.recorded.some((m) => m.seq === seq && equalBytes(m.origin, origin))) continue;
      const list = message.subarray(CERTIFICATE_BYTES, message.length - 64);
      const notices = Array.from({ length: list.length / NOTICE_BYTES }, (_, i) => notice(list, i));
      this.recorded.push({ origin: origin.slice(), seq, body: r.body.slice(), notices });
    }
  }
  tick(now: number): void {
    if (this.replays.length > 0 && now >= this.replays[0].at) {
      this.pending = this.replays.shift()!.pick;
      this.flushLeft = Replayer.FLUSH;
      this.nextFrameAt = now;
    }
    if (now >= this.nextFrameAt) {
      // Own messages 15 a frame, 10 frames a second (a neighbor takes 20); then the recorded ones,
      // one a frame (up to 510 bytes each).
      const batch: Uint8Array[] = [];
      for (; this.flushLeft > 0 && batch.length < 15; this.flushLeft--) {
        batch.push(encodeGossip(this.id, this.flushSeq++, GossipKind.Data, 0, 1, new Uint8Array(1)));
      }
      if (batch.length === 0 && this.pending) {
        this.plays.push(...this.pending(this));
        this.pending = null;
      }
      if (batch.length === 0 && this.plays.length > 0) batch.push(this.plays.shift()!);
      this.send(batch);
      this.nextFrameAt = this.flushLeft > 0 || this.pending || this.plays.length > 0 ? now + 100 : Infinity;
    }
    if (now >= this.nextHelloAt) {
      this.send([]);
      this.nextHelloAt = now + 20_000;
    }
  }
  /** A frame of a HELLO and `gossip`. */
  private send(gossip: Uint8Array[]): void {
    this.out.push({ bytes: helloFrame(this.sealer, encodeHello(this.k++, 2000, 0, this.p.certificate, []), RecordType.Gossip, gossip), to: null });
  }
  nextTimeout(): number {
    return Math.min(this.nextHelloAt, this.nextFrameAt, this.replays[0]?.at ?? Infinity);
  }
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollEvent(): MeshEvent | undefined {
    return undefined;
  }
}

const [A, B, O, L1, L2, X, Y, W1, W2, F] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/**
 * Gateways A and B; origin O 2 hops from A (through L1 or L2) and 3 from B (X, Y); A and B also
 * joined by W1, W2; the attacker F next to `beside`, made by `attacker`. O takes a reading every 10 s
 * until `stopAt` (`published`, and when each was taken: `takenAt`); each one delivered is logged as
 * "A:seq" or "B:seq", and when (`deliveredAt`).
 */
function mesh(stopAt: number, beside: number[], attacker: (p: Provisioning[], ids: Uint8Array[]) => SimDevice) {
  const topology = fromEdges(10, [[A, L1], [A, L2], [L1, O], [L2, O], [L1, L2], [O, X], [X, Y], [Y, B], [A, W1], [W1, W2], [W2, B],
    ...beside.map((i): [number, number] => [F, i])]);
  const rng = new Rng(7);
  const keys = createMeshKeys(rng);
  const provisioning = Array.from({ length: 10 }, (_, i) => provisionNode(keys, rng, i === A || i === B ? Role.Gateway : Role.Node));
  const ids = provisioning.map((p) => nodeIdOf(crypto, p.secretKey.subarray(32)));
  const config = createNodeConfig({ beaconIntervalMs: 2000, unsentCapacity: 256, confirmAfterMs: 60_000, checkpointEvery: 4 });
  const boards: ReadingBoard[] = [];
  const published: number[] = [];
  const takenAt = new Map<number, number>();
  const delivered: string[] = [];
  const deliveredAt = new Map<number, number>();
  let attackerDevice: SimDevice | null = null;
  const sim: Simulator = new Simulator({
    topology, seed: 7, radio: { loss: 0 },
    createDevice: (i, ports) => {
      if (i === F) return (attackerDevice = attacker(provisioning, ids));
      const node = new MeshNode(provisioning[i], { crypto, random: ports.random, storage: ports.storage }, config);
      return (boards[i] = new ReadingBoard(node, {
        firstAt: 15_000, periodMs: 10_000, publishing: (now) => i === O && now < stopAt,
        onReading: (seq, now) => void (published.push(seq), takenAt.set(seq, now)),
      }));
    },
    onEvent: (i, e) => {
      if (e.type !== "reading" || e.origin !== boards[O].node.idHex) return;
      delivered.push(`${i === A ? "A" : "B"}:${e.seq}`);
      deliveredAt.set(e.seq, sim.now);
    },
  });
  return { sim, boards, published, takenAt, delivered, deliveredAt, ids, attacker: () => attackerDevice };
}

/** One notice, as a HANDOVER payload of main (notices alone). */
function notices(type: NoticeType, origin: Uint8Array, gateway: Uint8Array, position: number): Uint8Array {
  const out = new Uint8Array(NOTICE_BYTES);
  writeNotice(out, 0, type, origin, gateway, position);
  return out;
}

/**
 * The forgeries of a notice in gateway `named`'s name (gossip seq 1,000,000 + 4k and on, new to
 * everyone): the notices alone, unsigned; signed with the named gateway's own certificate (it is
 * public) but the forger's key; signed with the forger's certificate under the gateway's name; and in
 * the forger's own name, whose certificate has no gateway role.
 */
function forgeries(p: Provisioning, forgerId: Uint8Array, named: Uint8Array, namedCertificate: Uint8Array, payload: Uint8Array, k: number): Uint8Array[] {
  const seq = 1_000_000 + 4 * k;
  const gossip = (origin: Uint8Array, s: number, body: Uint8Array) => encodeGossip(origin, s, GossipKind.Handover, 0, 32, body);
  return [
    gossip(named, seq, payload),
    gossip(named, seq + 1, encodeHandover(crypto, p.secretKey, namedCertificate, named, seq + 1, payload)),
    gossip(named, seq + 2, encodeHandover(crypto, p.secretKey, p.certificate, named, seq + 2, payload)),
    gossip(forgerId, seq + 3, encodeHandover(crypto, p.secretKey, p.certificate, forgerId, seq + 3, payload)),
  ];
}

test("a forged RELEASED in the old home's name, beyond what it delivered: the new home skips nothing", () => {
  // A stops; 15 minutes later O moves to B, naming A, and B claims O from A, which cannot answer.
  // The forger, beside B, answers in A's name that A delivered up to reading 10,000: on main B
  // took O over from there and delivered none of its readings: 11 of 239 delivered, all by A.
  const { sim, boards, published, delivered } = mesh(2_400_000, [B], (p, ids) => forger(p[F], 900_000, 1_800_000, (k) =>
    forgeries(p[F], ids[F], ids[A], p[A].certificate, notices(NoticeType.Released, ids[O], ids[B], 10_000), k)));
  sim.stop(A, 120_000);
  sim.startAll(0);
  sim.runUntil(2_700_000);
  const seqs = delivered.map((d) => Number(d.slice(2))).sort((a, b) => a - b);
  assert.equal(seqs, published, `each of O's readings delivered once: ${delivered.join(" ")}`);
  const counters = boards[B].node.counters;
  assert.ok(counters.dropped(WireError.Truncated) >= 40, "the notices alone: no certificate, no signature");
  assert.ok(counters.dropped(DropReason.BadSignature) >= 40, "A's certificate, not A's signature");
  assert.ok(counters.dropped(DropReason.BadCertificate) >= 80, "the forger's certificate: not A's, and no gateway's");
});

test("a forged RELEASE in another gateway's name: the real home goes on delivering", () => {
  // O's home is A. The forger, beside A, claims O from A in B's name: on main A released O to B at
  // reading 6 and stopped delivering it; readings 6 to 59 went on from A to B across the mesh.
  const { sim, boards, published, delivered } = mesh(600_000, [A], (p, ids) => forger(p[F], 60_000, 600_000, (k) =>
    forgeries(p[F], ids[F], ids[B], p[B].certificate, notices(NoticeType.Release, ids[O], ids[A], 0), k)));
  sim.startAll(0);
  sim.runUntil(900_000);
  assert.equal(delivered, published.map((seq) => `A:${seq}`), "A delivers every reading, once");
  const counters = boards[A].node.counters;
  assert.ok(counters.dropped(WireError.Truncated) >= 20);
  assert.ok(counters.dropped(DropReason.BadSignature) >= 20);
  assert.ok(counters.dropped(DropReason.BadCertificate) >= 40);
});

test("genuine RELEASE and RELEASED messages recorded and played again once the seen caches forgot them: refused, and the home goes on delivering", () => {
  // O's home A stops at 120 s and is back at 1,500 s: O moves to B meanwhile, then back to A, each
  // claim answered (RELEASE and RELEASED both ways). The attacker, beside both gateways, records
  // their handover messages. At 2,000 s it plays A's RELEASEDs to B; B stops at 2,400 s; A reboots at
  // 4,700 s. At 4,800 s the attacker plays B's RELEASEs naming A: without floors A released O to B
  // (gone) again and stopped delivering it, none of readings 480 to 539 delivered; with floors kept
  // in RAM alone, the same (the reboot forgot them).
  const stopAt = 5_400_000;
  const replayAt = 4_800_000;
  const played: Uint8Array[][] = [];
  const { sim, boards, published, takenAt, delivered, deliveredAt } = mesh(stopAt, [A, B], (p, ids) => {
    const sent = (r: Replayer, from: number, type: NoticeType, to: number) => r.recorded
      .filter((m) => equalBytes(m.origin, ids[from]) && m.notices.some((n) => n.type === type && equalBytes(n.gateway, ids[to])))
      .map((m) => m.body);
    return new Replayer(p[F], [
      { at: 2_000_000, pick: (r) => (played[0] = sent(r, A, NoticeType.Released, B)) },
      { at: replayAt, pick: (r) => (played[1] = sent(r, B, NoticeType.Release, A)) },
    ]);
  });
  sim.stop(A, 120_000);
  sim.start(A, 1_500_000);
  sim.stop(B, 2_400_000);
  sim.reboot(A, 4_700_000, 5_000); // its floors come back from flash
  sim.startAll(0);
  sim.runUntil(stopAt + 60_000);
  assert.ok(played[0].length > 0 && played[1].length > 0, `RELEASEDs and RELEASEs played: ${played.map((m) => m.length)}`);
  // Counted as replays, not duplicates: the seen caches had forgotten them, and the signatures hold.
  assert.is(boards[B].node.counters.dropped(DropReason.HandoverReplay), played[0].length, "every RELEASED played to B refused");
  assert.is(boards[A].node.counters.dropped(DropReason.HandoverReplay), played[1].length, "every RELEASE played to A refused");
  const seqs = delivered.map((d) => Number(d.slice(2))).sort((a, b) => a - b);
  assert.equal(seqs, published, "each of O's readings delivered once");
  const after = published.filter((seq) => takenAt.get(seq)! >= replayAt);
  assert.ok(after.length >= 50);
  for (const seq of after) {
    assert.ok(delivered.includes(`A:${seq}`) && deliveredAt.get(seq)! - takenAt.get(seq)! < 60_000, `A delivers reading ${seq} at once`);
  }
});

test.run();
