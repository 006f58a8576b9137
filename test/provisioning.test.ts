/**
 * Provisioning text: round trip, and a clear error naming the field for each kind of bad input.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { provisioningFromText, provisioningToText, type ProvisioningText } from "../modules/provisioning.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";

const rng = new Rng(5);
const original = provisionNode(createMeshKeys(rng), rng);

test("text round trip keeps every byte", () => {
  const text = JSON.parse(JSON.stringify(provisioningToText(original))) as ProvisioningText;
  assert.equal(provisioningFromText(text), original);
  assert.match(String(text.networkId), /^0x[0-9a-f]{8}$/);
});

test("networkId may be decimal", () => {
  const text = { ...provisioningToText(original), networkId: original.networkId };
  assert.is(provisioningFromText(text).networkId, original.networkId);
});

test("each bad field is named", () => {
  const good = provisioningToText(original);
  const cases: [Partial<Record<keyof ProvisioningText, unknown>>, RegExp][] = [
    [{ networkId: -1 }, /networkId must be a u32/],
    [{ networkId: "0x1ffffffff" }, /networkId must be a u32/],
    [{ networkKey: "abc" }, /networkKey must be 32 bytes of hex \(hex string must have an even length\)/],
    [{ ownerPublicKey: "zz".repeat(32) }, /ownerPublicKey must be 32 bytes of hex \(not a hex digit/],
    [{ secretKey: "00".repeat(32) }, /secretKey must be 64 bytes of hex, got 32/],
    [{ certificate: undefined }, /certificate must be 110 bytes of hex \(missing\)/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => provisioningFromText({ ...good, ...patch } as ProvisioningText), (e: Error) => e instanceof TypeError && message.test(e.message));
  }
  assert.throws(() => provisioningFromText(null as unknown as ProvisioningText), /must be an object/);
});

test.run();
