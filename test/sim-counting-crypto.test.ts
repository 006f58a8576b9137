/**
 * The simulator's crypto port: every call counted, shared results exact. A memo may only ever answer
 * what the real primitive would: a wrong key, nonce or a tampered box still fails to open.
 */
import nacl from "tweetnacl";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tweetnaclCrypto } from "../modules/crypto/tweetnacl-crypto.js";
import type { Crypto } from "../modules/ports.js";
import { CountingCrypto } from "../hosts/sim/counting-crypto.js";
import { NODE_PLATFORM } from "../hosts/sim/mesh-simulation.js";
import { SimulatedMesh, type Scenario } from "../hosts/sim/simulated-mesh.js";

/** tweetnacl, counting the opens that reach it. */
function spied(): { crypto: Crypto; opens: () => number } {
  let opens = 0;
  return {
    crypto: { ...tweetnaclCrypto, open: (box, nonce, key) => (opens++, tweetnaclCrypto.open(box, nonce, key)) },
    opens: () => opens,
  };
}

const key = new Uint8Array(32).fill(7);
const nonce = new Uint8Array(24).fill(9);
const plaintext = new TextEncoder().encode("a frame's records");

test("a box opens to what was sealed without a second decryption; every call is still counted", () => {
  const inner = spied();
  const crypto = new CountingCrypto(inner.crypto);
  const box = crypto.seal(plaintext, nonce, key);
  const frame = box.slice(); // the sealer copies the box into its frame: a different buffer
  assert.equal(crypto.open(frame, nonce, key), plaintext);
  assert.equal(crypto.open(frame, nonce, key), plaintext, "a second receiver of the same buffer");
  assert.is(inner.opens(), 0);
  assert.equal(crypto.counts, { sha512: 0, sign: 0, verify: 0, seal: 1, open: 2, agree: 0 });
});

test("a wrong key, another nonce or a tampered box fails to open, as with the real primitive", () => {
  const crypto = new CountingCrypto(tweetnaclCrypto);
  const box = crypto.seal(plaintext, nonce, key);
  const wrongKey = key.slice();
  wrongKey[0] ^= 1;
  const otherNonce = nonce.slice();
  otherNonce[23] ^= 1;
  const tampered = box.slice();
  tampered[tampered.length - 1] ^= 1;
  assert.is(crypto.open(box.slice(), nonce, wrongKey), null);
  assert.is(crypto.open(box.slice(), otherNonce, key), null);
  assert.is(crypto.open(tampered, nonce, key), null);
  assert.equal(crypto.open(box.slice(), nonce, key), plaintext, "the genuine box still opens");
});

test("a signature is verified once in any buffer; another message, key or signature gets its own answer", () => {
  let verifies = 0;
  const crypto = new CountingCrypto({ ...tweetnaclCrypto, verify: (m, s, k) => (verifies++, tweetnaclCrypto.verify(m, s, k)) });
  const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(3));
  const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(4));
  const signature = tweetnaclCrypto.sign(plaintext, pair.secretKey);
  assert.ok(crypto.verify(plaintext, signature, pair.publicKey));
  assert.ok(crypto.verify(plaintext.slice(), signature.slice(), pair.publicKey.slice()), "the same certificate in another HELLO");
  assert.is(verifies, 1);
  const forged = signature.slice();
  forged[5] ^= 1;
  const altered = plaintext.slice();
  altered[0] ^= 1;
  assert.not.ok(crypto.verify(plaintext, forged, pair.publicKey));
  assert.not.ok(crypto.verify(altered, signature, pair.publicKey));
  assert.not.ok(crypto.verify(plaintext, signature, other.publicKey));
  assert.is(crypto.counts.verify, 5);
});

test("without sharing every open reaches the real primitive", () => {
  const inner = spied();
  const crypto = new CountingCrypto(inner.crypto, false);
  const frame = crypto.seal(plaintext, nonce, key);
  crypto.open(frame, nonce, key);
  crypto.open(frame, nonce, key);
  assert.is(inner.opens(), 2);
});

test("a mesh gives the same trace, deliveries and crypto counts with and without shared results", () => {
  const scenario: Scenario = {
    seed: 5, nodes: 30, averageDegree: 8, durationMs: 60_000, loss: 0.1, publishPeriodMs: 20_000, warmupMs: 15_000,
    reboots: [{ node: 4, at: 30_000, downMs: 5_000 }],
  };
  const shared = new SimulatedMesh(scenario, NODE_PLATFORM).run();
  const unshared = new SimulatedMesh(scenario, { ...NODE_PLATFORM, shareResults: false }).run();
  assert.ok(shared.broadcasts.delivered > 0);
  assert.is(shared.traceDigest, unshared.traceDigest);
  assert.equal(shared.broadcasts, unshared.broadcasts);
  assert.equal(shared.crypto, unshared.crypto);
});

test.run();
