/**
 * Provisioning as text: what `hyphae keys` writes for one node and what the hosts read back (a JSON
 * file on Node, the build's `config` on the board). Every field is hex except the network id, and
 * every field is checked here so a bad file fails with a message naming the field, not deep in a boot.
 */
import { fromHex, toHex } from "./bytes.js";
import type { Provisioning } from "./node.js";
import { CERTIFICATE_BYTES } from "./wire/hello.js";

export interface ProvisioningText {
  /** u32, decimal or "0x…" hex. */
  networkId: number | string;
  networkKey: string;
  ownerPublicKey: string;
  secretKey: string;
  certificate: string;
}

const FIELD_BYTES: [keyof ProvisioningText, number][] = [
  ["networkKey", 32],
  ["ownerPublicKey", 32],
  ["secretKey", 64],
  ["certificate", CERTIFICATE_BYTES],
];

/** Parses provisioning text; throws TypeError naming the first bad field. */
export function provisioningFromText(text: ProvisioningText): Provisioning {
  if (typeof text !== "object" || text === null) throw new TypeError("provisioning must be an object");
  const networkId = typeof text.networkId === "string" ? Number(text.networkId) : text.networkId;
  if (typeof networkId !== "number" || !Number.isInteger(networkId) || networkId < 0 || networkId > 0xffffffff) {
    throw new TypeError("provisioning.networkId must be a u32");
  }
  const bytes: Record<string, Uint8Array> = {};
  for (const [field, size] of FIELD_BYTES) {
    const value = text[field];
    let parsed: Uint8Array;
    try {
      if (typeof value !== "string") throw new RangeError("missing");
      parsed = fromHex(value);
    } catch (e) {
      throw new TypeError(`provisioning.${field} must be ${size} bytes of hex (${(e as Error).message})`);
    }
    if (parsed.length !== size) throw new TypeError(`provisioning.${field} must be ${size} bytes of hex, got ${parsed.length}`);
    bytes[field] = parsed;
  }
  return {
    networkId,
    networkKey: bytes.networkKey,
    ownerPublicKey: bytes.ownerPublicKey,
    secretKey: bytes.secretKey,
    certificate: bytes.certificate,
  };
}

export function provisioningToText(p: Provisioning): ProvisioningText {
  return {
    networkId: "0x" + (p.networkId >>> 0).toString(16).padStart(8, "0"),
    networkKey: toHex(p.networkKey),
    ownerPublicKey: toHex(p.ownerPublicKey),
    secretKey: toHex(p.secretKey),
    certificate: toHex(p.certificate),
  };
}
