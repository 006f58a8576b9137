/**
 * Fuzzes a live MeshNode: random bytes, and frames sealed under the network key by certified
 * insiders whose plaintext is a mutated copy of real traffic (so every decoder past the MAC is
 * reached), and replays. After every input it checks the invariants:
 *   - no exception escapes `receive` or `tick`;
 *   - every bounded table stays within its cap;
 *   - a frame rejected as a whole (undecodable, unauthenticated, unknown sender, replay) changes
 *     nothing but counters.
 * Deterministic for a seed.
 */
import type { NodeConfig } from "../../modules/config.js";
import { createNodeConfig } from "../../modules/config.js";
import { DropReason, dropReasonName } from "../../modules/counters.js";
import { Role } from "../../modules/identity/certificate.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import { WireError } from "../../modules/wire/errors.js";
import { newFrameHeader, HEADER_BYTES, MAX_PAYLOAD_BYTES } from "../../modules/wire/frame.js";
import { nodeCrypto } from "../../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { MemoryStorage } from "../../hosts/sim/storage.js";

export interface FuzzResult {
  inputs: number;
  /** Inputs the node rejected as a whole frame. */
  rejected: number;
  /** Inputs that got past admission (at least part applied). */
  accepted: number;
  /** Exceptions that escaped the node. */
  escaped: number;
  /** Invariant violations, described (the first 20). */
  violations: string[];
  violationCount: number;
  /** The victim's drop counters at the end, by reason: which decoders the inputs reached. */
  drops: Record<string, number>;
}

/** Drop reasons that reject a frame before any of it is applied. */
const FRAME_REJECTIONS = new Set<number>([
  ...Object.values(WireError).filter((v): v is number => typeof v === "number" && v !== WireError.None),
  DropReason.Self, DropReason.UnknownSender, DropReason.BadCertificate, DropReason.Revoked, DropReason.Replay,
]);

const OUTBOX_CAP = 32;

interface Insider {
  node: MeshNode;
  sealer: FrameSealer;
}

/** A small mesh around the victim: insiders (one a gateway) that produce real traffic to mutate. */
function setUp(seed: number, config: NodeConfig): { victim: MeshNode; insiders: Insider[]; corpus: Uint8Array[] } {
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng.fork("keys"));
  const roles = [Role.Node, Role.Gateway, Role.Relay, Role.Node];
  const provisioning: Provisioning[] = roles.map((role, i) => provisionNode(keys, rng.fork("node").fork(i), role));
  const nodes = provisioning.map((p, i) => {
    const node = new MeshNode(p, { crypto: nodeCrypto, random: rng.fork("random").fork(i), storage: new MemoryStorage() }, config);
    node.start(0);
    node.setWallClock(SIM_EPOCH_SECONDS, 0);
    return node;
  });
  // Run the five (victim = node 0) fully connected for a while; keep the insiders' plaintexts.
  const corpus: Uint8Array[] = [];
  const opener = new FrameSealer(nodeCrypto, keys.networkId, keys.networkKey, new Uint8Array(8), 1);
  const header = newFrameHeader();
  let now = 0;
  for (; now < 60_000; now += 10) {
    nodes.forEach((n, i) => {
      if (i > 0 && now % 5_000 === 1_000 * i) n.publishReading("temp", now, now);
      if (i > 0 && now % 7_000 === 500 * i) n.publish(Uint8Array.of(i, now & 255), now);
      if (n.nextTimeout() <= now) n.tick(now);
    });
    for (let moved = true; moved; ) {
      moved = false;
      nodes.forEach((n, i) => {
        for (let t = n.pollTransmit(); t; t = n.pollTransmit()) {
          moved = true;
          if (i > 0 && corpus.length < 2_000) {
            const plain = opener.open(t.bytes, header);
            if (typeof plain !== "number") corpus.push(plain.slice());
          }
          nodes.forEach((m, j) => { if (j !== i && (t.to === null || t.to === i)) m.receive(t.bytes, i, now); });
        }
        while (n.pollEvent()) { /* drained */ }
      });
    }
  }
  const insiders = nodes.slice(1).map((node, i) =>
    ({ node, sealer: new FrameSealer(nodeCrypto, keys.networkId, keys.networkKey, node.id, 1_000 + i) }));
  return { victim: nodes[0], insiders, corpus };
}

/** A snapshot of everything but counters, at one instant. */
function stateOf(node: MeshNode, now: number): string {
  return JSON.stringify([node.health(), node.neighborSummary(now), node.routeSummary(), node.revocationSerial]);
}

