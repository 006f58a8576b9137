/**
 * MeshNode as a black box: admission (the Sybil gate), replay, revocation, expiry, counters that
 * survive reboots, and attribution by checkpoint. Nodes are wired by hand so every frame is visible.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig, type NodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import type { MeshEvent } from "../modules/events.js";
import { issueCertificate, Role } from "../modules/identity/certificate.js";
import { issueRevocationList } from "../modules/identity/revocation.js";
import { MeshNode, type Provisioning } from "../modules/node.js";
import { nodeCrypto as crypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { Rng } from "../hosts/sim/rng.js";
import { WireError } from "../modules/wire/errors.js";

const NETWORK = 7;
const NOW_SECONDS = 1_800_000_000;
const networkKey = new Uint8Array(32).fill(3);
const owner = nodeKeyPairFromSeed(new Uint8Array(32).fill(1));
const impostorOwner = nodeKeyPairFromSeed(new Uint8Array(32).fill(2));

function provision(seed: number, opts: { signer?: typeof owner; notAfter?: number; role?: Role } = {}): Provisioning {
  const pair = nodeKeyPairFromSeed(new Uint8Array(32).fill(10 + seed));
  const certificate = issueCertificate(crypto, (opts.signer ?? owner).secretKey, {
    networkId: NETWORK, publicKey: pair.publicKey, role: opts.role ?? Role.Node,
    notBefore: NOW_SECONDS - 1000, notAfter: opts.notAfter ?? NOW_SECONDS + 1e6,
  });
  return { networkId: NETWORK, networkKey, ownerPublicKey: owner.publicKey, secretKey: pair.secretKey, certificate };
}

/** A node built around its own storage, with a wall clock set, so tests can reboot it. */
function boot(p: Provisioning, storage = new MemoryStorage(), config: Partial<NodeConfig> = {}, now = 0): MeshNode {
  const node = new MeshNode(p, { crypto, random: new Rng(p.certificate[5] + now), storage }, createNodeConfig(config));
  node.start(now);
  node.setWallClock(NOW_SECONDS, now);
  return node;
}

function drain(node: MeshNode): { frames: Uint8Array[]; events: MeshEvent[] } {
  const frames: Uint8Array[] = [];
  const events: MeshEvent[] = [];
  for (let t; (t = node.pollTransmit()); ) frames.push(t.bytes);
  for (let e; (e = node.pollEvent()); ) events.push(e);
  return { frames, events };
}

/**
 * Runs a fully connected set of nodes with lossless, instant links for `ms`, 10 ms steps; `heard`
 * may lose frames (from node `from` to node `to` at `now`).
 */
function run(
  nodes: MeshNode[], from: number, ms: number, onFrame?: (from: number, frame: Uint8Array) => void,
  heard: (from: number, to: number, now: number) => boolean = () => true,
): MeshEvent[][] {
  const events: MeshEvent[][] = nodes.map(() => []);
  for (let now = from; now <= from + ms; now += 10) {
    nodes.forEach((n) => { if (n.nextTimeout() <= now) n.tick(now); });
    for (let moved = true; moved; ) {
      moved = false;
      nodes.forEach((n, i) => {
        const out = drain(n);
        events[i].push(...out.events);
        for (const f of out.frames) {
          moved = true;
          onFrame?.(i, f);
          nodes.forEach((m, j) => { if (j !== i && heard(i, j, now)) m.receive(f, i, now); });
        }
      });
    }
  }
  return events;
}

test("a node repairs its own message for a neighbor whose HELLO lacks it, even one it sent in the window's first interval", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  run([a, b], 0, 12_000);
  a.publish(new Uint8Array([42]), 12_010);
  // b misses the message, and a hears no HELLO of b's until 9.5 s later: then only the rule for our
  // own messages judges it (others' messages are judged from 9 s before a HELLO on).
  const events = run([a, b], 12_010, 16_000, undefined, (from, _to, now) => from === 0 ? now > 12_500 : now >= 21_510);
  assert.is(a.counters.repairs, 1);
  assert.equal(events[1].filter((e) => e.type === "message").map((e) => (e as { origin: string }).origin), [a.idHex]);
});

