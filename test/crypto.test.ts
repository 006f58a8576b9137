import { test } from "uvu";
import * as assert from "uvu/assert";
import nacl from "tweetnacl";
import { ed25519, ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import { ascii, fromHex, toHex } from "../modules/bytes.js";
import type { Crypto } from "../modules/ports.js";
import { createBoardCrypto } from "../modules/crypto/board-crypto.js";
import { keyPairFromSeed, tweetnaclCrypto } from "../modules/crypto/tweetnacl-crypto.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";

/** RFC 8032 §7.1, TEST 1–3. */
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
      + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
      + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

/** FIPS 180-2 Appendix C.1: SHA-512("abc"). */
const SHA512_ABC = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
  + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

const boardCrypto = createBoardCrypto();
const IMPLS: [string, Crypto][] = [["tweetnacl", tweetnaclCrypto], ["node", nodeCrypto], ["board", boardCrypto]];

/** Adds the group order L to S (little-endian): a second encoding of the same signature. */
function malleate(signature: Uint8Array): Uint8Array {
  const L = fromHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const out = signature.slice();
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const sum = out[32 + i] + L[i] + carry;
    out[32 + i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}

for (const [name, crypto] of IMPLS) {
  test(`${name}: RFC 8032 vectors sign and verify`, () => {
    for (const v of RFC8032) {
      const secretKey = fromHex(v.seed + v.publicKey);
      const message = fromHex(v.message);
      const signature = crypto.sign(message, secretKey);
      assert.is(toHex(signature), v.signature);
      assert.ok(crypto.verify(message, fromHex(v.signature), fromHex(v.publicKey)));
      const wrong = fromHex(v.signature);
      wrong[10] ^= 1;
      assert.not.ok(crypto.verify(message, wrong, fromHex(v.publicKey)));
      assert.not.ok(crypto.verify(ascii("other"), fromHex(v.signature), fromHex(v.publicKey)));
    }
  });

  test(`${name}: SHA-512("abc")`, () => {
    const digest = crypto.sha512(ascii("abc"));
    assert.is(digest.length, 64);
    assert.is(toHex(digest), SHA512_ABC);
  });

  test(`${name}: verify returns false on malformed lengths and keys`, () => {
    const v = RFC8032[1];
    const message = fromHex(v.message);
    const signature = fromHex(v.signature);
    const publicKey = fromHex(v.publicKey);
    assert.is(crypto.verify(message, signature.subarray(0, 63), publicKey), false);
    assert.is(crypto.verify(message, new Uint8Array(65), publicKey), false);
    assert.is(crypto.verify(message, signature, publicKey.subarray(0, 31)), false);
    assert.is(crypto.verify(message, signature, new Uint8Array(0)), false);
    assert.is(crypto.verify(message, signature, new Uint8Array(32).fill(0xff)), false);
  });

  test(`${name}: rejects a non-canonical S (S + L)`, () => {
    const v = RFC8032[0];
    const publicKey = fromHex(v.publicKey);
    const malleated = malleate(fromHex(v.signature));
    // Raw tweetnacl accepts it: the binding must not.
    assert.ok(nacl.sign.detached.verify(new Uint8Array(0), malleated, publicKey));
    assert.is(crypto.verify(new Uint8Array(0), malleated, publicKey), false);
  });

  test(`${name}: secretbox round trip, tamper gives null`, () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(24).fill(9);
    const plaintext = ascii("soil moisture 41%");
    const box = crypto.seal(plaintext, nonce, key);
    assert.is(box.length, plaintext.length + 16);
    assert.equal(crypto.open(box, nonce, key), plaintext);
    for (const at of [0, 15, 16, box.length - 1]) {
      const tampered = box.slice();
      tampered[at] ^= 0x80;
      assert.is(crypto.open(tampered, nonce, key), null);
    }
    const otherNonce = nonce.slice();
    otherNonce[23] ^= 1;
    assert.is(crypto.open(box, otherNonce, key), null);
    assert.is(crypto.open(box.subarray(0, 15), nonce, key), null);
  });
}

test("every binding verifies every binding's signatures of the RFC 8032 vectors, and none a tampered one", () => {
  for (const v of RFC8032) {
    const secretKey = fromHex(v.seed + v.publicKey);
    const publicKey = fromHex(v.publicKey);
    const message = fromHex(v.message);
    for (const [signer, s] of IMPLS) {
      const signature = s.sign(message, secretKey);
      const tampered = signature.slice();
      tampered[40] ^= 4;
      for (const [verifier, c] of IMPLS) {
        assert.ok(c.verify(message, signature, publicKey), `${verifier} verifies ${signer}'s signature`);
        assert.not.ok(c.verify(message, tampered, publicKey), `${verifier} rejects ${signer}'s tampered signature`);
        assert.not.ok(c.verify(message, malleate(signature), publicKey), `${verifier} rejects ${signer}'s S + L`);
      }
    }
  }
});

/** Little-endian bytes of a non-negative bigint. */
function toLittleEndian(v: bigint, n = 32): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Signatures only a careless or hostile key holder makes: small-order and non-canonical keys, a
 * non-canonical R, and an R with a small-order component (valid under the cofactored equation only).
 * OpenSSL and tweetnacl agree on each; the board binding must agree with them.
 */
test("board verify agrees with node and tweetnacl on small-order keys and mixed-order R", () => {
  const message = ascii("edge");
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const zero = new Uint8Array(32);
  const p = (1n << 255n) - 19n;
  const seed = new Uint8Array(32).fill(9);
  const { publicKey } = keyPairFromSeed(seed);
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed);
  const order = ed25519.Point.Fn.ORDER;
  const r = 123456789n;
  const mixedR = ed25519.Point.BASE.multiply(r).add(ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1])).toBytes();
  const k = fromLittleEndian(nacl.hash(concat(mixedR, publicKey, message))) % order;
  // Expected verdicts; null: whatever OpenSSL says (a torsion key's verdict depends on the message).
  const cases: [string, Uint8Array, Uint8Array, boolean | null][] = [
    ["identity key, universal signature", concat(identity, zero), identity, true],
    ["identity key, y = p + 1", concat(identity, zero), toLittleEndian(p + 1n), true],
    ["identity key, x = -0", concat(identity, zero), concat(identity.subarray(0, 31), Uint8Array.of(0x80)), true],
    ["identity R encoded as p + 1", concat(toLittleEndian(p + 1n), zero), identity, false],
    ...ED25519_TORSION_SUBGROUP.map((t, i): [string, Uint8Array, Uint8Array, null] =>
      [`torsion point ${i} as key and R`, concat(fromHex(t), zero), fromHex(t), null]),
    ["R with a small-order component", concat(mixedR, toLittleEndian((r + k * scalar) % order)), publicKey, false],
  ];
  const verdicts = new Set<boolean>();
  for (const [name, signature, key, expected] of cases) {
    const reference = nodeCrypto.verify(message, signature, key);
    if (expected !== null) assert.is(reference, expected, `node: ${name}`);
    verdicts.add(reference);
    assert.is(tweetnaclCrypto.verify(message, signature, key), reference, `tweetnacl: ${name}`);
    assert.is(boardCrypto.verify(message, signature, key), reference, `board: ${name}`);
  }
  assert.is(verdicts.size, 2, "the cases include accepted and rejected signatures");
  // noble's own verify (cofactored, strict decoding) decides both the other way: why board-crypto checks by hand.
  assert.is(ed25519.verify(cases[0][1], message, cases[0][2], { zip215: false }), false);
  assert.is(ed25519.verify(cases.at(-1)![1], message, cases.at(-1)![2], { zip215: false }), true);
});

