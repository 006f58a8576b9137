import { test } from "uvu";
import * as assert from "uvu/assert";
import { ascii, toHex } from "../modules/bytes.js";
import { keyPairFromSeed, tweetnaclCrypto as crypto } from "../modules/crypto/tweetnacl-crypto.js";
import { WireError } from "../modules/wire/errors.js";
import { CERTIFICATE_BYTES } from "../modules/wire/hello.js";
import { nodeIdHex, nodeIdOf } from "../modules/identity/node-id.js";
import {
  checkCertificate, CertificateStatus, decodeCertificate, issueCertificate, Role, validityStatus,
  type CertificateFields,
} from "../modules/identity/certificate.js";
import {
  decodeRevocationList, isRevoked, issueRevocationList, MAX_REVOKED, ownerIdOf, verifyRevocationList,
} from "../modules/identity/revocation.js";
import { CertificateCache } from "../modules/identity/certificate-cache.js";
import { ReplayFloors } from "../modules/link/replay-floors.js";
import { ReplayWindows } from "../modules/link/replay-window.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";

const owner = keyPairFromSeed(new Uint8Array(32).fill(0x0a));
const stranger = keyPairFromSeed(new Uint8Array(32).fill(0x0b));
const node = keyPairFromSeed(new Uint8Array(32).fill(0x0c));
const NETWORK = 0x48595048;
const NOW = 1_750_000_000;

function fields(overrides: Partial<CertificateFields> = {}): CertificateFields {
  return {
    networkId: NETWORK, publicKey: node.publicKey, role: Role.Relay,
    notBefore: NOW - 3600, notAfter: NOW + 86400, ...overrides,
  };
}

/** Re-signs edited certificate bytes, to get past the signature check to the field checks. */
function resign(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set(crypto.sign(new Uint8Array([...ascii("hyphae/cert/v1"), ...out.subarray(0, 46)]), owner.secretKey), 46);
  return out;
}

function id(n: number): Uint8Array {
  return new Uint8Array([0, 0, 0, 0, 0, 0, n >> 8, n & 0xff]);
}

// node id

test("nodeIdOf is the first 8 bytes of SHA-512(public key), same on both bindings", () => {
  const nid = nodeIdOf(crypto, node.publicKey);
  assert.is(nid.length, 8);
  assert.equal(nid, crypto.sha512(node.publicKey).subarray(0, 8));
  assert.equal(nodeIdOf(nodeCrypto, node.publicKey), nid);
  assert.is(nid.buffer.byteLength, 8);
  assert.is(nodeIdHex(nid), toHex(crypto.sha512(node.publicKey)).slice(0, 16));
  assert.equal(ownerIdOf(crypto, owner.publicKey), nodeIdOf(crypto, owner.publicKey));
});

// certificate

test("certificate: issue and decode round trip with the documented layout", () => {
  const bytes = issueCertificate(crypto, owner.secretKey, fields());
  assert.is(bytes.length, CERTIFICATE_BYTES);
  assert.is(bytes.length, 110);
  assert.is(bytes[0], 1);
  assert.is(toHex(bytes.subarray(1, 5)), "48595048");
  assert.equal(bytes.subarray(5, 37), node.publicKey);
  assert.is(bytes[37], Role.Relay);
  const cert = decodeCertificate(bytes);
  if (typeof cert === "number") throw new Error(`decode failed: ${cert}`);
  assert.is(cert.networkId, NETWORK);
  assert.equal(cert.publicKey, node.publicKey);
  assert.is(cert.role, Role.Relay);
  assert.is(cert.notBefore, NOW - 3600);
  assert.is(cert.notAfter, NOW + 86400);
  assert.equal(cert.signature, bytes.subarray(46));
  assert.is(checkCertificate(crypto, bytes, owner.publicKey, NETWORK, NOW), CertificateStatus.Valid);
  assert.is(checkCertificate(nodeCrypto, bytes, owner.publicKey, NETWORK, NOW), CertificateStatus.Valid);
});

test("certificate: the signature covers the domain tag, so node signing agrees byte for byte", () => {
  const a = issueCertificate(crypto, owner.secretKey, fields());
  const b = issueCertificate(nodeCrypto, owner.secretKey, fields());
  assert.equal(a, b);
  const tagless = crypto.sign(a.subarray(0, 46), owner.secretKey);
  assert.not.equal(a.subarray(46), tagless);
});

test("certificate: decode reuses the out object", () => {
  const bytes = issueCertificate(crypto, owner.secretKey, fields({ role: Role.Leaf }));
  const out = decodeCertificate(issueCertificate(crypto, owner.secretKey, fields()));
  if (typeof out === "number") throw new Error("decode failed");
  assert.is(decodeCertificate(bytes, out), out);
  assert.is(out.role, Role.Leaf);
});

