/**
 * An insider forging gateways' handover notices (docs/protocol.md §Store-and-forward, "Changing
 * home"): a RELEASED in the old home's name with a position beyond what it delivered, which would
 * have the new home skip readings (and the origin drop them on its CONFIRMs), and a RELEASE in a
 * gateway's name, which would stop the real home delivering. Gateways act only on notices their
 * sender signed (forward/handover-message.ts): every reading is still delivered, once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../../modules/config.js";
import { DropReason } from "../../modules/counters.js";
import type { MeshEvent, Transmit } from "../../modules/events.js";
import { encodeHandover } from "../../modules/forward/handover-message.js";
import { Role } from "../../modules/identity/certificate.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import { WireError } from "../../modules/wire/errors.js";
import { encodeGossip, GossipKind } from "../../modules/wire/gossip.js";
import { NOTICE_BYTES, NoticeType, writeNotice } from "../../modules/wire/handover.js";
import { encodeHello } from "../../modules/wire/hello.js";
import { RecordType, RECORD_HEADER_BYTES, writeRecord } from "../../modules/wire/records.js";
import { nodeCrypto as crypto } from "../../hosts/node/node-crypto.js";
import type { SimDevice } from "../../hosts/sim/device.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { Simulator } from "../../hosts/sim/simulator.js";
import type { Topology } from "../../hosts/sim/topology.js";

/** A topology from an edge list (the radio reads only who hears whom). */
function graph(n: number, edges: [number, number][]): Topology {
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    lists[a].push(b);
    lists[b].push(a);
  }
  return { x: new Float64Array(n), y: new Float64Array(n), range: 1, side: 1, neighbors: lists.map((l) => Int32Array.from(l.sort((a, b) => a - b))) };
}

/** A board that takes a reading every 10 s until `stopAt`. */
class ReadingBoard implements SimDevice {
  private nextAt = 15_000;
  readonly published: number[] = [];
  constructor(readonly node: MeshNode, private readonly stopAt: number) {}
  start(now: number): void {
    this.node.start(now);
    this.node.setWallClock(SIM_EPOCH_SECONDS + Math.floor(now / 1000), now);
  }
  receive(bytes: Uint8Array, link: unknown, now: number): void {
    this.node.receive(bytes, link, now);
  }
  tick(now: number): void {
    for (; now >= this.nextAt; this.nextAt += 10_000) if (now < this.stopAt) this.published.push(this.node.publishReading("temp", now / 1000, now));
    this.node.tick(now);
  }
  nextTimeout(): number {
    return Math.min(this.node.nextTimeout(), this.nextAt);
  }
  pollTransmit(): Transmit | undefined {
    return this.node.pollTransmit();
  }
  pollEvent(): MeshEvent | undefined {
    return this.node.pollEvent();
  }
}