function isPoint(bytes: Uint8Array): boolean {
  try {
    ed25519.Point.fromBytes(bytes, true);
    return true;
  } catch {
    return false;
  }
}

/**
 * The board builds edwards25519 itself (RFC 8032 parameters) and decodes keys with its own square
 * root: a key decoded to the wrong root, or off-curve bytes accepted, would show here.
 */
test("board decodes keys as node does: both roots of x, and y off the curve", () => {
  const message = ascii("decode");
  let roots = 0;
  let offCurve = 0;
  for (let i = 0; i < 32; i++) {
    const { secretKey, publicKey } = nodeKeyPairFromSeed(nacl.hash(Uint8Array.of(i)).subarray(0, 32));
    const signature = nodeCrypto.sign(message, secretKey);
    const otherRoot = publicKey.slice();
    otherRoot[31] ^= 0x80;
    assert.ok(boardCrypto.verify(message, signature, publicKey), `key ${i}`);
    assert.not.ok(boardCrypto.verify(message, signature, otherRoot), `key ${i}, x negated`);
    roots |= 1 << (publicKey[31] >> 7);
    const bytes = nacl.hash(Uint8Array.of(i, 1)).subarray(0, 32);
    const reference = nodeCrypto.verify(message, signature, bytes);
    assert.is(boardCrypto.verify(message, signature, bytes), reference, `random bytes ${i} as key`);
    if (!isPoint(bytes)) offCurve++;
  }
  assert.is(roots, 3, "keys with even and odd x");
  assert.ok(offCurve > 0, "some random bytes are no point");
});

