/**
 * Content manifests: a fixed vector, strict decoding (whole, truncated, padded, every field out of
 * range), the owner's signature and delegations, and forgeries refused (wrong key, tampered field,
 * delegated key used for another kind, a revoked delegate).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../modules/bytes.js";
import { issueDelegation, decodeDelegation, DELEGATION_BYTES } from "../modules/content/content-delegation.js";
import {
  buildManifest, checkManifest, ContentKind, decodeManifest, MANIFEST_FIXED_BYTES, ManifestStatus, pieceHash, targets,
  type ContentManifest,
} from "../modules/content/content-manifest.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { WireError } from "../modules/wire/errors.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";

const NETWORK = 0x48590001;
const owner = nodeKeyPairFromSeed(new Uint8Array(32).fill(1));
const builder = nodeKeyPairFromSeed(new Uint8Array(32).fill(2));
const stranger = nodeKeyPairFromSeed(new Uint8Array(32).fill(3));
const never = (): boolean => false;

/** 3,000 bytes: 3 pieces of 1,024 (the last 952), one hash block. */
function image(length = 3000): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
}

const FIELDS = { networkId: NETWORK, kind: ContentKind.Firmware, version: 7, floor: 5, pieceBytes: 1024, roleMask: 0b1111, board: 0 };

function decoded(bytes: Uint8Array): ContentManifest {
  const m = decodeManifest(bytes);
  if (typeof m === "number") throw new Error(`manifest does not decode: ${m}`);
  return m;
}

function check(bytes: Uint8Array, revoked: (id: Uint8Array) => boolean = never): ManifestStatus {
  const m = decodeManifest(bytes);
  return typeof m === "number" ? ManifestStatus.Malformed : checkManifest(nodeCrypto, bytes, m, owner.publicKey, NETWORK, revoked);
}

/** SHA-512(manifest)[0..16] of the vector below: any change to the encoding or the signed bytes shows here. */
const VECTOR_DIGEST = "3e25aedc852a56dc75ce11e37a40d065";

test("vector: a 3,000-byte image, owner-signed", () => {
  const { manifest, pieces } = buildManifest(nodeCrypto, owner.secretKey, FIELDS, image());
  assert.is(manifest.length, MANIFEST_FIXED_BYTES + 16 + 64);
  assert.is(toHex(manifest.subarray(0, 33)),
    "01" + "48590001" + toHex(nodeCrypto.sha512(image()).subarray(0, 8)) + "01" + "00" + "00000007" + "00000005" + "00000bb8" + "0400" + "0f" + "0000" + "01");
  // Ed25519 is deterministic, so the whole manifest is a vector.
  assert.is(toHex(nodeCrypto.sha512(manifest).subarray(0, 16)), VECTOR_DIGEST);
  assert.is(pieces.length, 4, "one hash block and three data pieces");
  assert.is(pieces[0].length, 48);
  assert.equal(pieces[0].subarray(32, 48), pieceHash(nodeCrypto, image().subarray(2048)));
  assert.is(pieces[3].length, 952);
  const m = decoded(manifest);
  assert.equal([m.kind, m.version, m.floor, m.totalBytes, m.pieceBytes, m.pieces, m.blocks], [1, 7, 5, 3000, 1024, 3, 1]);
  assert.equal(m.blockHashes, pieceHash(nodeCrypto, pieces[0]));
  assert.is(check(manifest), ManifestStatus.Valid);
});

test("decoding is strict and total: truncated, padded, every field out of range", () => {
  const { manifest } = buildManifest(nodeCrypto, owner.secretKey, FIELDS, image());
  for (let n = 0; n < manifest.length; n++) {
    assert.is(decodeManifest(manifest.subarray(0, n)), WireError.Truncated, `${n} bytes`);
  }
  const padded = new Uint8Array(manifest.length + 1);
  padded.set(manifest);
  assert.is(decodeManifest(padded), WireError.TrailingBytes);
  const mutate = (at: number, value: number): WireError | ContentManifest => {
    const b = manifest.slice();
    b[at] = value;
    return decodeManifest(b);
  };
  assert.is(mutate(0, 2), WireError.BadVersion);
  assert.is(mutate(13, 3), WireError.BadType, "unknown kind");
  assert.is(mutate(14, 2), WireError.BadField, "unknown flag");
  const zeroVersion = manifest.slice();
  zeroVersion.fill(0, 15, 19);
  assert.is(decodeManifest(zeroVersion), WireError.BadField, "version 0");
  assert.is(mutate(22, 8), WireError.BadField, "floor above version");
  assert.is(mutate(29, 0), WireError.BadField, "no target role");
  assert.is(mutate(29, 0x10), WireError.BadField, "an unknown role");
  assert.is(mutate(27, 0), WireError.BadField, "piece size below 64");
  assert.is(mutate(32, 2), WireError.BadField, "block count that does not match the pieces");
  assert.is(mutate(14, 1), WireError.Truncated, "a delegation flag without the delegation");
  assert.is(decodeManifest(new Uint8Array(4000)), WireError.Oversized);
});

