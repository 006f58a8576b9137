/**
 * Fuzzes a live MeshNode: random bytes, and frames sealed under the network key by certified
 * insiders whose plaintext is a mutated copy of real traffic (so every decoder past the MAC is
 * reached), and replays. After every input it checks the invariants:
 *   - no exception escapes `receive` or `tick`;
 *   - every bounded table stays within its cap;
 *   - a frame rejected as a whole (undecodable, unauthenticated, unknown sender, replay) changes
 *     nothing but counters and its sender's reputation (which may drop the sender from the table).
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
import { encodeHello } from "../../modules/wire/hello.js";
import { encodeRouteReply } from "../../modules/wire/node-route.js";
import { RECORD_HEADER_BYTES, RecordType, writeRecord } from "../../modules/wire/records.js";
import { nodeCrypto } from "../node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "./provision.js";
import { Rng } from "./rng.js";
import { MemoryStorage } from "./storage.js";

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
  /** Exact copies of frames the node accepted before, and how many it accepted again (target 0). */
  replaysTried: number;
  replaysAccepted: number;
  /** Frames made without the network key (random bytes, mutated ciphertexts), and how many got in (target 0). */
  forgeriesTried: number;
  forgeriesAccepted: number;
  /** The victim's drop counters at the end, by reason: which decoders the inputs reached. */
  drops: Record<string, number>;
}

/** Drop reasons that reject a frame before any of it is applied. */
const FRAME_REJECTIONS = new Set<number>([
  ...Object.values(WireError).filter((v): v is number => typeof v === "number" && v !== WireError.None),
  DropReason.Self, DropReason.UnknownSender, DropReason.BadCertificate, DropReason.Revoked, DropReason.Replay,
  DropReason.RateLimited, DropReason.Ignored, DropReason.VerifyBudget, DropReason.OpenBudget,
]);
/** Certified insiders the fuzzer speaks as, one at a time: the victim ignores each after enough bad frames. */
const INSIDERS = 48;
/** Inputs sent as one insider before the next takes over. */
const INPUTS_PER_INSIDER = 40;

const OUTBOX_CAP = 32;

interface Insider {
  sealer: FrameSealer;
  /** A HELLO record with its certificate: the plaintext that gets it admitted. */
  hello: Uint8Array;
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
      // Messages to a neighbor (DATA) and to a node nobody knows (route requests, flooded).
      if (i > 0 && now % 9_000 === 300 * i) n.sendToNode(nodes[i === 3 ? 1 : i + 1].id, Uint8Array.of(i), now);
      if (i > 0 && now % 13_000 === 400 * i) n.sendToNode(Uint8Array.of(0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, i), Uint8Array.of(i), now);
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
  // Route replies go only to the nodes on a discovery's way back, which a full mesh never needs: one made up.
  const reply = encodeRouteReply({ target: nodes[2].id, origin: nodes[0].id, targetSeqno: 1, metric: 256, hops: 1 });
  const replyRecord = new Uint8Array(RECORD_HEADER_BYTES + reply.length);
  writeRecord(replyRecord, 0, RecordType.RouteReply, reply);
  corpus.push(replyRecord);
  const insiders = Array.from({ length: INSIDERS }, (_, i): Insider => {
    const p = provisionNode(keys, rng.fork("insider").fork(i), Role.Relay);
    const id = new MeshNode(p, { crypto: nodeCrypto, random: new Rng(i), storage: new MemoryStorage() }, config).id;
    const body = encodeHello(0, config.beaconIntervalMs, 0, p.certificate, []);
    const hello = new Uint8Array(RECORD_HEADER_BYTES + body.length);
    writeRecord(hello, 0, RecordType.Hello, body);
    return { sealer: new FrameSealer(nodeCrypto, keys.networkId, keys.networkKey, id, 1), hello };
  });
  return { victim: nodes[0], insiders, corpus };
}

