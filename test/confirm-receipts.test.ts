/**
 * Delivery receipts at a custodian (forward/receipt-chain.ts): a hole next to it that drops the
 * readings it took and forges their CONFIRMs gets no credit for them, and the forgery goes no further.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import { writeU32 } from "../modules/bytes.js";
import { epochOf, epochTopKey, receiptCommitment, receiptKeyOf } from "../modules/forward/receipt-chain.js";
import { StoreAndForward, type ForwardContext } from "../modules/forward/store-and-forward.js";
import { Behavior } from "../modules/reputation/peer-scores.js";
import { encodeConfirm } from "../modules/wire/confirm.js";
import { DataKind, decodeData, encodeAck, encodeData, ENTRY_HEAD_BYTES, newDataView } from "../modules/wire/data.js";
import { WireError } from "../modules/wire/errors.js";
import { RecordType } from "../modules/wire/records.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const ME = new Uint8Array(8).fill(7);
/** The origin, in slot 1; the hole, our next hop toward the gateway, in slot 2. */
const ORIGIN = new Uint8Array(8).fill(1);
const HOLE = new Uint8Array(8).fill(2);
const GATEWAY = new Uint8Array(8).fill(9);
/** The origin's and gateway's pair key: the custodian never holds it. */
const PAIR_KEY = new Uint8Array(32).fill(5);
const config = createNodeConfig();

/** A custodian between the origin and the hole; what it sends, drops and judges is logged. */
function custodian() {
  const log = { sent: [] as { slot: number; type: RecordType; body: Uint8Array }[], drops: [] as number[], judged: [] as [number, Behavior][] };
  const ctx: ForwardContext = {
    id: ME, isGateway: false,
    nextHopToward: () => 2, nextHopToNode: () => -1, nearestGatewayId: () => GATEWAY, trustedGatewayId: () => null, distrusted: () => false, isRevoked: () => false,
    broadcastHandover() {}, hasNeighbor: () => true, lenderSlot: () => -1, neighborId: (slot) => [null, ORIGIN, HOLE][slot] ?? null,
    sendTo: (slot, type, body) => void log.sent.push({ slot, type, body: body.slice() }), drop: (reason) => void log.drops.push(reason),
    onDirectMessage() {}, messageUnroutable() {}, onCommandAck() {}, emit() {}, readingResent() {}, onHealthReport() {},
    judge: (slot, behavior) => void log.judged.push([slot, behavior]),
    admitOrigin: () => null, admitGateway: () => null, knownPublicKey: () => null, slotOf: () => -1,
  };
  const forward = new StoreAndForward(ctx, nodeCrypto, new MemoryStorage(), new Uint8Array(64), new Uint8Array(0), config);
  const view = newDataView();
  const receive = (body: Uint8Array, from: number, now: number) => {
    assert.is(decodeData(body, view), WireError.None);
    forward.onData(view, from, now);
  };
  /** The origin hands us entries `seqs`, committed to the gateway's receipts (or not); we hand them to the hole, which takes them. */
  const handToHole = (seqs: number[], committed: boolean, now: number) => {
    for (const seq of seqs) {
      const payload = new Uint8Array(ENTRY_HEAD_BYTES + 33);
      writeU32(payload, 0, 1);
      if (committed) payload.set(receiptCommitment(nodeCrypto, PAIR_KEY, seq), 4);
      receive(encodeData(ORIGIN, GATEWAY, DataKind.Entry, 1, seq, payload), 1, now);
    }
    forward.tick(now);
    forward.onAck(encodeAck(seqs.map((seq) => ({ origin: ORIGIN, kind: DataKind.Entry, seq }))), 2, now);
    log.sent.length = 0;
  };
  return { forward, log, receive, handToHole };
}

/** The gateway's CONFIRM of `seq` (its tag is the origin's business: made up here). */
function genuine(seq: number): Uint8Array {
  const previousTop = epochOf(seq) > 0 ? epochTopKey(nodeCrypto, PAIR_KEY, epochOf(seq) - 1) : new Uint8Array(16);
  return encodeData(ORIGIN, ORIGIN, DataKind.Confirm, 1, seq, encodeConfirm(GATEWAY, 0, new Uint8Array(16), receiptKeyOf(nodeCrypto, PAIR_KEY, seq), previousTop, null));
}

/** The hole's CONFIRM of `seq` in the gateway's name: it holds no receipt key. */
function forged(seq: number): Uint8Array {
  return encodeData(ORIGIN, ORIGIN, DataKind.Confirm, 0, seq, encodeConfirm(GATEWAY, 0, new Uint8Array(16).fill(3), new Uint8Array(16).fill(4), new Uint8Array(16).fill(4), null));
}

