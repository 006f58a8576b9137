/**
 * Authenticated CONFIRMs (docs/protocol.md §Store-and-forward, "Authenticated CONFIRMs"): the pair key
 * and tag, the bounded table of keys, a gateway's CONFIRMs as it sends them, and an origin that acts
 * only on those its gateway tagged.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import { checkConfirmTag, confirmTagOf, derivePairKey } from "../modules/forward/confirm-tag.js";
import { PairKeys } from "../modules/forward/pair-keys.js";
import { StoreAndForward, type ForwardContext } from "../modules/forward/store-and-forward.js";
import { FeedLog } from "../modules/feed/feed-log.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { MeshNode } from "../modules/node.js";
import { checkpointKeyed, encodeCheckpointPayload, setCheckpointKeyed } from "../modules/wire/checkpoint-payload.js";
import { confirmCertificate, confirmGateway, confirmPull, confirmTag, encodeConfirm } from "../modules/wire/confirm.js";
import { DataKind, decodeData, encodeAck, encodeData, ENTRY_HEAD_BYTES, newDataView } from "../modules/wire/data.js";
import { WireError } from "../modules/wire/errors.js";
import { RecordType } from "../modules/wire/records.js";
import { writeU32 } from "../modules/bytes.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const keys = createMeshKeys(new Rng(5));
const rng = new Rng(6);
const ORIGIN = provisionNode(keys, rng.fork(1));
const GATEWAY = provisionNode(keys, rng.fork(2), Role.Gateway);
const OTHER_GATEWAY = provisionNode(keys, rng.fork(3), Role.Gateway);
const originId = nodeIdOf(nodeCrypto, ORIGIN.secretKey.subarray(32));
const gatewayId = nodeIdOf(nodeCrypto, GATEWAY.secretKey.subarray(32));
const otherGatewayId = nodeIdOf(nodeCrypto, OTHER_GATEWAY.secretKey.subarray(32));
const pairKey = derivePairKey(nodeCrypto, ORIGIN.secretKey, GATEWAY.secretKey.subarray(32))!;
/** Receipt keys an origin ignores (it checks the tag): CONFIRMs handed to it directly carry zeros. */
const NO_KEY = new Uint8Array(16);

function id(n: number): Uint8Array {
  const out = new Uint8Array(8);
  writeU32(out, 4, n);
  return out;
}

/** A ForwardContext alone: every route through slot 1, `admitted` the gateways whose certificates it admits. */
function context(me: Uint8Array, isGateway: boolean, log: { sent: Uint8Array[]; drops: number[]; admitted: string[] }): ForwardContext {
  const view = newDataView();
  return {
    id: me, isGateway,
    nextHopToward: () => 1, nextHopToNode: () => 1, nearestGatewayId: () => gatewayId, trustedGatewayId: () => null, distrusted: () => false, isRevoked: () => false,
    broadcastHandover() {}, hasNeighbor: () => true, lenderSlot: () => -1, neighborId: () => null,
    sendTo: (_slot, type, body) => {
      if (type === RecordType.Data && decodeData(body, view) === WireError.None) log.sent.push(body.slice());
    },
    drop: (reason) => void log.drops.push(reason),
    onDirectMessage() {}, messageUnroutable() {}, onCommandAck() {}, emit() {}, readingResent() {}, judge() {}, onHealthReport() {},
    admitOrigin: () => ORIGIN.secretKey.subarray(32),
    admitGateway: (gateway, certificate) => {
      log.admitted.push(String(gateway[0]));
      for (const g of [GATEWAY, OTHER_GATEWAY]) if (certificate.every((b, i) => b === g.certificate[i])) return g.secretKey.subarray(32);
      return null;
    },
    knownPublicKey: () => null, slotOf: () => -1,
  };
}

/** An origin that took readings 1 and 2 and handed them on: its home is `gatewayId`. */
function origin(): { forward: StoreAndForward; log: { sent: Uint8Array[]; drops: number[]; admitted: string[] } } {
  const log = { sent: [] as Uint8Array[], drops: [] as number[], admitted: [] as string[] };
  const forward = new StoreAndForward(context(originId, false, log), nodeCrypto, new MemoryStorage(), ORIGIN.secretKey, ORIGIN.certificate, createNodeConfig());
  forward.start(0);
  forward.publishReading("t", 1, 0, 1000);
  forward.publishReading("t", 2, 0, 2000);
  forward.tick(2000);
  return { forward, log };
}

