/**
 * The Crypto port on the board: modules/crypto/board-crypto.ts (Ed25519 on @noble/curves, secretbox
 * from tweetnacl), with the SDK's native SHA-512 (`Digest` from "crypt", C code) as its hash. The
 * core hashes for node ids, message digests and inside every Ed25519 operation; in JS that costs
 * ~100 ms per 200 bytes on an ESP32, natively well under a millisecond.
 *
 * A known-answer test at boot guards the native digest: if it ever disagrees with FIPS 180-4, the
 * pure-JS hash is used instead (and the caller is told), since every node must produce the same bytes.
 */
import { Digest } from "crypt";
import { createBoardCrypto } from "../../modules/crypto/board-crypto.js";
import { ascii, toHex } from "../../modules/bytes.js";
import type { Crypto } from "../../modules/ports.js";

/** SHA-512("abc"), FIPS 180-4 example, first 16 bytes. */
const ABC_SHA512_PREFIX = "ddaf35a193617abacc417349ae204131";

let digest: Digest | undefined;

/** SHA-512 in C. One Digest object, reset for each message. */
export function nativeSha512(data: Uint8Array): Uint8Array {
  digest ??= new Digest("SHA512");
  digest.reset();
  // The native side reads any buffer view (xsmcGetBufferReadable); the SDK's typings say ArrayBuffer.
  digest.write(data as unknown as ArrayBuffer);
  return new Uint8Array(digest.close());
}

/** The board's Crypto; `native` says whether the SDK's SHA-512 passed its known-answer test. */
export function boardCrypto(): { crypto: Crypto; native: boolean } {
  let native = false;
  try {
    native = toHex(nativeSha512(ascii("abc"))).startsWith(ABC_SHA512_PREFIX);
  } catch {
    native = false;
  }
  return { crypto: native ? createBoardCrypto(nativeSha512) : createBoardCrypto(), native };
}