test("board crypto hashes with the SHA-512 it is given, inside Ed25519 too", () => {
  let calls = 0;
  const counted = createBoardCrypto((data) => {
    calls++;
    return nacl.hash(data);
  });
  const v = RFC8032[2];
  const signature = counted.sign(fromHex(v.message), fromHex(v.seed + v.publicKey));
  assert.is(toHex(signature), v.signature);
  assert.ok(calls >= 2, `sign hashed ${calls} times`);
  calls = 0;
  assert.ok(counted.verify(fromHex(v.message), signature, fromHex(v.publicKey)));
  assert.is(calls, 1, "verify hashes R ‖ A ‖ M once");
  assert.is(toHex(counted.sha512(ascii("abc"))), SHA512_ABC);
  assert.throws(() => counted.sign(ascii("x"), new Uint8Array(32)), RangeError);
});

test("toHex gives two lowercase digits per byte, on the 8-byte id path and every other length", () => {
  for (let v = 0; v < 256; v++) {
    const id = Uint8Array.of(v, 255 - v, v ^ 0x5a, 0, 255, v >> 1, 1, 16);
    const hex = toHex(id);
    assert.is(hex, Array.from(id, (b) => b.toString(16).padStart(2, "0")).join(""));
    assert.equal(fromHex(hex), id);
    assert.is(toHex(id.subarray(0, 7)), hex.slice(0, 14));
    assert.is(toHex(Uint8Array.of(...id, v)), hex + v.toString(16).padStart(2, "0"));
  }
});

test("signatures interoperate both ways", () => {
  const a = keyPairFromSeed(new Uint8Array(32).fill(1));
  const b = nodeKeyPairFromSeed(new Uint8Array(32).fill(2));
  const message = ascii("hyphae interop");
  assert.ok(nodeCrypto.verify(message, tweetnaclCrypto.sign(message, a.secretKey), a.publicKey));
  assert.ok(tweetnaclCrypto.verify(message, nodeCrypto.sign(message, b.secretKey), b.publicKey));
  assert.equal(nodeCrypto.sign(message, a.secretKey), tweetnaclCrypto.sign(message, a.secretKey));
});

test("secretbox boxes interoperate", () => {
  const key = new Uint8Array(32).fill(3);
  const nonce = new Uint8Array(24).fill(4);
  const plaintext = ascii("reading");
  assert.equal(nodeCrypto.open(tweetnaclCrypto.seal(plaintext, nonce, key), nonce, key), plaintext);
  assert.equal(nodeCrypto.seal(plaintext, nonce, key), tweetnaclCrypto.seal(plaintext, nonce, key));
  assert.equal(boardCrypto.seal(plaintext, nonce, key), tweetnaclCrypto.seal(plaintext, nonce, key));
  // nodeCrypto seals through scratch buffers: growing, shrinking and empty plaintexts must not see each other's bytes.
  for (const length of [0, 1, 300, 17, 1162, 5, 0, 64]) {
    const text = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
    const box = nodeCrypto.seal(text, nonce, key);
    assert.equal(box, tweetnaclCrypto.seal(text, nonce, key), `${length} bytes`);
    assert.equal(tweetnaclCrypto.open(box, nonce, key), text, `${length} bytes open`);
  }
});

test("keyPairFromSeed agrees across implementations and with RFC 8032", () => {
  for (const v of RFC8032) {
    const seed = fromHex(v.seed);
    const a = keyPairFromSeed(seed);
    const b = nodeKeyPairFromSeed(seed);
    assert.is(toHex(a.publicKey), v.publicKey);
    assert.is(toHex(b.publicKey), v.publicKey);
    assert.equal(a.secretKey, b.secretKey);
    assert.is(b.secretKey.length, 64);
    assert.equal(b.secretKey.subarray(0, 32), seed);
  }
  for (let i = 0; i < 20; i++) {
    const seed = new Uint8Array(32).map((_, j) => (i * 31 + j * 7) & 0xff);
    assert.equal(nodeKeyPairFromSeed(seed).publicKey, keyPairFromSeed(seed).publicKey);
  }
});

test("node results are plain Uint8Arrays, not pooled Buffers", () => {
  const digest = nodeCrypto.sha512(ascii("abc"));
  assert.is(Object.getPrototypeOf(digest), Uint8Array.prototype);
  assert.is(digest.buffer.byteLength, 64);
  const kp = nodeKeyPairFromSeed(new Uint8Array(32));
  const sig = nodeCrypto.sign(ascii("x"), kp.secretKey);
  assert.is(Object.getPrototypeOf(sig), Uint8Array.prototype);
  assert.is(sig.buffer.byteLength, 64);
});

test.run();
