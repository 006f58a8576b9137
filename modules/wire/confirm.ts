/**
 * A gateway's CONFIRM payload (DATA kind 3 with origin = destination, wire/data.ts;
 * docs/protocol.md §Store-and-forward, "Authenticated CONFIRMs"):
 *
 *   off  size  field
 *   0    8     gateway: the node id of the gateway confirming
 *   8    4     pull: the lowest seq the gateway holds past a gap (u32, > the CONFIRM's seq), 0: none
 *   12   16    tag: HMAC-SHA-512 under the origin's and gateway's pair key, first 16 bytes (forward/confirm-tag.ts)
 *   28   16    reveal: the receipt key of the CONFIRM's seq (forward/receipt-chain.ts), for custodians to check
 *   44   16    previous top: the top receipt key of the epoch before the seq's, all zero in epoch 0
 *   60   110   optional: the gateway's certificate, so an origin that never met the gateway can check it
 *
 * An origin's own CONFIRM to a lender (origin ≠ destination) carries no tag: a lender cannot check
 * one, and takes the origin's word only from the origin in person. Its payload is empty, or the pull
 * (u32, > its seq) of a gateway's CONFIRM, handed on to the lender that keeps the gap.
 */
import { readU32, writeU32 } from "../bytes.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";
import { CERTIFICATE_BYTES } from "./hello.js";

export const CONFIRM_TAG_BYTES = 16;
export const RECEIPT_KEY_BYTES = 16;
const PULL_AT = NODE_ID_BYTES;
const TAG_AT = PULL_AT + 4;
const REVEAL_AT = TAG_AT + CONFIRM_TAG_BYTES;
const PREVIOUS_TOP_AT = REVEAL_AT + RECEIPT_KEY_BYTES;
/** A gateway's CONFIRM without its certificate. */
export const CONFIRM_BYTES = PREVIOUS_TOP_AT + RECEIPT_KEY_BYTES;
/** …and with it. */
export const CONFIRM_CERTIFIED_BYTES = CONFIRM_BYTES + CERTIFICATE_BYTES;

/** Checks a gateway's CONFIRM payload for a CONFIRM of `seq`. */
export function checkConfirm(payload: Uint8Array, seq: number): WireError {
  if (payload.length !== CONFIRM_BYTES && payload.length !== CONFIRM_CERTIFIED_BYTES) return WireError.BadField;
  const pull = readU32(payload, PULL_AT);
  return pull === 0 || pull > seq ? WireError.None : WireError.BadField;
}

/** An origin's own CONFIRM payload: nothing, or a pull. */
export const ORIGIN_CONFIRM_PULL_BYTES = 4;

/** Checks an origin's own CONFIRM payload for a CONFIRM of `seq`. */
export function checkOriginConfirm(payload: Uint8Array, seq: number): WireError {
  if (payload.length === 0) return WireError.None;
  return payload.length === ORIGIN_CONFIRM_PULL_BYTES && readU32(payload, 0) > seq ? WireError.None : WireError.BadField;
}

/** An origin's own CONFIRM payload handing on a gateway's pull (0: none). */
export function encodeOriginConfirm(pull: number): Uint8Array {
  const out = new Uint8Array(pull > 0 ? ORIGIN_CONFIRM_PULL_BYTES : 0);
  if (pull > 0) writeU32(out, 0, pull);
  return out;
}

/** The pull an origin's own (checked) CONFIRM payload hands on, 0 when none. */
export function originConfirmPull(payload: Uint8Array): number {
  return payload.length === ORIGIN_CONFIRM_PULL_BYTES ? readU32(payload, 0) : 0;
}

/**
 * A gateway's CONFIRM payload; `tag` covers the gateway, the origin, the seq and the pull
 * (forward/confirm-tag.ts); `reveal` and `previousTop` are receipt keys (forward/receipt-chain.ts).
 */
export function encodeConfirm(
  gateway: Uint8Array, pull: number, tag: Uint8Array, reveal: Uint8Array, previousTop: Uint8Array, certificate: Uint8Array | null,
): Uint8Array {
  const out = new Uint8Array(certificate ? CONFIRM_CERTIFIED_BYTES : CONFIRM_BYTES);
  out.set(gateway.subarray(0, NODE_ID_BYTES), 0);
  writeU32(out, PULL_AT, pull);
  out.set(tag.subarray(0, CONFIRM_TAG_BYTES), TAG_AT);
  out.set(reveal.subarray(0, RECEIPT_KEY_BYTES), REVEAL_AT);
  out.set(previousTop.subarray(0, RECEIPT_KEY_BYTES), PREVIOUS_TOP_AT);
  if (certificate) out.set(certificate, CONFIRM_BYTES);
  return out;
}

/** The fields of a checked CONFIRM payload (views). */
export function confirmGateway(payload: Uint8Array): Uint8Array {
  return payload.subarray(0, NODE_ID_BYTES);
}

/** The pulled seq, 0 when the CONFIRM does not pull. */
export function confirmPull(payload: Uint8Array): number {
  return readU32(payload, PULL_AT);
}

export function confirmTag(payload: Uint8Array): Uint8Array {
  return payload.subarray(TAG_AT, REVEAL_AT);
}

/** The receipt key of the CONFIRM's seq. */
export function confirmReveal(payload: Uint8Array): Uint8Array {
  return payload.subarray(REVEAL_AT, PREVIOUS_TOP_AT);
}

/** The top receipt key of the epoch before the seq's (zeros in epoch 0). */
export function confirmPreviousTop(payload: Uint8Array): Uint8Array {
  return payload.subarray(PREVIOUS_TOP_AT, CONFIRM_BYTES);
}

export function confirmCertificate(payload: Uint8Array): Uint8Array | null {
  return payload.length === CONFIRM_CERTIFIED_BYTES ? payload.subarray(CONFIRM_BYTES) : null;
}
