/**
 * The handover message: the payload of GOSSIP kind 5, a gateway's HANDOVER notices (wire/handover.ts)
 * signed by that gateway (docs/protocol.md §Store-and-forward, "Changing home"). The gossip origin
 * names the sender, which any insider can set; a RELEASED with a position beyond what the old home
 * delivered would have the new home skip readings, and the origin drop them on its CONFIRMs. So the
 * sender signs, and gateways act only on notices their sender's key signed.
 *
 *   off        size  field
 *   0          110   sender's certificate (role gateway)
 *   110        21n   n notices, 1..MAX_NOTICES
 *   110+21n    64    sender's Ed25519 signature over
 *                    ascii("hyphae/handover/v1") ‖ origin (8) ‖ seq (u32) ‖ bytes[110..110+21n)
 *
 * One signature covers the whole batch. It binds the gossip (origin, seq), as a command's does
 * (command/command-message.ts), so a relay cannot move the notices to another sender.
 */
import { ascii, equalAt } from "../bytes.js";
import { gossipSigningBytes } from "../gossip/gossip-signing.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { checkHandover, MAX_NOTICES, NOTICE_BYTES } from "../wire/handover.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";

const SIGNATURE_BYTES = 64;
/** Certificate and signature: what a message carries besides its notices. */
export const HANDOVER_SIGNING_BYTES = CERTIFICATE_BYTES + SIGNATURE_BYTES;
export const MAX_HANDOVER_BYTES = HANDOVER_SIGNING_BYTES + MAX_NOTICES * NOTICE_BYTES;
const CONTEXT = ascii("hyphae/handover/v1");

export interface HandoverView {
  /** Views into the payload; copy before keeping. */
  certificate: Uint8Array;
  notices: Uint8Array;
  signature: Uint8Array;
}


/** Signs `notices` (checked: 1..MAX_NOTICES) as gossip (origin, seq) of the gateway holding `secretKey` and `certificate`. */
export function encodeHandover(crypto: Crypto, secretKey: Uint8Array, certificate: Uint8Array, origin: Uint8Array, seq: number,
    notices: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDOVER_SIGNING_BYTES + notices.length);
  out.set(certificate, 0);
  out.set(notices, CERTIFICATE_BYTES);
  out.set(crypto.sign(gossipSigningBytes(CONTEXT, origin, seq, notices), secretKey), CERTIFICATE_BYTES + notices.length);
  return out;
}

/** Strict decode: the certificate, whole notices that pass checkHandover, the signature. Never throws. */
export function decodeHandover(payload: Uint8Array): HandoverView | WireError {
  if (payload.length < HANDOVER_SIGNING_BYTES + NOTICE_BYTES) return WireError.Truncated;
  const notices = payload.subarray(CERTIFICATE_BYTES, payload.length - SIGNATURE_BYTES);
  const e = checkHandover(notices);
  if (e !== WireError.None) return e;
  return { certificate: payload.subarray(0, CERTIFICATE_BYTES), notices, signature: payload.subarray(payload.length - SIGNATURE_BYTES) };
}

/** Whether a notice of the message is for gateway `id`: only then is its signature worth a verify. */
export function handoverNames(view: HandoverView, id: Uint8Array): boolean {
  for (let at = 1 + NODE_ID_BYTES; at < view.notices.length; at += NOTICE_BYTES) {
    if (equalAt(view.notices, at, id, 0, NODE_ID_BYTES)) return true;
  }
  return false;
}

export function verifyHandoverSignature(crypto: Crypto, view: HandoverView, origin: Uint8Array, seq: number, publicKey: Uint8Array): boolean {
  return crypto.verify(gossipSigningBytes(CONTEXT, origin, seq, view.notices), view.signature, publicKey);
}
