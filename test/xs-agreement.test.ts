/**
 * The CONFIRM key's primitives in the real XS engine: the board's X25519 gives RFC 7748's bytes, its
 * key agreement between Ed25519 identities the same secret as Node's OpenSSL (and refuses the same
 * small-order keys), and HMAC-SHA-512 on its hash RFC 4231's tag. What passes here is what the board runs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import { ascii, fromHex, toHex } from "../modules/bytes.js";
import { hmacSha512 } from "../modules/crypto/hmac-sha512.js";
import { keyPairFromSeed } from "../modules/crypto/tweetnacl-crypto.js";
import { nodeCrypto, nodeX25519 } from "../hosts/node/node-crypto.js";
import { bundleForXs, startXsWorker } from "../tools/xs/xs-worker.js";
import type { AgreementReply, AgreementRequest } from "./xs/agreement-entry.js";

const ENTRY = fileURLToPath(new URL("./xs/agreement-entry.js", import.meta.url));

/** RFC 7748 §5.2 and §6.1 (Alice's public key from her secret, then her secret with Bob's public key). */
const RFC7748: [scalar: string, u: string, out: string][] = [
  ["a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"],
  ["4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"],
  ["77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "09" + "00".repeat(31),
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"],
  ["77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"],
];

test("the board's X25519, key agreement and HMAC in XS give the published bytes and Node's", async () => {
  const pairs = [1, 2, 3].map((n) => keyPairFromSeed(new Uint8Array(32).fill(n)));
  const agreements: [string, string][] = [
    [toHex(pairs[0].secretKey), toHex(pairs[1].publicKey)],
    [toHex(pairs[1].secretKey), toHex(pairs[0].publicKey)],
    [toHex(pairs[2].secretKey), toHex(pairs[0].publicKey)],
    ...ED25519_TORSION_SUBGROUP.map((t): [string, string] => [toHex(pairs[0].secretKey), t]),
  ];
  const hmacs: [string, string][] = [["0b".repeat(20), toHex(ascii("Hi There"))], [toHex(new Uint8Array(32).fill(5)), "00".repeat(24)]];
  const request: AgreementRequest = { scalarMults: RFC7748.map(([s, u]) => [s, u]), agreements, hmacs };
  const worker = await startXsWorker(await bundleForXs(ENTRY), "hyphae-agreement");
  let inXs: AgreementReply;
  try {
    inXs = await worker.request<AgreementReply>(request);
  } finally {
    await worker.close();
  }
  assert.equal(inXs.scalarMults, RFC7748.map(([, , out]) => out));
  assert.equal(inXs.scalarMults, RFC7748.map(([s, u]) => toHex(nodeX25519(fromHex(s), fromHex(u)))));
  const onNode = agreements.map(([secret, pub]) => {
    const shared = nodeCrypto.agree(fromHex(secret), fromHex(pub));
    return shared ? toHex(shared) : "null";
  });
  assert.equal(inXs.agreements, onNode);
  assert.is(inXs.agreements[0], inXs.agreements[1], "both sides agree");
  assert.equal(inXs.agreements.slice(3), ED25519_TORSION_SUBGROUP.map(() => "null"), "small-order keys refused");
  assert.is(inXs.hmacs[0], "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  assert.equal(inXs.hmacs, hmacs.map(([k, m]) => toHex(hmacSha512(nodeCrypto, fromHex(k), fromHex(m)))));
});

test.run();
