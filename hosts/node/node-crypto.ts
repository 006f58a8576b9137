/**
 * The fast Crypto binding for Node: Ed25519, X25519 and SHA-512 from OpenSSL via node:crypto, secretbox
 * from tweetnacl (OpenSSL has no XSalsa20), sealing through scratch buffers. Same bytes as
 * modules/crypto/tweetnacl-crypto.ts.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";
import type { Crypto } from "../../modules/ports.js";
import nacl from "tweetnacl";
import { tweetnaclCrypto } from "../../modules/crypto/tweetnacl-crypto.js";
import { agreeWith } from "../../modules/crypto/ed25519-agreement.js";

const SEED_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** Building a KeyObject costs about half a signature; the simulator's 10,000 nodes fit. */
const KEY_CACHE_ENTRIES = 16384;

/** A Map bounded by dropping the oldest insertion: cheap, and enough for key reuse patterns. */
class KeyCache {
  private readonly keys = new Map<string, KeyObject>();

  get(raw: Uint8Array, make: (raw: Uint8Array) => KeyObject): KeyObject {
    // latin1 maps each byte to one char: the cheapest exact string key for 32 bytes.
    const id = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString("latin1");
    let key = this.keys.get(id);
    if (key === undefined) {
      key = make(raw);
      if (this.keys.size >= KEY_CACHE_ENTRIES) this.keys.delete(this.keys.keys().next().value as string);
      this.keys.set(id, key);
    }
    return key;
  }
}

const privateKeys = new KeyCache();
const publicKeys = new KeyCache();

function base64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("base64url");
}

/**
 * JWK rather than PKCS#8/SPKI DER: on OpenSSL 3 the DER decoder path is ~10× slower (≈560 µs vs
 * 50 µs per private key). Node builds the key from `d` alone and only type-checks `x`, so x is
 * left empty; it is exactly what nodeKeyPairFromSeed derives.
 */
function makePrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: base64url(seed), x: "" }, format: "jwk" });
}

function makePublicKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: base64url(publicKey) }, format: "jwk" });
}

/**
 * X25519 by OpenSSL, keys as JWK (x is only type-checked for a private key, as for Ed25519). OpenSSL
 * refuses an all-zero result: the throw is agreeWith's null.
 */
export function nodeX25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: base64url(scalar), x: "" }, format: "jwk" });
  const publicKey = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: base64url(u) }, format: "jwk" });
  return plain(diffieHellman({ privateKey, publicKey }));
}

/** tweetnacl's low-level secretbox (in nacl-fast.js, not in its typings): it writes into buffers we give it. */
const lowlevel = (nacl as unknown as {
  lowlevel: { crypto_secretbox(c: Uint8Array, m: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number };
}).lowlevel;
/** secretbox's leading zero bytes of the message, and of the box before the tag. */
const ZERO_BYTES = 32;
const BOX_ZERO_BYTES = 16;
/** Scratch for seal, grown to the largest frame: nacl.secretbox allocates both per call (the simulator seals every frame). */
let sealIn = new Uint8Array(0);
let sealOut = new Uint8Array(0);

/** nacl.secretbox's bytes, allocating only the box returned. */
function seal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  if (nonce.length !== 24 || key.length !== 32) throw new RangeError("secretbox needs a 24-byte nonce and a 32-byte key");
  const d = ZERO_BYTES + plaintext.length;
  if (sealIn.length < d) {
    sealIn = new Uint8Array(d);
    sealOut = new Uint8Array(d);
  }
  sealIn.fill(0, 0, ZERO_BYTES);
  sealIn.set(plaintext, ZERO_BYTES);
  lowlevel.crypto_secretbox(sealOut, sealIn, d, nonce, key);
  return sealOut.slice(BOX_ZERO_BYTES, d);
}

/** Copies out of Node's Buffer (often a slice of a shared pool) into a plain Uint8Array. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b);
}

export const nodeCrypto: Crypto = {
  sha512: (data) => plain(createHash("sha512").update(data).digest()),
  sign(message, secretKey) {
    if (secretKey.length !== SEED_BYTES + PUBLIC_KEY_BYTES) throw new RangeError("secret key must be 64 bytes");
    return plain(edSign(null, message, privateKeys.get(secretKey.subarray(0, SEED_BYTES), makePrivateKey)));
  },
  verify(message, signature, publicKey) {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
    try {
      return edVerify(null, message, publicKeys.get(publicKey, makePublicKey), signature);
    } catch {
      // A key OpenSSL refuses is just a key no signature verifies under.
      return false;
    }
  },
  seal,
  open: tweetnaclCrypto.open,
  agree: (secretKey, publicKey) => agreeWith(nodeX25519, nodeCrypto.sha512, secretKey, publicKey),
};

/** Ed25519 key pair from a 32-byte seed via OpenSSL; `secretKey` is NaCl's seed‖public form. */
export function nodeKeyPairFromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  if (seed.length !== SEED_BYTES) throw new RangeError("seed must be 32 bytes");
  const jwk = privateKeys.get(seed, makePrivateKey).export({ format: "jwk" });
  const publicKey = plain(Buffer.from(jwk.x as string, "base64url"));
  const secretKey = new Uint8Array(SEED_BYTES + PUBLIC_KEY_BYTES);
  secretKey.set(seed);
  secretKey.set(publicKey, SEED_BYTES);
  return { publicKey, secretKey };
}
