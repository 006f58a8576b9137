import { test } from "uvu";
import * as assert from "uvu/assert";
import nacl from "tweetnacl";
import { ascii, fromHex, toHex } from "../modules/bytes.js";
import type { Crypto } from "../modules/ports.js";
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

const IMPLS: [string, Crypto][] = [["tweetnacl", tweetnaclCrypto], ["node", nodeCrypto]];

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