/** A snapshot of everything but counters, at one instant. */
function stateOf(node: MeshNode, now: number): string {
  return JSON.stringify([node.health(), node.neighborSummary(now), node.routeSummary(), node.nodeRouteSummary(now), node.revocationSerial]);
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
  // Opens unlimited: the fuzzer aims past the MAC, at every input (test/limits.test.ts and test/attacks/outsider-flood.test.ts test the budget).
  const config = createNodeConfig({
    beaconIntervalMs: 1000, relayPolicy: "coverage",
    unboundOpensPerSecond: 1000, unboundOpensBurst: 1000, unboundOpensPerLinkPerSecond: 1000, unboundOpensPerLinkBurst: 1000,
  });
  const { victim, insiders, corpus } = setUp(seed, config);
  let now = 60_000;
  const rng = new Rng(seed).fork("fuzz");
  const caps: [keyof ReturnType<MeshNode["health"]>, number][] = [
    ["neighbors", config.neighborCapacity], ["certificates", config.certificateCacheCapacity],
    ["replayWindows", config.certificateCacheCapacity], ["seen", config.seenCacheCapacity],
    ["recent", config.recentCapacity], ["pendingRelays", config.pendingRelayCapacity], ["routes", config.routeCapacity],
    ["nodeRoutes", config.nodeRouteCapacity],
    ["custody", config.custodyCapacity], ["unconfirmedReadings", config.unsentCapacity], ["outbox", OUTBOX_CAP],
    ["events", config.eventCapacity],
  ];
  const sent: Uint8Array[] = [];
  const result: FuzzResult = {
    inputs: 0, rejected: 0, accepted: 0, escaped: 0, violations: [], violationCount: 0,
    replaysTried: 0, replaysAccepted: 0, forgeriesTried: 0, forgeriesAccepted: 0, drops: {},
  };
  const violation = (text: string) => {
    result.violationCount++;
    if (result.violations.length < 20) result.violations.push(text);
  };
  for (let k = 0; k < inputs; k++) {
    now += 1 + rng.int(20);
    let frame: Uint8Array;
    let origin: "replay" | "forgery" | "insider" = "insider";
    const kind = rng.int(10);
    if (kind === 0) {
      frame = new Uint8Array(rng.int(1300));
      for (let i = 0; i < frame.length; i++) frame[i] = rng.int(256);
      origin = "forgery";
    } else if (kind === 1 && sent.length > 0) {
      frame = sent[rng.int(sent.length)];
      origin = "replay";
    } else if (kind === 2 && sent.length > 0) {
      frame = mutate(rng, sent[rng.int(sent.length)]); // mutated ciphertext or header
      origin = "forgery";
    } else if (k % INPUTS_PER_INSIDER === 3) {
      // A fresh insider introduces itself with a valid HELLO.
      const insider = insiders[Math.floor(k / INPUTS_PER_INSIDER) % insiders.length];
      frame = insider.sealer.seal(insider.hello)!;
    } else {
      const insider = insiders[Math.floor(k / INPUTS_PER_INSIDER) % insiders.length];
      const plain = mutate(rng, corpus[rng.int(corpus.length)]);
      frame = plain.length > 0 ? insider.sealer.seal(plain)! : new Uint8Array(HEADER_BYTES);
    }
    // Deadlines first, so that the receive alone is judged.
    try {
      if (victim.nextTimeout() <= now) victim.tick(now);
    } catch (e) {
      result.escaped++;
      violation(`tick at ${now}: exception ${(e as Error).message}`);
    }
    while (victim.pollEvent()) { /* the tick's events are not this input's */ }
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
    // A rejected frame may cost its sender reputation, and that may drop it from the table.
    let ignoredSender = false;
    for (let e = victim.pollEvent(); e; e = victim.pollEvent()) {
      if (e.type === "neighbor-down" && e.reason === "ignored") ignoredSender = true;
    }
    if (frameRejected) {
      result.rejected++;
      const after = stateOf(victim, now);
      if (!ignoredSender && after !== before) {
        const reasons = [...victim.counters.drops].filter(([r, c]) => c > (dropsBefore.get(r) ?? 0)).map(([r]) => dropReasonName(r));
        violation(`input ${k}: a rejected frame (${reasons.join(", ")}) changed state: ${firstDifference(before, after)}`);
      }
    } else {
      result.accepted++;
      if (origin !== "insider") violation(`input ${k}: a ${origin} was accepted`);
      // Frames the node took in are what an attacker would replay.
      else if (sent.length < 512) sent.push(frame);
    }
    if (origin === "replay") {
      result.replaysTried++;
      if (!frameRejected) result.replaysAccepted++;
    } else if (origin === "forgery") {
      result.forgeriesTried++;
      if (!frameRejected) result.forgeriesAccepted++;
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


function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 60), i + 40)} → …${b.slice(Math.max(0, i - 60), i + 40)}`;
}
