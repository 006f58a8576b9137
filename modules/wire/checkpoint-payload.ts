/**
 * An origin's feed checkpoint as a DATA payload (kind 2; docs/protocol.md §Store-and-forward,
 * "Authenticated CONFIRMs"):
 *
 *   off  size  field
 *   0    84    the feed checkpoint (feed/feed-checkpoint.ts)
 *   84   110   the origin's certificate, so a gateway that never met it can check the signature
 *   194  1     keyed: 1 if the origin holds the pair key of the gateway it sends to, else 0
 *
 * The gateway's answering CONFIRM carries the gateway's certificate only when keyed is 0: an origin
 * holding the key checks the CONFIRM without it.
 */
import { FEED_CHECKPOINT_BYTES } from "../feed/feed-checkpoint.js";
import { WireError } from "./errors.js";
import { CERTIFICATE_BYTES } from "./hello.js";

const KEYED_AT = FEED_CHECKPOINT_BYTES + CERTIFICATE_BYTES;
export const CHECKPOINT_PAYLOAD_BYTES = KEYED_AT + 1;

export function checkCheckpointPayload(payload: Uint8Array): WireError {
  return payload.length === CHECKPOINT_PAYLOAD_BYTES && payload[KEYED_AT] <= 1 ? WireError.None : WireError.BadField;
}

/** keyed 0 until set (setCheckpointKeyed): the origin knows the gateway only when the checkpoint leaves. */
export function encodeCheckpointPayload(checkpoint: Uint8Array, certificate: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHECKPOINT_PAYLOAD_BYTES);
  out.set(checkpoint, 0);
  out.set(certificate, FEED_CHECKPOINT_BYTES);
  return out;
}

export function setCheckpointKeyed(payload: Uint8Array, keyed: boolean): void {
  payload[KEYED_AT] = keyed ? 1 : 0;
}

/** The fields of a checked payload (views). */
export function checkpointOf(payload: Uint8Array): Uint8Array {
  return payload.subarray(0, FEED_CHECKPOINT_BYTES);
}

export function checkpointCertificate(payload: Uint8Array): Uint8Array {
  return payload.subarray(FEED_CHECKPOINT_BYTES, KEYED_AT);
}

export function checkpointKeyed(payload: Uint8Array): boolean {
  return payload[KEYED_AT] === 1;
}