function confirm(forward: StoreAndForward, gateway: Uint8Array, seq: number, tag: Uint8Array, certificate: Uint8Array | null, pull = 0): void {
  const view = newDataView();
  assert.is(decodeData(encodeData(originId, originId, DataKind.Confirm, 2, seq, encodeConfirm(gateway, pull, tag, NO_KEY, NO_KEY, certificate)), view), WireError.None);
  forward.onData(view, 1, 3000);
}

test("the pair key is the same from either side, and the tag covers every field the CONFIRM says", () => {
  const fromGateway = derivePairKey(nodeCrypto, GATEWAY.secretKey, ORIGIN.secretKey.subarray(32))!;
  assert.equal(fromGateway, pairKey);
  assert.is(pairKey.length, 32);
  const tag = confirmTagOf(nodeCrypto, pairKey, gatewayId, originId, 7, 0);
  assert.is(tag.length, 16);
  assert.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, originId, 7, 0, tag));
  assert.not.ok(checkConfirmTag(nodeCrypto, pairKey, otherGatewayId, originId, 7, 0, tag), "another gateway");
  assert.not.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, id(9), 7, 0, tag), "another origin");
  assert.not.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, originId, 8, 0, tag), "another seq");
  assert.not.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, originId, 7, 9, tag), "a pull added");
  assert.not.ok(checkConfirmTag(nodeCrypto, derivePairKey(nodeCrypto, ORIGIN.secretKey, OTHER_GATEWAY.secretKey.subarray(32))!, gatewayId, originId, 7, 0, tag), "another key");
  assert.not.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, originId, 7, 0, tag.subarray(0, 15)), "a short tag");
});

test("pair keys: bounded, the least recently used forgotten first", () => {
  const table = new PairKeys(3);
  const key = (n: number) => new Uint8Array(32).fill(n);
  for (let n = 1; n <= 3; n++) table.put(id(n), key(n));
  assert.equal(table.get(id(1)), key(1), "1 used last now");
  table.put(id(4), key(4));
  assert.is(table.get(id(2)), null, "2, least recently used, forgotten");
  assert.equal([table.get(id(1)), table.get(id(3)), table.get(id(4))], [key(1), key(3), key(4)]);
  table.put(id(3), key(30));
  assert.equal(table.get(id(3)), key(30), "a key put again replaces the old one, in its slot");
  table.put(id(5), key(5));
  assert.is(table.get(id(1)), null, "1 was the least recently used");
  assert.equal(table.get(id(5)), key(5));
});

test("an origin acts on a CONFIRM only once its gateway's certificate gave it the key, and only on the right tag", () => {
  const { forward, log } = origin();
  assert.is(forward.unconfirmed, 2);
  const right = (seq: number) => confirmTagOf(nodeCrypto, pairKey, gatewayId, originId, seq, 0);
  confirm(forward, gatewayId, 1, right(1), null);
  assert.is(forward.unconfirmed, 2, "no key yet: not acted on, the readings kept");
  assert.equal(log.drops, [], "nor counted: the gateway's next certificate settles it");
  confirm(forward, gatewayId, 1, right(1), GATEWAY.certificate);
  assert.is(forward.unconfirmed, 1, "the certificate checked, the key agreed on, reading 1 confirmed");
  confirm(forward, gatewayId, 2, new Uint8Array(16).fill(1), null);
  assert.is(forward.unconfirmed, 1, "a wrong tag confirms nothing");
  assert.equal(log.drops, [DropReason.BadConfirm], "and is counted");
  confirm(forward, gatewayId, 2, confirmTagOf(nodeCrypto, pairKey, gatewayId, originId, 1, 0), null);
  assert.is(forward.unconfirmed, 1, "a tag of another seq is a wrong tag");
  confirm(forward, gatewayId, 2, right(2), null);
  assert.is(forward.unconfirmed, 0, "the key kept: a CONFIRM without the certificate checks");
  assert.equal(log.admitted, ["" + gatewayId[0]], "the certificate checked once");
});