test("two provisioned nodes become neighbors and exchange a message", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  const events = run([a, b], 0, 12_000);
  assert.ok(events[0].some((e) => e.type === "neighbor-up" && e.id === b.idHex));
  assert.ok(events[1].some((e) => e.type === "neighbor-up" && e.id === a.idHex));
  a.publish(new Uint8Array([42]), 12_010);
  const later = run([a, b], 12_010, 1000);
  const got = later[1].filter((e) => e.type === "message");
  assert.is(got.length, 1);
  const m = got[0] as Extract<MeshEvent, { type: "message" }>;
  assert.is(m.origin, a.idHex);
  assert.equal([...m.payload], [42]);
  assert.is(m.hops, 1);
});

test("a node whose certificate the owner did not sign is ignored (Sybil gate)", () => {
  const honest = boot(provision(1));
  const sybil = boot({ ...provision(3, { signer: impostorOwner }), ownerPublicKey: impostorOwner.publicKey });
  const events = run([honest, sybil], 0, 12_000);
  sybil.publish(new Uint8Array([1]), 12_010);
  const later = run([honest, sybil], 12_010, 1000);
  assert.not.ok([...events[0], ...later[0]].some((e) => e.type === "neighbor-up" || e.type === "message"));
  assert.ok(honest.counters.dropped(DropReason.BadCertificate) > 0);
  assert.ok(honest.counters.dropped(DropReason.UnknownSender) > 0);
  assert.is(honest.neighborSummary(13_000).length, 0);
});

test("an expired certificate is refused once the node knows the time", () => {
  const honest = boot(provision(1));
  const stale = boot(provision(4, { notAfter: NOW_SECONDS - 10 }));
  run([honest, stale], 0, 12_000);
  assert.is(honest.neighborSummary(12_000).length, 0);
  assert.ok(honest.counters.dropped(DropReason.BadCertificate) > 0);
});

test("a replayed frame is dropped and its message delivered once", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  run([a, b], 0, 12_000);
  a.publish(new Uint8Array([9]), 12_010);
  const frame = drain(a).frames[0];
  b.receive(frame, 0, 12_011);
  b.receive(frame, 0, 12_012);
  const messages = drain(b).events.filter((e) => e.type === "message");
  assert.is(messages.length, 1);
  assert.is(b.counters.dropped(DropReason.Replay), 1);
});

test("a tampered or foreign-key frame is dropped as an authentication failure", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  a.tick(a.nextTimeout());
  const frame = drain(a).frames[0].slice();
  frame[frame.length - 1] ^= 1;
  b.receive(frame, 0, 10);
  const outsider = boot({ ...provision(5), networkKey: new Uint8Array(32).fill(99) });
  outsider.tick(outsider.nextTimeout());
  b.receive(drain(outsider).frames[0], 0, 20);
  assert.is(b.counters.dropped(WireError.AuthFailed), 2);
  assert.is(b.neighborSummary(20).length, 0);
});

test("a revocation list reaches neighbors, removes the revoked node and blocks its frames", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  const c = boot(provision(3));
  run([a, b, c], 0, 12_000);
  assert.is(b.neighborSummary(12_000).length, 2);
  const list = issueRevocationList(crypto, owner.secretKey, NETWORK, 1, [c.id]);
  assert.ok(a.injectRevocation(list, 12_010));
  assert.not.ok(a.injectRevocation(list, 12_011), "the same serial is not applied twice");
  const events = run([a, b, c], 12_010, 12_000);
  assert.ok(events[1].some((e) => e.type === "revocation"));
  assert.ok(events[1].some((e) => e.type === "neighbor-down" && e.id === c.idHex && e.reason === "revoked"));
  assert.equal(b.neighborSummary(24_000).map((n) => n.id), [a.idHex]);
  assert.ok(b.counters.dropped(DropReason.Revoked) > 0);
  assert.is(c.revocationSerial, 1, "the revoked node still learns the list");
});

/** The line a — b — c (a and c out of each other's range); `aToB` says whether b hears a at `now`. */
function line(aToB: (now: number) => boolean = () => true): (from: number, to: number, now: number) => boolean {
  return (from, to, now) => Math.abs(from - to) === 1 && (from !== 0 || aToB(now));
}