test("certificate: every status", () => {
  const bytes = issueCertificate(crypto, owner.secretKey, fields());
  const check = (b: Uint8Array, key = owner.publicKey, net = NETWORK, wall: number | undefined = NOW) =>
    checkCertificate(crypto, b, key, net, wall);
  assert.is(check(bytes), CertificateStatus.Valid);
  for (const at of [5, 36, 40, 46, 109]) {
    const flipped = bytes.slice();
    flipped[at] ^= 1;
    assert.is(check(flipped), CertificateStatus.BadSignature, `flip at ${at}`);
  }
  assert.is(check(bytes, stranger.publicKey), CertificateStatus.BadSignature);
  assert.is(check(bytes, owner.publicKey, NETWORK + 1), CertificateStatus.WrongNetwork);
  assert.is(check(bytes, owner.publicKey, NETWORK, NOW - 3601), CertificateStatus.NotYetValid);
  assert.is(check(bytes, owner.publicKey, NETWORK, NOW - 3600), CertificateStatus.Valid);
  assert.is(check(bytes, owner.publicKey, NETWORK, NOW + 86400), CertificateStatus.Valid);
  assert.is(check(bytes, owner.publicKey, NETWORK, NOW + 86401), CertificateStatus.Expired);
  assert.is(check(bytes, owner.publicKey, NETWORK, undefined), CertificateStatus.Valid);
  assert.is(check(bytes.subarray(0, 109)), CertificateStatus.Malformed);
  assert.is(check(new Uint8Array([...bytes, 0])), CertificateStatus.Malformed);
  const badRole = bytes.slice();
  badRole[37] = 5;
  assert.is(check(resign(badRole)), CertificateStatus.Malformed);
  const badVersion = bytes.slice();
  badVersion[0] = 2;
  assert.is(check(resign(badVersion)), CertificateStatus.Malformed);
});

test("certificate: decode errors name the rule", () => {
  const bytes = issueCertificate(crypto, owner.secretKey, fields());
  assert.is(decodeCertificate(bytes.subarray(0, 109)), WireError.Truncated);
  assert.is(decodeCertificate(new Uint8Array(0)), WireError.Truncated);
  assert.is(decodeCertificate(new Uint8Array(111)), WireError.Oversized);
  const v = bytes.slice();
  v[0] = 0;
  assert.is(decodeCertificate(v), WireError.BadVersion);
  for (const role of [0, 5, 255]) {
    const r = bytes.slice();
    r[37] = role;
    assert.is(decodeCertificate(r), WireError.BadField, `role ${role}`);
  }
  const window = bytes.slice();
  window.set(window.subarray(38, 42), 42); // notAfter = notBefore
  assert.is(decodeCertificate(window), WireError.BadField);
});

test("certificate: issue rejects fields decode would reject", () => {
  const bad: [Partial<CertificateFields>, string][] = [
    [{ role: 0 as Role }, "role"], [{ role: 5 as Role }, "role"],
    [{ notAfter: NOW - 3600 }, "notAfter"], [{ notBefore: -1 }, "u32"], [{ notAfter: 2 ** 32 }, "u32"],
    [{ networkId: 2 ** 32 }, "network"], [{ networkId: 1.5 }, "network"],
    [{ publicKey: new Uint8Array(31) }, "32 bytes"],
  ];
  for (const [override, rule] of bad) {
    assert.throws(() => issueCertificate(crypto, owner.secretKey, fields(override)),
      (e: unknown) => e instanceof RangeError && e.message.includes(rule), rule);
  }
  assert.throws(() => issueCertificate(crypto, owner.secretKey, fields({ publicKey: [] as unknown as Uint8Array })),
    (e: unknown) => e instanceof TypeError);
  assert.throws(() => issueCertificate(crypto, owner.publicKey, fields()), (e: unknown) => e instanceof RangeError);
});

test("validityStatus re-checks the window without a signature", () => {
  const w = { notBefore: 100, notAfter: 200 };
  assert.is(validityStatus(w, 99), CertificateStatus.NotYetValid);
  assert.is(validityStatus(w, 100), CertificateStatus.Valid);
  assert.is(validityStatus(w, 200), CertificateStatus.Valid);
  assert.is(validityStatus(w, 201), CertificateStatus.Expired);
  assert.is(validityStatus(w, undefined), CertificateStatus.Valid);
});

// revocation

