/**
 * The Crypto port's key agreement and the HMAC built on its hash: every binding gives the published
 * bytes (RFC 7748 for X25519, libsodium's ed25519_convert test for the key conversion, RFC 4231 for
 * HMAC-SHA-512) and the same shared secret as every other.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import nacl from "tweetnacl";
import { ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import { ascii, fromHex, toHex } from "../modules/bytes.js";
import type { Crypto } from "../modules/ports.js";
import { createBoardCrypto } from "../modules/crypto/board-crypto.js";
import { x25519 } from "../modules/crypto/x25519.js";
import { montgomeryPublicKey, montgomerySecretKey, type X25519 } from "../modules/crypto/ed25519-agreement.js";
import { hmacSha512 } from "../modules/crypto/hmac-sha512.js";
import { keyPairFromSeed, tweetnaclCrypto } from "../modules/crypto/tweetnacl-crypto.js";
import { nodeCrypto, nodeX25519 } from "../hosts/node/node-crypto.js";

const IMPLS: [string, Crypto][] = [["tweetnacl", tweetnaclCrypto], ["node", nodeCrypto], ["board", createBoardCrypto()]];
const LADDERS: [string, X25519][] = [["tweetnacl", nacl.scalarMult], ["node", nodeX25519], ["board", x25519]];

/** RFC 7748 §5.2 (the two single multiplications, and the first of the iterated one). */
const RFC7748_SCALAR_MULT = [
  {
    scalar: "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
    u: "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
    out: "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
  },
  {
    scalar: "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
    u: "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
    out: "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
  },
  {
    scalar: "0900000000000000000000000000000000000000000000000000000000000000",
    u: "0900000000000000000000000000000000000000000000000000000000000000",
    out: "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
  },
];

/** RFC 7748 §6.1: Alice and Bob. */
const ALICE = { secret: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", public: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" };
const BOB = { secret: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", public: "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" };
const SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
const BASE_U = fromHex("09" + "00".repeat(31));

/** libsodium test/default/ed25519_convert.{c,exp}: the Ed25519 key pair of this seed, converted. */
const LIBSODIUM_SEED = "421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee";
const LIBSODIUM_CURVE_PUBLIC = "f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50";
const LIBSODIUM_CURVE_SECRET = "8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166";

for (const [name, x25519] of LADDERS) {
  test(`${name}: X25519 gives RFC 7748's bytes`, () => {
    for (const v of RFC7748_SCALAR_MULT) assert.is(toHex(x25519(fromHex(v.scalar), fromHex(v.u))), v.out);
    assert.is(toHex(x25519(fromHex(ALICE.secret), BASE_U)), ALICE.public);
    assert.is(toHex(x25519(fromHex(BOB.secret), BASE_U)), BOB.public);
    assert.is(toHex(x25519(fromHex(ALICE.secret), fromHex(BOB.public))), SHARED);
    assert.is(toHex(x25519(fromHex(BOB.secret), fromHex(ALICE.public))), SHARED);
  });
}

test("Ed25519 keys convert to X25519 keys as libsodium converts them", () => {
  const pair = keyPairFromSeed(fromHex(LIBSODIUM_SEED));
  assert.is(toHex(montgomeryPublicKey(pair.publicKey)!), LIBSODIUM_CURVE_PUBLIC);
  assert.is(toHex(montgomerySecretKey(nacl.hash, pair.secretKey)), LIBSODIUM_CURVE_SECRET);
  // The converted secret's public key is the converted public key.
  assert.is(toHex(nodeX25519(fromHex(LIBSODIUM_CURVE_SECRET), BASE_U)), LIBSODIUM_CURVE_PUBLIC);
});

test("every binding agrees on the same secret from either side, and it is the converted keys' X25519", () => {
  const a = keyPairFromSeed(fromHex(LIBSODIUM_SEED));
  const b = keyPairFromSeed(new Uint8Array(32).fill(7));
  const expected = toHex(nodeX25519(fromHex(LIBSODIUM_CURVE_SECRET), montgomeryPublicKey(b.publicKey)!));
  for (const [name, crypto] of IMPLS) {
    assert.is(toHex(crypto.agree(a.secretKey, b.publicKey)!), expected, `${name}: a with b`);
    assert.is(toHex(crypto.agree(b.secretKey, a.publicKey)!), expected, `${name}: b with a`);
  }
});

test("every binding refuses keys of small order and keys with no X25519 form", () => {
  const own = keyPairFromSeed(new Uint8Array(32).fill(3));
  const p = 2n ** 255n - 19n;
  const nonCanonical = new Uint8Array(32);
  let y = p + 2n;
  for (let i = 0; i < 32; i++, y >>= 8n) nonCanonical[i] = Number(y & 0xffn);
  const refused = [...ED25519_TORSION_SUBGROUP.map(fromHex), nonCanonical, new Uint8Array(31)];
  for (const [name, crypto] of IMPLS) {
    for (const key of refused) assert.is(crypto.agree(own.secretKey, key), null, `${name}: ${toHex(key)}`);
  }
});

/** RFC 4231 §4.2, §4.3, §4.7 (a key longer than the block), HMAC-SHA-512. */
const RFC4231 = [
  { key: "0b".repeat(20), data: toHex(ascii("Hi There")),
    mac: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
  { key: toHex(ascii("Jefe")), data: toHex(ascii("what do ya want for nothing?")),
    mac: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
  { key: "aa".repeat(131), data: toHex(ascii("Test Using Larger Than Block-Size Key - Hash Key First")),
    mac: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
];

for (const [name, crypto] of IMPLS) {
  test(`${name}: HMAC-SHA-512 gives RFC 4231's bytes`, () => {
    for (const v of RFC4231) assert.is(toHex(hmacSha512(crypto, fromHex(v.key), fromHex(v.data))), v.mac);
  });
}

test.run();