test("a revoked origin's messages, relayed by a neighbor without the list, are neither delivered nor relayed", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  const c = boot(provision(3));
  // b never hears a after the list is handed to a, so b still relays c's messages.
  const heard = line((now) => now < 12_010);
  run([a, b, c], 0, 12_000, undefined, heard);
  assert.ok(a.injectRevocation(issueRevocationList(crypto, owner.secretKey, NETWORK, 1, [c.id]), 12_010));
  c.publish(new Uint8Array([7]), 12_020);
  const relayedByA: Uint8Array[] = [];
  const events = run([a, b, c], 12_020, 3000, (from, frame) => { if (from === 0) relayedByA.push(frame); }, heard);
  assert.ok(events[1].some((e) => e.type === "message" && e.origin === c.idHex), "b, without the list, delivers it");
  assert.not.ok(events[0].some((e) => e.type === "message"), "a delivers nothing of c's");
  assert.is(a.counters.dropped(DropReason.Revoked), 1, "a dropped it once (copies after are duplicates)");
  assert.is(a.counters.relays, 0, "a relays nothing of c's");
});

test("a revoked origin's readings are not delivered by a gateway that holds the list", () => {
  const gateway = boot(provision(1, { role: Role.Gateway }));
  const b = boot(provision(2));
  const c = boot(provision(3));
  const heard = line((now) => now < 40_000);
  run([gateway, b, c], 0, 30_000, undefined, heard);
  c.publishReading("t", 1, 30_000);
  const before = run([gateway, b, c], 30_000, 9_990, undefined, heard);
  assert.ok(before[0].some((e) => e.type === "reading" && e.origin === c.idHex), "delivered before the revocation");
  assert.ok(gateway.injectRevocation(issueRevocationList(crypto, owner.secretKey, NETWORK, 1, [c.id]), 40_000));
  for (let i = 0; i < 3; i++) c.publishReading("t", 2 + i, 40_010 + i);
  const after = run([gateway, b, c], 40_010, 30_000, undefined, heard);
  assert.not.ok(after[0].some((e) => e.type === "reading"), "none delivered after it");
  assert.ok(gateway.counters.dropped(DropReason.Revoked) >= 3, `${gateway.counters.dropped(DropReason.Revoked)} dropped as revoked`);
});

test("routes to a revoked gateway are refused, so no reading is handed toward it", () => {
  const gateway = boot(provision(1, { role: Role.Gateway }));
  const b = boot(provision(2));
  const c = boot(provision(3));
  // The list reaches c only: b still advertises its route to the gateway.
  const heard = (from: number, to: number, now: number) => Math.abs(from - to) === 1 && (from !== 2 || now < 30_000);
  run([gateway, b, c], 0, 30_000, undefined, heard);
  assert.is(c.nearestGateway()?.gateway, gateway.idHex);
  assert.ok(c.injectRevocation(issueRevocationList(crypto, owner.secretKey, NETWORK, 1, [gateway.id]), 30_000));
  run([gateway, b, c], 30_000, 12_000, undefined, heard);
  assert.ok(b.nearestGateway() !== null, "b, without the list, still routes to it");
  assert.is(c.nearestGateway(), null, "c takes no route to a revoked gateway");
});