const confirmsTo = (sent: { slot: number; type: RecordType; body: Uint8Array }[], slot: number) =>
  sent.filter((s) => s.slot === slot && s.type === RecordType.Data && s.body[16] === DataKind.Confirm).map((s) => s.body[21]);

test("a hole forging CONFIRMs for the readings it dropped: refused and counted, not carried on, no credit, and the promises break", () => {
  const c = custodian();
  c.handToHole([1, 2, 3], true, 1000);
  c.receive(forged(3), 2, 2000);
  c.forward.flushAcks();
  c.forward.tick(2000);
  assert.equal(c.log.drops, [DropReason.BadConfirm], "refused and counted");
  assert.equal(confirmsTo(c.log.sent, 1), [], "not carried on toward the origin");
  assert.ok(c.log.sent.some((s) => s.slot === 2 && s.type === RecordType.Ack), "ACKed: the sender is not judged for it");
  assert.not.ok(c.log.judged.some(([, b]) => b === Behavior.KeptCustody), "no promise credited");
  c.forward.tick(1000 + config.confirmAfterMs);
  assert.equal(c.log.judged.filter(([, b]) => b === Behavior.BrokenCustody).map(([slot]) => slot), [2, 2, 2], "the hole broke all three");
});

test("a forgery checked against a copy still held (the hole has not taken it yet): refused, the copy kept and handed on", () => {
  const c = custodian();
  const payload = new Uint8Array(ENTRY_HEAD_BYTES + 33);
  payload.set(receiptCommitment(nodeCrypto, PAIR_KEY, 4), 4);
  c.receive(encodeData(ORIGIN, GATEWAY, DataKind.Entry, 1, 4, payload), 1, 1000);
  c.receive(forged(4), 2, 1000);
  assert.equal(c.log.drops, [DropReason.BadConfirm]);
  assert.is(c.forward.custodySize, 1, "the copy of 4 kept, and no CONFIRM");
  c.forward.tick(1000);
  assert.ok(c.log.sent.some((s) => s.slot === 2 && s.type === RecordType.Data && s.body[16] === DataKind.Entry), "handed on toward the gateway");
});

test("the gateway's CONFIRM opens the commitments held: credited and carried on; an unchecked one after it does not displace it", () => {
  const c = custodian();
  c.handToHole([1, 2], true, 1000);
  c.receive(genuine(2), 2, 2000);
  assert.equal(c.log.judged.filter(([, b]) => b === Behavior.KeptCustody).map(([slot]) => slot), [2, 2], "1 and 2 kept");
  // Nothing checkable is held now (both promises kept): a CONFIRM of 5 cannot be checked here. It is
  // carried on, and the checked CONFIRM of 2 waiting here goes too (it may be the only true one).
  c.receive(forged(5), 2, 2000);
  c.forward.tick(2000);
  assert.equal(c.log.drops, []);
  assert.equal(confirmsTo(c.log.sent, 1).sort(), [2, 5], "both carried toward the origin, which checks the tags");
});

test("nothing checkable held: an uncommitted reading's promise is kept as before, a committed one stays open", () => {
  const c = custodian();
  c.handToHole([1, 2], false, 1000);
  c.handToHole([3], true, 1000);
  // 70 is two epochs past 3: the reveal cannot be checked against it.
  c.receive(forged(70), 2, 2000);
  c.forward.tick(2000);
  assert.equal(c.log.drops, []);
  assert.equal(confirmsTo(c.log.sent, 1), [70], "carried on: the origin checks the tag");
  assert.equal(c.log.judged.filter(([, b]) => b === Behavior.KeptCustody).length, 2, "1 and 2 (uncommitted) kept, on the link's word");
  c.forward.tick(1000 + config.confirmAfterMs);
  assert.equal(c.log.judged.filter(([, b]) => b === Behavior.BrokenCustody).length, 1, "3 (committed) not credited: broken");
});

test("a CONFIRM from another gateway cannot be checked against entries committed to the old home: it keeps their promises, as before receipts", () => {
  // The origin moved home, and the old one passed these readings on to the new one, whose CONFIRM
  // comes back this way: nothing here can tell it from a forgery naming the other gateway.
  const c = custodian();
  c.handToHole([1, 2], true, 1000);
  const other = new Uint8Array(8).fill(8);
  c.receive(encodeData(ORIGIN, ORIGIN, DataKind.Confirm, 1, 2, encodeConfirm(other, 0, new Uint8Array(16), new Uint8Array(16), new Uint8Array(16), null)), 2, 2000);
  c.forward.tick(2000);
  assert.equal(c.log.drops, []);
  assert.equal(c.log.judged.filter(([, b]) => b === Behavior.KeptCustody).length, 2);
  assert.equal(confirmsTo(c.log.sent, 1), [2], "carried on: the origin checks the tag");
});

test.run();