function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  let b = src.slice();
  const edits = 1 + rng.int(4);
  for (let k = 0; k < edits; k++) {
    switch (rng.int(6)) {
      case 0: if (b.length) b[rng.int(b.length)] ^= 1 << rng.int(8); break;
      case 1: if (b.length) b[rng.int(b.length)] = rng.int(256); break;
      case 2: b = b.slice(0, rng.int(b.length + 1)); break;
      case 3: { const extra = new Uint8Array(rng.int(40)); for (let i = 0; i < extra.length; i++) extra[i] = rng.int(256); const c = new Uint8Array(b.length + extra.length); c.set(b); c.set(extra, b.length); b = c; break; }
      case 4: if (b.length > 3) b[rng.int(Math.min(b.length, 3))] = rng.int(8); break; // record type / length bytes
      case 5: if (b.length > 2) { const at = rng.int(b.length - 1); b[at] = 0xff; b[at + 1] = 0xff; } break; // huge length fields
    }
  }
  return b.length > MAX_PAYLOAD_BYTES ? b.slice(0, MAX_PAYLOAD_BYTES) : b;
}

export function fuzzNode(seed: number, inputs: number): FuzzResult {
  const config = createNodeConfig({ beaconIntervalMs: 1000, relayPolicy: "coverage" });
  const { victim, insiders, corpus } = setUp(seed, config);
  let now = 60_000;
  const rng = new Rng(seed).fork("fuzz");
  const caps: [keyof ReturnType<MeshNode["health"]>, number][] = [
    ["neighbors", config.neighborCapacity], ["certificates", config.certificateCacheCapacity],
    ["replayWindows", config.certificateCacheCapacity], ["seen", config.seenCacheCapacity],
    ["recent", config.recentCapacity], ["pendingRelays", config.pendingRelayCapacity], ["routes", config.routeCapacity],
    ["custody", config.custodyCapacity], ["unconfirmedReadings", config.unsentCapacity], ["outbox", OUTBOX_CAP],
    ["events", config.eventCapacity],
  ];
  const sent: Uint8Array[] = [];
  const result: FuzzResult = { inputs: 0, rejected: 0, accepted: 0, escaped: 0, violations: [], violationCount: 0, drops: {} };
  const violation = (text: string) => {
    result.violationCount++;
    if (result.violations.length < 20) result.violations.push(text);
  };
  for (let k = 0; k < inputs; k++) {
    now += 1 + rng.int(20);
    let frame: Uint8Array;
    const kind = rng.int(10);
    if (kind === 0) {
      frame = new Uint8Array(rng.int(1300));
      for (let i = 0; i < frame.length; i++) frame[i] = rng.int(256);
    } else if (kind === 1 && sent.length > 0) {
      frame = sent[rng.int(sent.length)]; // replay
    } else if (kind === 2 && sent.length > 0) {
      frame = mutate(rng, sent[rng.int(sent.length)]); // mutated ciphertext or header
    } else {
      const insider = insiders[rng.int(insiders.length)];
      const plain = mutate(rng, corpus[rng.int(corpus.length)]);
      frame = plain.length > 0 ? insider.sealer.seal(plain)! : new Uint8Array(HEADER_BYTES);
      if (sent.length < 512) sent.push(frame);
    }
    // Deadlines first, so that the receive alone is judged.
    try {
      if (victim.nextTimeout() <= now) victim.tick(now);
    } catch (e) {
      result.escaped++;
      violation(`tick at ${now}: exception ${(e as Error).message}`);
    }
    const before = stateOf(victim, now);
    const dropsBefore = new Map(victim.counters.drops);
    try {
      victim.receive(frame, rng.int(4) + 1, now);
    } catch (e) {
      result.escaped++;
      violation(`input ${k}: exception ${(e as Error).stack?.split("\n").slice(0, 3).join(" | ")}`);
    }
    let frameRejected = false;
    for (const [reason, count] of victim.counters.drops) {
      if (count > (dropsBefore.get(reason) ?? 0) && FRAME_REJECTIONS.has(reason)) frameRejected = true;
    }
    if (frameRejected) {
      result.rejected++;
      if (stateOf(victim, now) !== before) violation(`input ${k}: a rejected frame changed state`);
    } else {
      result.accepted++;
    }
    const health = victim.health();
    for (const [field, cap] of caps) if (health[field] > cap) violation(`input ${k}: ${field} ${health[field]} > cap ${cap}`);
    while (victim.pollTransmit()) { /* the victim's answers go nowhere */ }
    while (victim.pollEvent()) { /* drained */ }
    result.inputs++;
  }
  for (const [reason, count] of victim.counters.drops) result.drops[dropReasonName(reason)] = count;
  return result;
}
