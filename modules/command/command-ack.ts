/**
 * The command ack: a command's target tells the command's origin that it acted on command `seq`
 * (docs/protocol.md §Commands, Acknowledgements). It travels as a DATA record of kind 7, origin the
 * target, destination the commanding node, seq the command's, routed hop by hop with custody like a
 * message to one node. Payload (COMMAND_ACK_BYTES = 174):
 *
 *   off  size  field
 *   0    110   the target's certificate (so an origin that never met it can check the signature)
 *   110  64    the target's Ed25519 signature over
 *              ascii("hyphae/cmdack/v1") ‖ commanding origin (8) ‖ target (8) ‖ seq (u32)
 *
 * Signed because an ack stops the origin's resends: an insider that could forge one would make the
 * origin give up a command the target never got.
 */
import { ascii, concatBytes, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { COMMAND_ACK_BYTES } from "../wire/data.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";

const CONTEXT = ascii("hyphae/cmdack/v1");

function signedBytes(origin: Uint8Array, target: Uint8Array, seq: number): Uint8Array {
  const numbers = new Uint8Array(4);
  writeU32(numbers, 0, seq);
  return concatBytes(CONTEXT, origin.subarray(0, NODE_ID_BYTES), target.subarray(0, NODE_ID_BYTES), numbers);
}

/** The target's ack of `origin`'s command `seq`: its certificate ‖ its signature (one Ed25519 sign). */
export function encodeCommandAck(crypto: Crypto, secretKey: Uint8Array, certificate: Uint8Array, origin: Uint8Array,
    target: Uint8Array, seq: number): Uint8Array {
  const out = new Uint8Array(COMMAND_ACK_BYTES);
  out.set(certificate, 0);
  out.set(crypto.sign(signedBytes(origin, target, seq), secretKey), CERTIFICATE_BYTES);
  return out;
}

/** The certificate an ack payload carries (a view). */
export function commandAckCertificate(payload: Uint8Array): Uint8Array {
  return payload.subarray(0, CERTIFICATE_BYTES);
}

/** Whether `payload` is `target`'s signature of an ack of `origin`'s command `seq`, `publicKey` the target's. */
export function verifyCommandAck(crypto: Crypto, payload: Uint8Array, origin: Uint8Array, target: Uint8Array, seq: number,
    publicKey: Uint8Array): boolean {
  return payload.length === COMMAND_ACK_BYTES &&
    crypto.verify(signedBytes(origin, target, seq), payload.subarray(CERTIFICATE_BYTES), publicKey);
}