test("revocation: issue sorts and dedupes, verify accepts, isRevoked finds exactly the listed ids", () => {
  const ids = [id(9), id(3), id(700), id(3), id(1)];
  const bytes = issueRevocationList(crypto, owner.secretKey, NETWORK, 7, ids);
  assert.is(bytes.length, 11 + 4 * 8 + 64);
  const list = verifyRevocationList(crypto, bytes, owner.publicKey, NETWORK);
  if (!list) throw new Error("verify failed");
  assert.is(list.networkId, NETWORK);
  assert.is(list.serial, 7);
  assert.is(list.count, 4);
  assert.equal(list.ids, new Uint8Array([...id(1), ...id(3), ...id(9), ...id(700)]));
  for (const n of [1, 3, 9, 700]) assert.ok(isRevoked(list, id(n)), `id ${n}`);
  for (const n of [0, 2, 4, 10, 699, 701, 65535]) assert.not.ok(isRevoked(list, id(n)), `id ${n}`);
  assert.ok(verifyRevocationList(nodeCrypto, bytes, owner.publicKey, NETWORK));
});

test("revocation: empty list and a full list of MAX_REVOKED", () => {
  const empty = verifyRevocationList(crypto, issueRevocationList(crypto, owner.secretKey, NETWORK, 1, []),
    owner.publicKey, NETWORK);
  if (!empty) throw new Error("verify failed");
  assert.is(empty.count, 0);
  assert.not.ok(isRevoked(empty, id(1)));
  const all = Array.from({ length: MAX_REVOKED }, (_, i) => id(i * 3 + 1));
  const full = verifyRevocationList(crypto, issueRevocationList(crypto, owner.secretKey, NETWORK, 2, all),
    owner.publicKey, NETWORK);
  if (!full) throw new Error("verify failed");
  assert.is(full.count, 100);
  for (let i = 0; i < MAX_REVOKED; i++) {
    assert.ok(isRevoked(full, id(i * 3 + 1)));
    assert.not.ok(isRevoked(full, id(i * 3 + 2)));
  }
});

test("revocation: tampered, foreign and wrong-network lists are rejected", () => {
  const bytes = issueRevocationList(crypto, owner.secretKey, NETWORK, 3, [id(5), id(6)]);
  for (let at = 0; at < bytes.length; at += 7) {
    const t = bytes.slice();
    t[at] ^= 0x10;
    assert.is(verifyRevocationList(crypto, t, owner.publicKey, NETWORK), null, `flip at ${at}`);
  }
  assert.is(verifyRevocationList(crypto, bytes, stranger.publicKey, NETWORK), null);
  assert.is(verifyRevocationList(crypto, bytes, owner.publicKey, NETWORK + 1), null);
  const foreign = issueRevocationList(crypto, stranger.secretKey, NETWORK, 3, [id(5)]);
  assert.is(verifyRevocationList(crypto, foreign, owner.publicKey, NETWORK), null);
});

test("revocation: decode enforces order, counts and lengths", () => {
  const bytes = issueRevocationList(crypto, owner.secretKey, NETWORK, 3, [id(5), id(6), id(7)]);
  const swapped = bytes.slice();
  swapped.set(id(6), 11);
  swapped.set(id(5), 19);
  assert.is(decodeRevocationList(swapped), WireError.BadField);
  const duplicate = bytes.slice();
  duplicate.set(id(6), 27);
  assert.is(decodeRevocationList(duplicate), WireError.BadField);
  const zeroSerial = bytes.slice();
  zeroSerial.fill(0, 5, 9);
  assert.is(decodeRevocationList(zeroSerial), WireError.BadField);
  const version = bytes.slice();
  version[0] = 2;
  assert.is(decodeRevocationList(version), WireError.BadVersion);
  const tooMany = bytes.slice();
  tooMany[9] = 0;
  tooMany[10] = 101;
  assert.is(decodeRevocationList(tooMany), WireError.Oversized);
  assert.is(decodeRevocationList(bytes.subarray(0, 10)), WireError.Truncated);
  assert.is(decodeRevocationList(bytes.subarray(0, bytes.length - 1)), WireError.Truncated);
  assert.is(decodeRevocationList(new Uint8Array([...bytes, 0])), WireError.TrailingBytes);
  const ok = decodeRevocationList(bytes);
  assert.ok(typeof ok !== "number" && ok.count === 3);
});

test("revocation: issue rejects more than MAX_REVOKED ids and bad values", () => {
  const ids = Array.from({ length: MAX_REVOKED + 1 }, (_, i) => id(i));
  assert.throws(() => issueRevocationList(crypto, owner.secretKey, NETWORK, 1, ids), RangeError);
  // 101 entries that dedupe to 100 are fine.
  const dupes = [...ids.slice(0, MAX_REVOKED), id(0)];
  assert.is(issueRevocationList(crypto, owner.secretKey, NETWORK, 1, dupes).length, 11 + 800 + 64);
  assert.throws(() => issueRevocationList(crypto, owner.secretKey, NETWORK, 0, []), RangeError);
  assert.throws(() => issueRevocationList(crypto, owner.secretKey, NETWORK, 1, [new Uint8Array(7)]), RangeError);
});

