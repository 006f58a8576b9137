/**
 * Delivery receipts: how a custodian checks a gateway's CONFIRM without the pair key (confirm-tag.ts)
 * that only the origin and the gateway hold. Per pair key, an origin's seqs are grouped in epochs of
 * RECEIPT_EPOCH: seq s is position s mod 32 of epoch floor(s / 32). Each epoch has a hash chain of
 * 16-byte keys, walked down from its top:
 *
 *   k[e][31] = HMAC-SHA-512(pairKey, "hyphae/receipt/v1" ‖ u32 e)[0..16)
 *   k[e][i]  = SHA-512(k[e][i+1])[0..16)
 *
 * An origin puts into each entry the commitment c(s) = SHA-512("hyphae/receipt-commit/v1" ‖ k(s))[0..8)
 * of its seq's key (a function other than the chain step: a commitment reveals no key). A gateway's
 * CONFIRM of seq S reveals k(S) and the previous epoch's top key: both open every commitment ≤ S
 * (everything ≤ S is delivered), none above (that needs a SHA-512 preimage). A custodian holding an
 * entry s ≤ S of this origin and gateway, in S's epoch or the one before, hashes the reveal down to
 * k(s) and compares: a forged CONFIRM fails.
 */
import { ascii, concatBytes, equalConstantTime, writeU32 } from "../bytes.js";
import { hmacSha512 } from "../crypto/hmac-sha512.js";
import type { Crypto } from "../ports.js";
import { RECEIPT_KEY_BYTES } from "../wire/confirm.js";
import { COMMITMENT_BYTES } from "../wire/data.js";

/** Seqs per epoch: an epoch's chain is this many keys. */
export const RECEIPT_EPOCH = 32;
const TOP_CONTEXT = ascii("hyphae/receipt/v1");
const COMMIT_CONTEXT = ascii("hyphae/receipt-commit/v1");

export function epochOf(seq: number): number {
  return Math.floor(seq / RECEIPT_EPOCH);
}

/** The top key of `epoch`'s chain: HMAC-SHA-512 (two SHA-512s). */
export function epochTopKey(crypto: Crypto, pairKey: Uint8Array, epoch: number): Uint8Array {
  const message = new Uint8Array(TOP_CONTEXT.length + 4);
  message.set(TOP_CONTEXT, 0);
  writeU32(message, TOP_CONTEXT.length, epoch);
  return hmacSha512(crypto, pairKey, message).slice(0, RECEIPT_KEY_BYTES);
}

/** `key` walked `steps` positions down its chain (one SHA-512 a step). */
export function chainDown(crypto: Crypto, key: Uint8Array, steps: number): Uint8Array {
  let k = key.subarray(0, RECEIPT_KEY_BYTES);
  for (let i = 0; i < steps; i++) k = crypto.sha512(k).subarray(0, RECEIPT_KEY_BYTES);
  return k.slice();
}

/** The receipt key of `seq`: the epoch's top walked down (≤ 31 + 2 SHA-512s). */
export function receiptKeyOf(crypto: Crypto, pairKey: Uint8Array, seq: number): Uint8Array {
  return chainDown(crypto, epochTopKey(crypto, pairKey, epochOf(seq)), RECEIPT_EPOCH - 1 - (seq % RECEIPT_EPOCH));
}

/** The commitment to a receipt key (one SHA-512). */
export function commitmentOf(crypto: Crypto, key: Uint8Array): Uint8Array {
  return crypto.sha512(concatBytes(COMMIT_CONTEXT, key.subarray(0, RECEIPT_KEY_BYTES))).slice(0, COMMITMENT_BYTES);
}

/** What an origin puts into its entry `seq` for the gateway it shares `pairKey` with. */
export function receiptCommitment(crypto: Crypto, pairKey: Uint8Array, seq: number): Uint8Array {
  return commitmentOf(crypto, receiptKeyOf(crypto, pairKey, seq));
}

/** Whether an entry's commitment is all zeros: its origin lacked the gateway's key, nothing to check. */
export function uncommitted(commitment: Uint8Array): boolean {
  for (let i = 0; i < COMMITMENT_BYTES; i++) if (commitment[i] !== 0) return false;
  return true;
}

/** Whether a custodian can check a CONFIRM of `confirmedSeq` against an entry `seq` it holds: s ≤ S, in S's epoch or the one before. */
export function checkable(seq: number, confirmedSeq: number): boolean {
  const gap = epochOf(confirmedSeq) - epochOf(seq);
  return seq <= confirmedSeq && (gap === 0 || gap === 1);
}

/**
 * Whether a CONFIRM of `confirmedSeq` revealing `reveal` (k(S)) and `previousTop` (the previous epoch's
 * top key) opens `commitment`, of the entry `seq` (checkable): S − s SHA-512s in S's epoch, 31 − (s mod
 * 32) in the one before, and one for the commitment.
 */
export function opens(crypto: Crypto, reveal: Uint8Array, previousTop: Uint8Array, confirmedSeq: number, seq: number, commitment: Uint8Array): boolean {
  if (!checkable(seq, confirmedSeq)) return false;
  const key = epochOf(seq) === epochOf(confirmedSeq)
    ? chainDown(crypto, reveal, confirmedSeq - seq)
    : chainDown(crypto, previousTop, RECEIPT_EPOCH - 1 - (seq % RECEIPT_EPOCH));
  return equalConstantTime(commitment, commitmentOf(crypto, key));
}