test("a revoked gateway's key is forgotten: its CONFIRMs, rightly tagged, are no longer acted on", () => {
  const { forward } = origin();
  const right = (seq: number) => confirmTagOf(nodeCrypto, pairKey, gatewayId, originId, seq, 0);
  confirm(forward, gatewayId, 1, right(1), GATEWAY.certificate);
  assert.is(forward.unconfirmed, 1, "the key agreed on, reading 1 confirmed");
  forward.forgetKeys((gateway) => gateway.every((b, i) => b === gatewayId[i]));
  confirm(forward, gatewayId, 2, right(2), null);
  assert.is(forward.unconfirmed, 1, "its key forgotten (the revocation list named it): reading 2 stays");
});

test("pair keys: forgetWhere frees exactly the slots it names", () => {
  const table = new PairKeys(3);
  for (let n = 1; n <= 3; n++) table.put(id(n), new Uint8Array(32).fill(n));
  table.forgetWhere((key) => key[7] === 2);
  assert.is(table.get(id(2)), null);
  assert.ok(table.get(id(1)) && table.get(id(3)), "the others kept");
  table.put(id(4), new Uint8Array(32).fill(4));
  assert.ok(table.get(id(1)) && table.get(id(3)) && table.get(id(4)), "the freed slot taken first");
});

test("an origin agrees on keys only with its home (or the home before): a forger naming other gateways buys none", () => {
  const { forward, log } = origin();
  const tag = confirmTagOf(nodeCrypto, derivePairKey(nodeCrypto, ORIGIN.secretKey, OTHER_GATEWAY.secretKey.subarray(32))!, otherGatewayId, originId, 2, 0);
  confirm(forward, otherGatewayId, 2, tag, OTHER_GATEWAY.certificate);
  assert.is(forward.unconfirmed, 2, "not our home: not acted on");
  assert.equal(log.admitted, [], "its certificate not even checked");
  // A certificate that is not the gateway's named: admission fails, nothing agreed on or confirmed.
  confirm(forward, gatewayId, 2, new Uint8Array(16), ORIGIN.certificate);
  assert.is(forward.unconfirmed, 2);
});

/**
 * A gateway's StoreAndForward alone, and an origin's feed: `offer` hands the gateway one of the
 * origin's DATA records from neighbor 1; `entry(value)` appends a reading to the feed and returns its
 * DATA payload (base 1); `confirms()` decodes the CONFIRMs the gateway sent.
 */
function gatewayUnderTest() {
  const log = { sent: [] as Uint8Array[], drops: [] as number[], admitted: [] as string[] };
  const gateway = new StoreAndForward(context(gatewayId, true, log), nodeCrypto, new MemoryStorage(), GATEWAY.secretKey, GATEWAY.certificate, createNodeConfig());
  gateway.start(0);
  const feed = new FeedLog(nodeCrypto, new MemoryStorage(), originId, ORIGIN.secretKey);
  const view = newDataView();
  return {
    gateway, log, feed,
    offer(kind: DataKind, seq: number, payload: Uint8Array, now: number): void {
      assert.is(decodeData(encodeData(originId, gatewayId, kind, 1, seq, payload), view), WireError.None);
      gateway.onData(view, 1, now);
    },
    entry(value: number): { seq: number; payload: Uint8Array } {
      const { seq, bytes } = feed.append("t", value, 0);
      const payload = new Uint8Array(ENTRY_HEAD_BYTES + bytes.length);
      writeU32(payload, 0, 1);
      payload.set(bytes, ENTRY_HEAD_BYTES);
      return { seq, payload };
    },
    confirms(): ReturnType<typeof newDataView>[] {
      return log.sent.map((body) => {
        const v = newDataView();
        decodeData(body, v);
        return v;
      }).filter((v) => v.kind === DataKind.Confirm);
    },
  };
}