// certificate cache

function certificateOf(n: number): Uint8Array {
  return new Uint8Array(CERTIFICATE_BYTES).fill(n);
}

function cacheOf(capacity: number): { cache: CertificateCache; windows: ReplayWindows } {
  const windows = new ReplayWindows(capacity + 1);
  return { cache: new CertificateCache(capacity, windows, new ReplayFloors(4)), windows };
}

/** Cached ids, least recently used first. */
function idsByUse(cache: CertificateCache): string[] {
  return cache.slotsByUse().map((slot) => toHex(cache.idOf(slot)));
}

test("cache: evicts the least recently used, get touches, find does not", () => {
  const { cache } = cacheOf(3);
  const hex = (n: number) => toHex(id(n));
  for (const n of [1, 2, 3]) assert.ok(cache.put(id(n), certificateOf(n)) >= 0);
  assert.is(cache.size, 3);
  assert.ok(cache.get(id(1)) >= 0); // 2 is now the oldest
  assert.ok(cache.find(id(2)) >= 0); // does not touch
  const slotOf2 = cache.find(id(2));
  assert.is(cache.put(id(4), certificateOf(4)), slotOf2, "4 takes the slot of 2");
  assert.is(cache.find(id(2)), -1);
  cache.put(id(5), certificateOf(5));
  assert.equal(idsByUse(cache), [hex(1), hex(4), hex(5)]);
  // Re-putting a present id replaces it in its own slot, without evicting.
  const slotOf1 = cache.find(id(1));
  assert.is(cache.put(id(1), certificateOf(7)), slotOf1);
  assert.ok(cache.entries.equals(slotOf1, certificateOf(7)));
  assert.equal(idsByUse(cache), [hex(4), hex(5), hex(1)]);
  assert.ok(cache.delete(id(4)));
  assert.not.ok(cache.delete(id(4)));
  assert.is(cache.size, 2);
  cache.put(id(6), certificateOf(6));
  assert.is(cache.size, 3);
  assert.is(cache.get(id(99)), -1);
});

test("cache: size stays bounded and entries are copies", () => {
  const { cache } = cacheOf(16);
  for (let n = 0; n < 100; n++) {
    cache.put(id(n), certificateOf(n));
    assert.ok(cache.size <= 16);
  }
  assert.is(cache.size, 16);
  assert.equal(idsByUse(cache), Array.from({ length: 16 }, (_, n) => toHex(id(84 + n))));
  const certificate = certificateOf(200);
  const peerId = id(200);
  const slot = cache.put(peerId, certificate);
  certificate.fill(0);
  peerId.fill(0);
  assert.ok(cache.entries.equals(slot, certificateOf(200)));
  assert.equal(cache.idOf(slot), id(200));
  assert.is(cache.get(id(200)), slot);
});

test("cache: an entry's replay window opens with its first use, survives a re-put and goes with the entry", () => {
  const { cache, windows } = cacheOf(2);
  const a = cache.put(id(1), certificateOf(1));
  assert.is(cache.windowsOpen, 0);
  const w = cache.window(a);
  assert.is(cache.window(a), w, "opened once");
  assert.is(cache.windowsOpen, 1);
  assert.ok(windows.accept(w, 1, 5));
  cache.put(id(1), certificateOf(9));
  assert.is(cache.window(a), w, "a new certificate for the same peer keeps its window");
  assert.not.ok(windows.accept(w, 1, 5), "and what the window saw");
  // A holder besides the cache (a neighbor row) keeps the window alive after the entry goes.
  windows.hold(w);
  cache.put(id(2), certificateOf(2));
  cache.put(id(3), certificateOf(3)); // evicts 1
  assert.is(cache.find(id(1)), -1);
  assert.is(cache.windowsOpen, 0);
  assert.not.ok(windows.accept(w, 1, 5), "still held, still the same window");
  windows.release(w);
  const fresh = cache.window(cache.find(id(3)));
  assert.ok(windows.accept(fresh, 1, 5), "a new peer's window starts empty");
});

test("cache: capacity is validated", () => {
  for (const bad of [0, -1, 1025, 1.5, NaN]) {
    assert.throws(() => new CertificateCache(bad, new ReplayWindows(1), new ReplayFloors(1)), RangeError, `capacity ${bad}`);
  }
  assert.is(new CertificateCache(1, new ReplayWindows(1), new ReplayFloors(1)).capacity, 1);
  assert.is(new CertificateCache(1024, new ReplayWindows(1), new ReplayFloors(1)).capacity, 1024);
});

test.run();
