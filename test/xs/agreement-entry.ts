/**
 * XS side of test/xs-agreement.test.ts: the board's crypto inside the real XS engine, asked for X25519
 * products, key agreements and HMAC-SHA-512 tags; replies in hex.
 */
import { fromHex, toHex } from "../../modules/bytes.js";
import { createBoardCrypto } from "../../modules/crypto/board-crypto.js";
import { x25519 } from "../../modules/crypto/x25519.js";
import { hmacSha512 } from "../../modules/crypto/hmac-sha512.js";
import { serveJson } from "../../tools/xs/xs-bridge.js";

export interface AgreementRequest {
  /** [scalar, u] pairs. */
  scalarMults: [string, string][];
  /** [Ed25519 secret key (seed‖public), Ed25519 public key] pairs. */
  agreements: [string, string][];
  /** [key, message] pairs. */
  hmacs: [string, string][];
}

export interface AgreementReply {
  scalarMults: string[];
  /** "null" where the binding refused the key. */
  agreements: string[];
  hmacs: string[];
}

const crypto = createBoardCrypto();

serveJson((request: AgreementRequest): AgreementReply => ({
  scalarMults: request.scalarMults.map(([scalar, u]) => toHex(x25519(fromHex(scalar), fromHex(u)))),
  agreements: request.agreements.map(([secret, pub]) => {
    const shared = crypto.agree(fromHex(secret), fromHex(pub));
    return shared ? toHex(shared) : "null";
  }),
  hmacs: request.hmacs.map(([key, message]) => toHex(hmacSha512(crypto, fromHex(key), fromHex(message)))),
}));