test("a gateway tags every CONFIRM, carries its certificate in the one answering a checkpoint, and confirms no origin whose certificate it lacks", () => {
  const g = gatewayUnderTest();
  const offer = (kind: DataKind, seq: number, payload: Uint8Array, now: number) => {
    g.offer(kind, seq, payload, now);
    g.gateway.tick(now + 600);
  };
  const confirms = () => g.confirms().map((v) => ({
    seq: v.seq, gateway: [...confirmGateway(v.payload)], pull: confirmPull(v.payload), tag: confirmTag(v.payload).slice(), certificate: confirmCertificate(v.payload)?.slice() ?? null,
  }));
  const first = g.entry(1);
  offer(DataKind.Entry, first.seq, first.payload, 1000);
  assert.equal(confirms(), [], "its certificate not met yet: no CONFIRM");
  const checkpoint = g.feed.checkpoint()!;
  const withCertificate = encodeCheckpointPayload(checkpoint, ORIGIN.certificate);
  offer(DataKind.Checkpoint, 1, withCertificate, 2000);
  let sent = confirms();
  assert.is(sent.length, 1);
  assert.equal(sent[0].gateway, [...gatewayId]);
  assert.equal(sent[0].certificate, GATEWAY.certificate, "the answer to a checkpoint carries the gateway's certificate");
  assert.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, originId, 1, 0, sent[0].tag), "tagged under the key the origin derives");
  g.log.sent.length = 0;
  const second = g.entry(2);
  offer(DataKind.Entry, second.seq, second.payload, 5000);
  sent = confirms();
  assert.equal(sent.map((c) => [c.seq, c.certificate]), [[1, GATEWAY.certificate], [2, null]], "later ones are plain (1 is sent again: no ACK came)");
  assert.ok(checkConfirmTag(nodeCrypto, pairKey, gatewayId, originId, 2, 0, sent[1].tag));
});

test("a gateway's answer to a checkpoint carries its certificate only when the origin says it lacks the gateway's key", () => {
  const g = gatewayUnderTest();
  // A reading and the checkpoint covering it, which says whether the origin holds our key.
  const answer = (keyed: boolean, now: number) => {
    const { seq, payload: entry } = g.entry(1);
    const payload = encodeCheckpointPayload(g.feed.checkpoint()!, ORIGIN.certificate);
    setCheckpointKeyed(payload, keyed);
    g.log.sent.length = 0;
    g.offer(DataKind.Entry, seq, entry, now);
    g.offer(DataKind.Checkpoint, seq, payload, now);
    g.gateway.tick(now + 600);
    const confirms = g.confirms().filter((v) => v.seq === seq);
    assert.is(confirms.length, 1);
    return confirmCertificate(confirms[0].payload) !== null;
  };
  assert.ok(answer(false, 1000), "the origin lacks the key: certified");
  assert.not.ok(answer(true, 60_000), "the origin holds it: plain, 110 bytes less");
  assert.ok(answer(false, 120_000), "lost since (a reboot, an eviction): certified again");
});

test("an origin's checkpoint says, as it leaves, whether it holds the key of the gateway it goes to; a payload of another size or flag is refused", () => {
  const { forward, log } = origin();
  const view = newDataView();
  const checkpoints = () => log.sent.map((body) => {
    const v = newDataView();
    decodeData(body, v);
    return v;
  }).filter((v) => v.kind === DataKind.Checkpoint).map((v) => checkpointKeyed(v.payload));
  assert.equal(checkpoints(), [false], "introduced before it holds the home's key");
  confirm(forward, gatewayId, 2, confirmTagOf(nodeCrypto, pairKey, gatewayId, originId, 2, 0), GATEWAY.certificate);
  assert.is(forward.unconfirmed, 0, "the certificate gave it the key");
  log.sent.length = 0;
  for (let n = 3, now = 4000; checkpoints().length === 0 && n < 40; n++, now += 20_000) {
    forward.publishReading("t", n, 0, now);
    forward.tick(now);
  }
  assert.equal(checkpoints(), [true], "the next one says it holds it");
  const payload = encodeCheckpointPayload(new Uint8Array(84), ORIGIN.certificate);
  const body = (p: Uint8Array) => encodeData(originId, gatewayId, DataKind.Checkpoint, 1, 1, p);
  assert.is(decodeData(body(payload.subarray(0, 194)), view), WireError.BadField, "without the flag");
  payload[194] = 2;
  assert.is(decodeData(body(payload), view), WireError.BadField, "a flag other than 0 or 1");
});