test("forgeries are refused: wrong key, any tampered byte", () => {
  const forged = buildManifest(nodeCrypto, stranger.secretKey, FIELDS, image()).manifest;
  assert.is(check(forged), ManifestStatus.BadSignature, "signed by a key the owner never delegated");
  const { manifest } = buildManifest(nodeCrypto, owner.secretKey, FIELDS, image());
  for (let at = 0; at < manifest.length; at++) {
    const b = manifest.slice();
    b[at] ^= 1;
    const status = check(b);
    assert.ok(status !== ManifestStatus.Valid, `flipping a bit of byte ${at} is noticed`);
  }
  const other = buildManifest(nodeCrypto, owner.secretKey, { ...FIELDS, networkId: NETWORK + 1 }, image()).manifest;
  assert.is(check(other), ManifestStatus.WrongNetwork);
});

test("delegation: a key the owner delegated signs its kinds only, and not once revoked", () => {
  const firmwareOnly = issueDelegation(nodeCrypto, owner.secretKey, NETWORK, builder.publicKey, 1 << (ContentKind.Firmware - 1));
  assert.is(firmwareOnly.length, DELEGATION_BYTES);
  const d = decodeDelegation(firmwareOnly);
  assert.ok(typeof d !== "number" && d.kinds === 1);
  const firmware = buildManifest(nodeCrypto, builder.secretKey, FIELDS, image(), firmwareOnly).manifest;
  assert.is(firmware.length, MANIFEST_FIXED_BYTES + DELEGATION_BYTES + 16 + 64);
  assert.is(check(firmware), ManifestStatus.Valid);
  const config = buildManifest(nodeCrypto, builder.secretKey, { ...FIELDS, kind: ContentKind.Config }, image(), firmwareOnly).manifest;
  assert.is(check(config), ManifestStatus.KindNotDelegated, "a firmware delegate cannot sign configuration");
  const builderId = nodeIdOf(nodeCrypto, builder.publicKey);
  assert.is(check(firmware, (id) => toHex(id) === toHex(builderId)), ManifestStatus.Revoked);
  const selfDelegated = issueDelegation(nodeCrypto, stranger.secretKey, NETWORK, stranger.publicKey, 3);
  assert.is(check(buildManifest(nodeCrypto, stranger.secretKey, FIELDS, image(), selfDelegated).manifest), ManifestStatus.BadDelegation,
    "a delegation not signed by the owner");
  const elsewhere = issueDelegation(nodeCrypto, owner.secretKey, NETWORK + 1, builder.publicKey, 3);
  assert.is(check(buildManifest(nodeCrypto, builder.secretKey, FIELDS, image(), elsewhere).manifest), ManifestStatus.BadDelegation,
    "a delegation for another network");
  const swapped = firmware.slice();
  swapped[MANIFEST_FIXED_BYTES + 37] = 3; // widen the delegated kinds
  assert.is(check(swapped), ManifestStatus.BadDelegation);
});

test("targets: role mask and board type", () => {
  const m = { roleMask: 1 << (Role.Relay - 1), board: 7 };
  assert.ok(targets(m, Role.Relay, 7));
  assert.not.ok(targets(m, Role.Node, 7));
  assert.not.ok(targets(m, Role.Relay, 8));
  assert.ok(targets({ roleMask: 0b1111, board: 0 }, Role.Leaf, 3), "board 0 is any board");
});

test("building refuses what decoding would reject", () => {
  assert.throws(() => buildManifest(nodeCrypto, owner.secretKey, { ...FIELDS, floor: 8 }, image()), /floor/);
  assert.throws(() => buildManifest(nodeCrypto, owner.secretKey, { ...FIELDS, pieceBytes: 2048 }, image()), /piece size/);
  assert.throws(() => buildManifest(nodeCrypto, owner.secretKey, FIELDS, new Uint8Array(0)), /image/);
  assert.throws(() => buildManifest(nodeCrypto, owner.secretKey, { ...FIELDS, pieceBytes: 64 }, new Uint8Array(64 * 2049)), /image/);
});

test.run();