/** An insider (network key, its own owner-signed certificate) that broadcasts, every 20 s from `from` to `to`, a HELLO and the gossip `forged(k)` makes. */
class Forger implements SimDevice {
  private readonly sealer: FrameSealer;
  private readonly out: Transmit[] = [];
  private nextAt: number;
  private k = 0;
  constructor(private readonly p: Provisioning, from: number, private readonly to: number, private readonly forged: (k: number) => Uint8Array[]) {
    this.sealer = new FrameSealer(crypto, p.networkId, p.networkKey, nodeIdOf(crypto, p.secretKey.subarray(32)), 1);
    this.nextAt = from;
  }
  start(): void {}
  receive(): void {}
  tick(now: number): void {
    for (; now >= this.nextAt && this.nextAt < this.to; this.nextAt += 20_000) {
      const records = [encodeHello(this.k, 2000, 0, this.p.certificate, []), ...this.forged(this.k++)];
      const payload = new Uint8Array(records.reduce((n, r) => n + RECORD_HEADER_BYTES + r.length, 0));
      let at = 0;
      records.forEach((r, i) => (at = writeRecord(payload, at, i === 0 ? RecordType.Hello : RecordType.Gossip, r)));
      this.out.push({ bytes: this.sealer.seal(payload)!, to: null });
    }
  }
  nextTimeout(): number {
    return this.nextAt < this.to ? this.nextAt : Infinity;
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
 * joined by W1, W2; the forger F next to `forgerBeside`. O takes a reading every 10 s until
 * `stopAt`; each one delivered is logged as "A:seq" or "B:seq". `forged(provisioning, ids, k)` is what F sends
 * in its k-th frame.
 */
function mesh(stopAt: number, forgerBeside: number, from: number, to: number, forged: (p: Provisioning[], ids: Uint8Array[], k: number) => Uint8Array[]) {
  const topology = graph(10, [[A, L1], [A, L2], [L1, O], [L2, O], [L1, L2], [O, X], [X, Y], [Y, B], [A, W1], [W1, W2], [W2, B], [F, forgerBeside]]);
  const rng = new Rng(7);
  const keys = createMeshKeys(rng);
  const provisioning = Array.from({ length: 10 }, (_, i) => provisionNode(keys, rng, i === A || i === B ? Role.Gateway : Role.Node));
  const ids = provisioning.map((p) => nodeIdOf(crypto, p.secretKey.subarray(32)));
  const config = createNodeConfig({ beaconIntervalMs: 2000, unsentCapacity: 256, confirmAfterMs: 60_000, checkpointEvery: 4 });
  const boards: ReadingBoard[] = [];
  const delivered: string[] = [];
  const sim: Simulator = new Simulator({
    topology, seed: 7, radio: { loss: 0 },
    createDevice: (i, ports) => {
      if (i === F) return new Forger(provisioning[F], from, to, (k) => forged(provisioning, ids, k));
      const node = new MeshNode(provisioning[i], { crypto, random: ports.random, storage: ports.storage }, config);
      return (boards[i] = new ReadingBoard(node, i === O ? stopAt : 0));
    },
    onEvent: (i, e) => void (e.type === "reading" && e.origin === boards[O].node.idHex && delivered.push(`${i === A ? "A" : "B"}:${e.seq}`)),
  });
  return { sim, boards, delivered };
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
  const { sim, boards, delivered } = mesh(2_400_000, B, 900_000, 1_800_000, (p, ids, k) =>
    forgeries(p[F], ids[F], ids[A], p[A].certificate, notices(NoticeType.Released, ids[O], ids[B], 10_000), k));
  sim.stop(A, 120_000);
  sim.startAll(0);
  sim.runUntil(2_700_000);
  const seqs = delivered.map((d) => Number(d.slice(2))).sort((a, b) => a - b);
  assert.equal(seqs, boards[O].published, `each of O's readings delivered once: ${delivered.join(" ")}`);
  const counters = boards[B].node.counters;
  assert.ok(counters.dropped(WireError.Truncated) >= 40, "the notices alone: no certificate, no signature");
  assert.ok(counters.dropped(DropReason.BadSignature) >= 40, "A's certificate, not A's signature");
  assert.ok(counters.dropped(DropReason.BadCertificate) >= 80, "the forger's certificate: not A's, and no gateway's");
});

test("a forged RELEASE in another gateway's name: the real home goes on delivering", () => {
  // O's home is A. The forger, beside A, claims O from A in B's name: on main A released O to B at
  // reading 6 and stopped delivering it; readings 6 to 59 went on from A to B across the mesh.
  const { sim, boards, delivered } = mesh(600_000, A, 60_000, 600_000, (p, ids, k) =>
    forgeries(p[F], ids[F], ids[B], p[B].certificate, notices(NoticeType.Release, ids[O], ids[A], 0), k));
  sim.startAll(0);
  sim.runUntil(900_000);
  assert.equal(delivered, boards[O].published.map((seq) => `A:${seq}`), "A delivers every reading, once");
  const counters = boards[A].node.counters;
  assert.ok(counters.dropped(WireError.Truncated) >= 20);
  assert.ok(counters.dropped(DropReason.BadSignature) >= 20);
  assert.ok(counters.dropped(DropReason.BadCertificate) >= 40);
});

test.run();