test("a new home's first CONFIRM after taking an origin over carries its certificate: the checkpoint that introduced the origin came while it claimed it", () => {
  const log = { sent: [] as Uint8Array[], drops: [] as number[], admitted: [] as string[] };
  const gateway = new StoreAndForward(context(gatewayId, true, log), nodeCrypto, new MemoryStorage(), GATEWAY.secretKey, GATEWAY.certificate, createNodeConfig());
  gateway.start(0);
  const feed = new FeedLog(nodeCrypto, new MemoryStorage(), originId, ORIGIN.secretKey);
  const view = newDataView();
  const offer = (kind: DataKind, seq: number, payload: Uint8Array, now: number) => {
    assert.is(decodeData(encodeData(originId, gatewayId, kind, 1, seq, payload), view), WireError.None);
    gateway.onData(view, 1, now);
    gateway.tick(now + 600);
  };
  // The origin moved here from the other gateway: its entry names that one, its checkpoint follows.
  const { seq, bytes } = feed.append("t", 1, 0);
  const entry = new Uint8Array(ENTRY_HEAD_BYTES + bytes.length + 8);
  writeU32(entry, 0, 1);
  entry.set(bytes, ENTRY_HEAD_BYTES);
  entry.set(otherGatewayId, ENTRY_HEAD_BYTES + bytes.length);
  offer(DataKind.Entry, seq, entry, 1000);
  const checkpoint = feed.checkpoint()!;
  const withCertificate = encodeCheckpointPayload(checkpoint, ORIGIN.certificate);
  offer(DataKind.Checkpoint, seq, withCertificate, 2000);
  const confirms = () => log.sent.map((body) => {
    const v = newDataView();
    decodeData(body, v);
    return v;
  }).filter((v) => v.kind === DataKind.Confirm).map((v) => [v.seq, confirmCertificate(v.payload) !== null]);
  assert.equal(confirms(), [], "claiming from the old home: nothing confirmed");
  // The old home never answers: the claim gives up after WAIT_MS, and the gateway takes the origin over.
  for (let now = 3000; now <= 4 * 60_000; now += 1000) gateway.tick(now);
  assert.equal(confirms()[0], [1, true], `the first CONFIRM carries the certificate the origin needs to check any: ${JSON.stringify(confirms())}`);
});

test("an origin whose lends nobody takes still sends its checkpoint: it takes a lend's place in the queue", () => {
  // Full lenders keep replicas until the origin's word, which needs a CONFIRM it can check, which
  // needs its checkpoint to bring the gateway's certificate: refused lends must not keep it in.
  // The next hop toward the gateway (slot 1) takes everything and nothing comes back; the lender
  // (slot 2) takes nothing.
  const log = { sent: [] as Uint8Array[], drops: [] as number[], admitted: [] as string[] };
  const kinds: DataKind[] = [];
  const taken: { origin: Uint8Array; kind: DataKind; seq: number }[] = [];
  const view = newDataView();
  const ctx: ForwardContext = {
    ...context(originId, false, log),
    lenderSlot: () => 2,
    neighborId: (slot) => (slot === 2 ? id(77) : null),
    sendTo: (slot, type, body) => {
      if (type !== RecordType.Data || decodeData(body, view) !== WireError.None) return;
      kinds.push(view.kind);
      if (slot === 1) taken.push({ origin: view.origin.slice(), kind: view.kind, seq: view.seq });
    },
  };
  const forward = new StoreAndForward(ctx, nodeCrypto, new MemoryStorage(), ORIGIN.secretKey, ORIGIN.certificate, createNodeConfig({ unsentCapacity: 64, checkpointEvery: 4 }));
  forward.start(0);
  let now = 0;
  const take = (n: number) => {
    for (let i = 0; i < n; i++) {
      now += 10_000;
      forward.publishReading("t", i, 0, now);
      for (let t = now - 9000; t <= now; t += 1000) {
        forward.tick(t);
        for (const item of taken.splice(0)) forward.onAck(encodeAck([item]), 1, t);
      }
    }
  };
  // After 48 readings the oldest are about to be overwritten: lends hold the origin's half of the queue.
  take(48);
  kinds.length = 0;
  take(4);
  assert.ok(kinds.includes(DataKind.Checkpoint), `a checkpoint sent: ${kinds.join(",")}`);
});

test("a node admits a gateway's certificate for a CONFIRM only with the gateway role, and only under the gateway's own id", () => {
  const node = new MeshNode(ORIGIN, { crypto: nodeCrypto, random: new Rng(1), storage: new MemoryStorage() });
  assert.equal(node.admitGateway(gatewayId, GATEWAY.certificate, 0), GATEWAY.secretKey.subarray(32));
  const other = provisionNode(keys, rng.fork(4));
  const otherId = nodeIdOf(nodeCrypto, other.secretKey.subarray(32));
  assert.is(node.admitGateway(otherId, other.certificate, 0), null, "an ordinary node's certificate");
  assert.is(node.admitGateway(otherGatewayId, GATEWAY.certificate, 0), null, "a gateway's certificate under another id");
  assert.is(node.counters.dropped(DropReason.BadCertificate), 2);
});

test.run();
