/**
 * Delivery receipts (forward/receipt-chain.ts): keys, commitments and checks against values computed
 * here independently with node:crypto, and the forgeries a custodian must refuse.
 */
import { createHash, createHmac } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { checkable, commitmentOf, epochOf, epochTopKey, opens, receiptCommitment, receiptKeyOf, RECEIPT_EPOCH, uncommitted } from "../modules/forward/receipt-chain.js";
import { toHex } from "../modules/bytes.js";

const PAIR_KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

/** The top key of `epoch`, by the spec: HMAC-SHA-512(pairKey, "hyphae/receipt/v1" ‖ u32 e)[0..16). */
function top(epoch: number): Buffer {
  const e = Buffer.alloc(4);
  e.writeUInt32BE(epoch);
  return createHmac("sha512", PAIR_KEY).update(Buffer.concat([Buffer.from("hyphae/receipt/v1"), e])).digest().subarray(0, 16);
}

/** The key of `seq`, walked down from its epoch's top with SHA-512. */
function key(seq: number): Buffer {
  let k = top(Math.floor(seq / 32));
  for (let i = 31; i > seq % 32; i--) k = createHash("sha512").update(k).digest().subarray(0, 16);
  return k;
}

function commitment(seq: number): Buffer {
  return createHash("sha512").update(Buffer.concat([Buffer.from("hyphae/receipt-commit/v1"), key(seq)])).digest().subarray(0, 8);
}

test("receipt keys and commitments: epochs of 32, as computed independently", () => {
  assert.is(RECEIPT_EPOCH, 32);
  assert.equal([epochOf(1), epochOf(31), epochOf(32), epochOf(95)], [0, 0, 1, 2]);
  for (const seq of [1, 5, 31, 32, 33, 63, 64, 1000]) {
    assert.is(toHex(receiptKeyOf(nodeCrypto, PAIR_KEY, seq)), key(seq).toString("hex"), `key of ${seq}`);
    assert.is(toHex(receiptCommitment(nodeCrypto, PAIR_KEY, seq)), commitment(seq).toString("hex"), `commitment of ${seq}`);
  }
  assert.is(toHex(epochTopKey(nodeCrypto, PAIR_KEY, 3)), top(3).toString("hex"));
  // Pinned (node:crypto, pair key 01..20): epoch 1's top, and seq 33's key and commitment.
  assert.is(toHex(epochTopKey(nodeCrypto, PAIR_KEY, 1)), "fb3c711be77d142023fbb12832ba7743");
  assert.is(toHex(receiptKeyOf(nodeCrypto, PAIR_KEY, 33)), "324562923a14b2196336c278ee797d2b");
  assert.is(toHex(receiptCommitment(nodeCrypto, PAIR_KEY, 33)), "6fec47df3c9865ef");
  assert.is(toHex(receiptKeyOf(nodeCrypto, PAIR_KEY, 63)), top(1).toString("hex"), "the last seq of an epoch has its top key");
  // A commitment is not the chain step: it does not give away the key below.
  assert.is.not(toHex(commitmentOf(nodeCrypto, key(10))), toHex(key(9).subarray(0, 8)));
  assert.ok(uncommitted(new Uint8Array(8)));
  assert.not.ok(uncommitted(commitment(7)));
});

test("a CONFIRM's reveal opens every commitment up to its seq, in its epoch and the one before", () => {
  const reveal = key(45);
  const previousTop = top(0);
  for (const seq of [1, 17, 31, 32, 40, 45]) assert.ok(opens(nodeCrypto, reveal, previousTop, 45, seq, commitment(seq)), `${seq} ≤ 45`);
  // Epoch 0: the previous top is all zeros, and nothing lies before it.
  assert.ok(opens(nodeCrypto, key(20), new Uint8Array(16), 20, 3, commitment(3)));
  assert.ok(checkable(45, 45) && checkable(1, 45) && !checkable(46, 45) && !checkable(31, 64));
});

test("forgeries fail: a made-up reveal, a reveal for a seq higher than revealed, a tampered commitment", () => {
  const made = new Uint8Array(16).fill(0xaa);
  assert.not.ok(opens(nodeCrypto, made, top(0), 45, 40, commitment(40)), "a made-up reveal");
  assert.not.ok(opens(nodeCrypto, top(0), made, 45, 20, commitment(20)), "a made-up previous top");
  // A forger that saw the CONFIRM of 40 (k(40)) claims 44: k(40) walked down 4 steps is k(36), not k(40).
  assert.not.ok(opens(nodeCrypto, key(40), top(0), 44, 40, commitment(40)), "k(40) passed off as k(44)");
  assert.not.ok(opens(nodeCrypto, key(40), top(0), 44, 42, commitment(42)), "nor does it open 42");
  // Nor is k(31), the top of epoch 0, the top of epoch 1.
  assert.not.ok(opens(nodeCrypto, made, key(31), 70, 40, commitment(40)), "the previous epoch's top of another epoch");
  const tampered = Buffer.from(commitment(40));
  tampered[7] ^= 1;
  assert.not.ok(opens(nodeCrypto, key(45), top(0), 45, 40, tampered), "a tampered commitment");
  assert.not.ok(opens(nodeCrypto, key(45), top(0), 45, 46, commitment(46)), "a seq above the CONFIRM's is not checkable");
});

test.run();
