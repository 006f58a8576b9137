/**
 * An origin changing home (docs/protocol.md §Store-and-forward, "Changing home"): readings lent before
 * it moved, reaching the home it left after that gateway released it, are delivered once, by the
 * gateway it released the origin to or one after; and how long a new home holds the readings of an
 * origin whose old home is gone.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { FeedLog } from "../modules/feed/feed-log.js";
import { StoreAndForward, type ForwardContext } from "../modules/forward/store-and-forward.js";
import { WAIT_MS } from "../modules/forward/gateway-handover.js";
import { DataKind, decodeData, encodeData, ENTRY_HEAD_BYTES, newDataView } from "../modules/wire/data.js";
import { WireError } from "../modules/wire/errors.js";
import { RecordType } from "../modules/wire/records.js";
import { nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import type { MeshEvent, Transmit } from "../modules/events.js";
import { Role } from "../modules/identity/certificate.js";
import { MeshNode } from "../modules/node.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import type { SimDevice } from "../hosts/sim/device.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { Simulator } from "../hosts/sim/simulator.js";
import { fromEdges } from "../hosts/sim/topology.js";

/** A board that takes a reading every 10 s while `publishing` says so. */
class ReadingBoard implements SimDevice {
  private nextAt = 15_000;
  readonly published: number[] = [];
  constructor(readonly node: MeshNode, private readonly publishing: (now: number) => boolean) {}
  start(now: number): void {
    this.node.start(now);
    this.node.setWallClock(SIM_EPOCH_SECONDS + Math.floor(now / 1000), now);
  }
  receive(bytes: Uint8Array, link: unknown, now: number): void {
    this.node.receive(bytes, link, now);
  }
  tick(now: number): void {
    for (; now >= this.nextAt; this.nextAt += 10_000) if (this.publishing(now)) this.published.push(this.node.publishReading("temp", now / 1000, now));
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

const [A, B, O, L1, L2, X, Y, W1, W2] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

/**
 * Gateways A and B; origin O between A's lenders L1, L2 (2 hops to A) and the way X, Y to B (3 hops);
 * A and B also joined by W1, W2. O alone takes readings, until `stopAt`; each one delivered is logged
 * as "A:seq" or "B:seq", with the time.
 */
function mesh(stopAt: number, unsentCapacity = 64) {
  const topology = fromEdges(9, [[A, L1], [A, L2], [L1, O], [L2, O], [L1, L2], [O, X], [X, Y], [Y, B], [A, W1], [W1, W2], [W2, B]]);
  const rng = new Rng(7);
  const keys = createMeshKeys(rng);
  const provisioning = Array.from({ length: 9 }, (_, i) => provisionNode(keys, rng, i === A || i === B ? Role.Gateway : Role.Node));
  const config = createNodeConfig({ beaconIntervalMs: 2000, unsentCapacity, confirmAfterMs: 60_000, checkpointEvery: 4 });
  const boards: ReadingBoard[] = [];
  const delivered: { at: number; by: string }[] = [];
  const sim: Simulator = new Simulator({
    topology, seed: 7, radio: { loss: 0 },
    createDevice: (i, ports) => {
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config);
      return (boards[i] = new ReadingBoard(node, (now) => i === O && now < stopAt));
    },
    onEvent: (i, e) => {
      if (e.type === "reading" && e.origin === boards[O].node.idHex) delivered.push({ at: sim.now, by: `${i === A ? "A" : "B"}:${e.seq}` });
    },
  });
  const alone = (...nodes: number[]): Int32Array => Int32Array.from({ length: 9 }, (_, i) => (nodes.includes(i) ? 1 : 0));
  return { sim, boards, delivered, alone };
}

test("readings lent before the origin moved home, reaching the home it left once released, are delivered once by the new home", () => {
  // O, cut off from both gateways, lends its oldest readings to L1 and L2 before its storage overwrites
  // them; 15 minutes out of reach of A, it moves to B, naming A. A, back, releases O to B; the lenders,
  // back last, carry the lent readings to A. Made before the move, they name no previous home: on
  // main A dropped them as late copies of its own stay, B pulled them from O, which had overwritten
  // them, and O wrote them off: never delivered.
  const [CUT, MOVED, RELEASED, HEALED] = [60_000, 1_000_000, 1_060_000, 1_105_000];
  const { sim, boards, delivered, alone } = mesh(HEALED);
  sim.partition(alone(O, L1, L2), CUT, MOVED);
  sim.partition(alone(A), MOVED, RELEASED);
  sim.partition(alone(L1, L2), RELEASED, HEALED);
  sim.startAll(0);
  sim.runUntil(HEALED + 600_000);
  const seqs = delivered.map((d) => Number(d.by.slice(2))).sort((a, b) => a - b);
  assert.equal(seqs, boards[O].published, `each of O's readings delivered once: ${delivered.map((d) => d.by).join(" ")}`);
});

test("an old home gone for good: the origin leaves it after 15 minutes out of reach, and the new home holds its readings 15 minutes more", () => {
  // The new home cannot tell a dead old home from one cut off by a partition, which still delivers
  // what reaches it and says where it stopped once the partition heals: it waits CUT_OFF_WAIT_MS while
  // it has no route to it (18 minutes at most, when a route comes back at the end: protocol.md).
  // Storage for 256 readings: the 30 minutes without a confirmation take 180.
  const { sim, boards, delivered } = mesh(2_400_000, 256);
  const stoppedAt = 120_000;
  sim.stop(A, stoppedAt);
  sim.startAll(0);
  let movedAt = NaN;
  for (let t = 1000; t <= 2_700_000 && Number.isNaN(movedAt); t += 1000) {
    sim.runUntil(t);
    if (sim.storage(O).get("fhome")?.[0] === boards[B].node.id[0]) movedAt = t;
  }
  sim.runUntil(2_700_000);
  const firstAtB = delivered.find((d) => d.by.startsWith("B:"))!.at;
  const seconds = (ms: number): number => Math.round(ms / 1000);
  assert.ok(movedAt - stoppedAt >= 15 * 60_000 && movedAt - stoppedAt <= 15 * 60_000 + 10_000, `O moved ${seconds(movedAt - stoppedAt)} s after A stopped`);
  assert.ok(firstAtB - movedAt >= 15 * 60_000 && firstAtB - movedAt <= 15 * 60_000 + 2000, `B held O's readings ${seconds(firstAtB - movedAt)} s`);
  const seqs = delivered.map((d) => Number(d.by.slice(2))).sort((a, b) => a - b);
  assert.equal(seqs, boards[O].published, "each once");
});

test("an old home gone for good, its origin storing 64 readings: the lenders carry what they keep to the new home, once", () => {
  // Half an hour unconfirmed overflows O's storage and its three neighbors' quotas (32 each). Their
  // replicas, lent while A was home, stayed addressed to A, stopped: full, they refused every later
  // lend, which would have named B; O's lends, unACKed, held its half of the custody queue, and its
  // own entries never left. On main 11 of 239 readings delivered after 80 minutes, 0 after A stopped.
  const { sim, boards, delivered } = mesh(2_400_000);
  sim.stop(A, 120_000);
  sim.startAll(0);
  sim.runUntil(3_000_000);
  const seqs = delivered.map((d) => Number(d.by.slice(2)));
  assert.equal(seqs.length, new Set(seqs).size, "none twice");
  assert.ok(seqs.length >= boards[O].published.length - boards[O].node.readingsLost, `${seqs.length} of ${boards[O].published.length} delivered, ${boards[O].node.readingsLost} counted lost`);
  assert.equal([L1, L2, X].map((i) => boards[i].node.replicasHeld), [0, 0, 0], "every replica delivered and dropped");
  assert.is(boards[O].node.unconfirmedReadings, 0);
});

/**
 * Gateways (ids filled with their number) that each hear every other's gossip, except those made
 * `silent` (their notices neither go out nor come in: the gossip cut while routes remain), and send
 * DATA to each other directly (slot = the receiver's number), ACKed. Origin 1's entries `seqs` are
 * offered naming `named` (0: none); each delivery is logged as "gateway:seq".
 */
function gatewayMesh(ids: number[]) {
  const origin = new Uint8Array(8).fill(1);
  const feed = new FeedLog(nodeCrypto, new MemoryStorage(), origin, nodeKeyPairFromSeed(new Uint8Array(32).fill(9)).secretKey);
  const entries = Array.from({ length: 20 }, (_, i) => feed.append("temp", i, 0).bytes);
  const delivered: string[] = [];
  const silent = new Set<number>();
  const gossip: { from: number; payload: Uint8Array }[] = [];
  const frames: { from: number; to: number; type: RecordType; body: Uint8Array }[] = [];
  const gateways = new Map<number, StoreAndForward>();
  const view = newDataView();
  for (const n of ids) {
    const id = new Uint8Array(8).fill(n);
    const ctx: ForwardContext = {
      id, isGateway: true,
      nextHopToward: (to) => (gateways.has(to[0]) ? to[0] : -1), nextHopToNode: () => -1, nearestGatewayId: () => null, trustedGatewayId: () => null, isRevoked: () => false,
      broadcastHandover: (payload) => void gossip.push({ from: n, payload: payload.slice() }),
      hasNeighbor: (slot) => gateways.has(slot), lenderSlot: () => -1, neighborId: (slot) => new Uint8Array(8).fill(slot),
      sendTo: (to, type, body) => void frames.push({ from: n, to, type, body: body.slice() }),
      drop() {}, onDirectMessage() {}, messageUnroutable() {}, onCommandAck() {}, readingResent() {}, judge() {}, onHealthReport() {}, admitOrigin: () => null,
      admitGateway: () => null, knownPublicKey: () => null, slotOf: () => -1,
      emit: (e) => void (e.type === "reading" && delivered.push(`${n}:${e.seq}`)),
    };
    gateways.set(n, new StoreAndForward(ctx, nodeCrypto, new MemoryStorage(), new Uint8Array(64), new Uint8Array(0), createNodeConfig()));
  }
  let now = 0;
  return {
    delivered,
    silent,
    offer(at: number, seqs: number[], named: number): void {
      for (const seq of seqs) {
        const entry = entries[seq - 1];
        const payload = new Uint8Array(ENTRY_HEAD_BYTES + entry.length + (named ? 8 : 0));
        payload[3] = 1; // base 1: the origin had nothing confirmed
        payload.set(entry, ENTRY_HEAD_BYTES);
        if (named) payload.fill(named, ENTRY_HEAD_BYTES + entry.length);
        assert.is(decodeData(encodeData(origin, new Uint8Array(8).fill(at), DataKind.Entry, 1, seq, payload), view), WireError.None);
        gateways.get(at)!.onData(view, 99, now);
      }
    },
    /** Runs every gateway for `ms`, a tick a second. */
    run(ms: number): void {
      for (const end = now + ms; now < end; now += 1000) {
        for (const g of gateways.values()) g.tick(now);
        for (let f = frames.shift(); f; f = frames.shift()) {
          const g = gateways.get(f.to);
          if (!g) continue;
          if (f.type === RecordType.Ack) g.onAck(f.body, f.from, now);
          else if (decodeData(f.body, view) === WireError.None) g.onData(view, f.from, now);
          g.flushAcks();
        }
        for (let m = gossip.shift(); m; m = gossip.shift()) {
          if (silent.has(m.from)) continue;
          for (const [n, g] of gateways) if (n !== m.from && !silent.has(n)) g.onHandover(new Uint8Array(8).fill(m.from), m.payload, now);
        }
      }
    },
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Gateways A, B, C; the origin's home went A → B → C, each claim answered: A delivered 1 to 3, B 4, C 5 and 6. */
function homeAtC() {
  const [A, B, C] = [11, 12, 13];
  const mesh = gatewayMesh([A, B, C]);
  mesh.offer(A, range(1, 3), 0);
  mesh.run(10_000);
  mesh.offer(B, range(1, 4), A);
  mesh.run(60_000);
  mesh.offer(C, range(1, 6), B);
  mesh.run(60_000);
  assert.equal(mesh.delivered, ["11:1", "11:2", "11:3", "12:4", "13:5", "13:6"]);
  return { mesh, A, B, C };
}

test("a late entry naming a home before A, at A released, is delivered by the last home when nobody down the chain answers A's claim", () => {
  // A claims the origin down the chain (it may have come back) from B, which asks C for it; C, its
  // gossip cut, never answers. On main A held the entry, stayed released when its claim gave up
  // unanswered, and delivered it never.
  const { mesh, A, C } = homeAtC();
  mesh.silent.add(C);
  mesh.offer(A, [7], 10);
  mesh.run(WAIT_MS + 60_000);
  assert.equal(mesh.delivered.slice(6), [`${C}:7`], "C, the last home, delivers it, once");
});

test("a late entry at A released, while B passes A's claim down the chain to a silent C, reaches C: no round between A and B", () => {
  // B, asked by A while released to C, claims the origin from C for A. Had it taken A for the
  // gateway it released the origin to at once, A (its own claim given up still released) and B would
  // be released to each other, and a late entry would go round between them until the hop limit.
  const { mesh, A, C } = homeAtC();
  mesh.silent.add(C);
  mesh.offer(A, [7], 10);
  mesh.run(10_000);
  mesh.offer(A, [8], 0);
  mesh.run(WAIT_MS + 60_000);
  mesh.offer(A, [9], 0);
  mesh.run(60_000);
  assert.equal(mesh.delivered.slice(6), [`${C}:7`, `${C}:8`, `${C}:9`]);
});

test.run();
