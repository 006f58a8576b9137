/**
 * How a gateway authenticates its CONFIRMs to an origin without a signature each (an Ed25519 sign or
 * verify costs 1–3 s on the board): the two agree once on a pair key, X25519 between their certified
 * Ed25519 identities (Crypto.agree), and the gateway tags each CONFIRM with HMAC-SHA-512 under it,
 * truncated to 16 bytes. Only the two of them hold the key, so an insider on the way can neither forge
 * a CONFIRM nor change one's seq or pull. A replayed CONFIRM needs no nonce to be harmless: it
 * confirms what was confirmed already, since a gateway's confirmed seq only grows.
 */
import { ascii, concatBytes, equalConstantTime, writeU32 } from "../bytes.js";
import { hmacSha512 } from "../crypto/hmac-sha512.js";
import type { Crypto } from "../ports.js";
import { CONFIRM_TAG_BYTES } from "../wire/confirm.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

export const PAIR_KEY_BYTES = 32;
/** Domain separation: the shared secret keys CONFIRM tags and nothing else. */
const PAIR_KEY_CONTEXT = ascii("hyphae/confirm-key/v1");

/** The pair key of our `secretKey` and a peer's Ed25519 `publicKey`; null when they cannot agree (a key of small order). */
export function derivePairKey(crypto: Crypto, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  const shared = crypto.agree(secretKey, publicKey);
  return shared ? crypto.sha512(concatBytes(PAIR_KEY_CONTEXT, shared)).slice(0, PAIR_KEY_BYTES) : null;
}

/** The tag of `gateway`'s CONFIRM of `origin`'s readings up to `seq`, pulling from `pull` (0: none). */
export function confirmTagOf(crypto: Crypto, pairKey: Uint8Array, gateway: Uint8Array, origin: Uint8Array, seq: number, pull: number): Uint8Array {
  const message = new Uint8Array(2 * NODE_ID_BYTES + 8);
  message.set(gateway.subarray(0, NODE_ID_BYTES), 0);
  message.set(origin.subarray(0, NODE_ID_BYTES), NODE_ID_BYTES);
  writeU32(message, 2 * NODE_ID_BYTES, seq);
  writeU32(message, 2 * NODE_ID_BYTES + 4, pull);
  return hmacSha512(crypto, pairKey, message).slice(0, CONFIRM_TAG_BYTES);
}

/** Whether `tag` is that tag; every byte compared, whatever the first difference. */
export function checkConfirmTag(
  crypto: Crypto, pairKey: Uint8Array, gateway: Uint8Array, origin: Uint8Array, seq: number, pull: number, tag: Uint8Array,
): boolean {
  return equalConstantTime(tag, confirmTagOf(crypto, pairKey, gateway, origin, seq, pull));
}
