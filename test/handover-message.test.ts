/**
 * The handover message (forward/handover-message.ts): a gateway's HANDOVER notices with its
 * certificate and its signature over the gossip origin, seq and the notices.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeHandover, encodeHandover, HANDOVER_SIGNING_BYTES, handoverNames, MAX_HANDOVER_BYTES, verifyHandoverSignature, type HandoverView }
  from "../modules/forward/handover-message.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { WireError } from "../modules/wire/errors.js";
import { MAX_GOSSIP_PAYLOAD } from "../modules/wire/gossip.js";
import { MAX_NOTICES, NOTICE_BYTES, NoticeType, writeNotice } from "../modules/wire/handover.js";
import { nodeCrypto as crypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";

const rng = new Rng(3);
const keys = createMeshKeys(rng);
const gateway = provisionNode(keys, rng, Role.Gateway);
const other = provisionNode(keys, rng, Role.Gateway);
const gatewayId = nodeIdOf(crypto, gateway.secretKey.subarray(32));
const id = (n: number): Uint8Array => new Uint8Array(8).fill(n);

function batch(count: number): Uint8Array {
  const out = new Uint8Array(count * NOTICE_BYTES);
  for (let i = 0; i < count; i++) {
    if (i % 2) writeNotice(out, i, NoticeType.Released, id(i + 1), id(100 + i), 40 + i);
    else writeNotice(out, i, NoticeType.Release, id(i + 1), id(100 + i), 0);
  }
  return out;
}

test("round trip: certificate, notices and a signature that binds the gossip origin and seq", () => {
  const notices = batch(3);
  const payload = encodeHandover(crypto, gateway.secretKey, gateway.certificate, gatewayId, 77, notices);
  assert.is(payload.length, 110 + 3 * 21 + 64);
  const view = decodeHandover(payload) as HandoverView;
  assert.equal([...view.certificate], [...gateway.certificate]);
  assert.equal([...view.notices], [...notices]);
  const publicKey = gateway.secretKey.subarray(32);
  assert.ok(verifyHandoverSignature(crypto, view, gatewayId, 77, publicKey));
  assert.not.ok(verifyHandoverSignature(crypto, view, gatewayId, 78, publicKey), "another seq");
  assert.not.ok(verifyHandoverSignature(crypto, view, id(9), 77, publicKey), "another origin");
  assert.not.ok(verifyHandoverSignature(crypto, view, gatewayId, 77, other.secretKey.subarray(32)), "another gateway's key");
  const raised = payload.slice();
  raised[110 + NOTICE_BYTES + 20]++; // the RELEASED's position
  assert.not.ok(verifyHandoverSignature(crypto, decodeHandover(raised) as HandoverView, gatewayId, 77, publicKey), "a notice changed");
});

test("a full batch fits a gossip payload", () => {
  assert.is(MAX_HANDOVER_BYTES, HANDOVER_SIGNING_BYTES + MAX_NOTICES * NOTICE_BYTES);
  assert.is(MAX_HANDOVER_BYTES, 510);
  assert.ok(MAX_HANDOVER_BYTES <= MAX_GOSSIP_PAYLOAD);
  const payload = encodeHandover(crypto, gateway.secretKey, gateway.certificate, gatewayId, 1, batch(MAX_NOTICES));
  assert.is(payload.length, MAX_HANDOVER_BYTES);
  assert.type(decodeHandover(payload), "object");
});

test("malformed and unsigned messages are refused by the decode", () => {
  const payload = encodeHandover(crypto, gateway.secretKey, gateway.certificate, gatewayId, 5, batch(2));
  assert.is(decodeHandover(batch(2)), WireError.Truncated, "notices alone, as before signing");
  // 174 bytes are no whole number of notices: notices alone never decode as a signed message.
  for (let n = 10; n <= MAX_NOTICES; n++) assert.is(decodeHandover(batch(n)), WireError.TrailingBytes, `${n} notices unsigned`);
  assert.is(decodeHandover(payload.subarray(0, HANDOVER_SIGNING_BYTES + NOTICE_BYTES - 1)), WireError.Truncated);
  assert.is(decodeHandover(payload.subarray(0, payload.length - 1)), WireError.TrailingBytes, "a byte short: the notices do not divide");
  const longer = new Uint8Array(payload.length + 1);
  longer.set(payload);
  assert.is(decodeHandover(longer), WireError.TrailingBytes);
  assert.is(decodeHandover(encodeHandover(crypto, gateway.secretKey, gateway.certificate, gatewayId, 5, batch(MAX_NOTICES + 1))), WireError.Oversized);
  const badType = payload.slice();
  badType[110] = 3;
  assert.is(decodeHandover(badType), WireError.BadType);
});

test("a message names the gateways its notices are for", () => {
  const view = decodeHandover(encodeHandover(crypto, gateway.secretKey, gateway.certificate, gatewayId, 5, batch(3))) as HandoverView;
  assert.ok(handoverNames(view, id(100)));
  assert.ok(handoverNames(view, id(102)));
  assert.not.ok(handoverNames(view, id(1)), "an origin is not a gateway named");
  assert.not.ok(handoverNames(view, id(103)));
});

test.run();