test("an origin whose home gateway is revoked moves its readings to the other gateway, which delivers them without waiting on the revoked one", () => {
  const g1 = boot(provision(1, { role: Role.Gateway }));
  const a = boot(provision(2));
  const g2 = boot(provision(3, { role: Role.Gateway }));
  const nodes = [g1, a, g2];
  const readings: MeshEvent[][] = [[], [], []];
  const step = (from: number, ms: number) => {
    for (let t = from; t < from + ms; t += 10_000) {
      a.publishReading("t", t, t);
      run(nodes, t, 9_990, undefined, line()).forEach((events, i) => readings[i].push(...events.filter((e) => e.type === "reading")));
    }
  };
  step(0, 60_000);
  const [home, other] = readings[0].length > 0 ? [0, 2] : [2, 0];
  assert.ok(readings[home].length > 0 && readings[other].length === 0, "one home delivers");
  assert.ok(a.injectRevocation(issueRevocationList(crypto, owner.secretKey, NETWORK, 1, [nodes[home].id]), 60_000));
  const delivered = readings[home].length;
  step(60_000, 10 * 60_000);
  assert.is(readings[home].length, delivered, "nothing more through the revoked gateway");
  // The origin leaves a revoked home at once (not after 15 minutes out of reach), and the new home asks
  // no revoked gateway where delivery stopped (it would never answer): every reading is delivered.
  assert.ok(readings[other].length >= 55, `the other gateway delivered ${readings[other].length} readings`);
  assert.is(a.unconfirmedReadings, 0, "and confirmed");
  const seqs = readings[other].map((e) => (e as { seq: number }).seq);
  assert.equal(seqs, [...new Set(seqs)].sort((x, y) => x - y), "each once, in order");
});

test("a forged revocation list is not applied or relayed", () => {
  const a = boot(provision(1));
  const b = boot(provision(2));
  run([a, b], 0, 12_000);
  const forged = issueRevocationList(crypto, impostorOwner.secretKey, NETWORK, 5, [b.id]);
  assert.not.ok(a.injectRevocation(forged, 12_010));
  assert.is(a.revocationSerial, 0);
});

test("a reboot never reuses a sequence number or an epoch", () => {
  const storage = new MemoryStorage();
  const p = provision(1);
  const first = boot(p, storage);
  const seqs = Array.from({ length: 70 }, (_, i) => first.publish(new Uint8Array([i]), 10 + i));
  const writesBefore = storage.writes;
  const second = boot(p, storage, {}, 1000);
  const next = second.publish(new Uint8Array([0]), 1001);
  assert.ok(next > Math.max(...seqs), `seq ${next} after reboot must exceed ${Math.max(...seqs)}`);
  assert.ok(writesBefore < 10, `sequence numbers are reserved in blocks (${writesBefore} writes for 70 messages)`);
  // Frames after the reboot carry a higher epoch: header bytes 14..18.
  second.tick(second.nextTimeout());
  const before = drain(first).frames[0];
  const after = drain(second).frames[0];
  const epoch = (f: Uint8Array) => (f[14] << 24) | (f[15] << 16) | (f[16] << 8) | f[17];
  assert.is(epoch(after), epoch(before) + 1);
});

test("a consumer attributes messages once their checkpoint verifies", () => {
  const a = boot(provision(1), new MemoryStorage(), { checkpointEvery: 4 });
  const gateway = boot(provision(2, { role: Role.Gateway }), new MemoryStorage(), { attribute: true });
  run([a, gateway], 0, 12_000);
  for (let i = 0; i < 4; i++) a.publish(new Uint8Array([i]), 12_010 + i);
  const events = run([a, gateway], 12_010, 2000);
  const attributed = events[1].filter((e) => e.type === "attributed") as Extract<MeshEvent, { type: "attributed" }>[];
  assert.is(attributed.length, 1);
  assert.equal(attributed[0].seqs, [1, 2, 3, 4]);
  assert.is(gateway.counters.checkpointsVerified, 1);
});

test("a burst of publishes is split into checkpoints of at most checkpointEvery messages", () => {
  const a = boot(provision(1), new MemoryStorage(), { checkpointEvery: 16 });
  const gateway = boot(provision(2, { role: Role.Gateway }), new MemoryStorage(), { attribute: true });
  run([a, gateway], 0, 12_000);
  const attributed: number[] = [];
  for (let i = 0; i < 40; i++) {
    a.publish(new Uint8Array([i]), 12_010);
    for (const f of drain(a).frames) gateway.receive(f, 0, 12_011);
    for (const e of drain(gateway).events) if (e.type === "attributed") attributed.push(...e.seqs);
  }
  const expected = [...Array.from({ length: 16 }, (_, i) => 1 + i), ...Array.from({ length: 16 }, (_, i) => 18 + i)];
  assert.equal(attributed, expected, "seq 17 and 34 are the checkpoints themselves");
  assert.is(a.counters.dropped(DropReason.QueueFull), 0);
});

test.run();
