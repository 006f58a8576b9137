/**
 * The admission certificate: the network owner's signature that a public key may join the mesh,
 * in which role, and for how long. Carried in HELLO (docs/protocol.md §Certificate).
 *
 *   off  size  field
 *   0    1     version (1)
 *   1    4     network id (u32)
 *   5    32    node Ed25519 public key
 *   37   1     role (Role) in bits 0..3; bit 7 = the command right (COMMAND_RIGHT); bits 4..6 zero
 *   38   4     notBefore, unix seconds (u32)
 *   42   4     notAfter, unix seconds (u32, > notBefore)
 *   46   64    owner's Ed25519 signature over ascii("hyphae/cert/v1") ‖ bytes[0..46)
 */
import { ascii, concatBytes, readU32, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";

export const CERTIFICATE_VERSION = 1;
const PUBLIC_KEY_BYTES = 32;
const SIGNED_BYTES = 46;
const SECRET_KEY_BYTES = 64;
/** Domain separation: an owner signature over a certificate can never pass as any other message. */
const CONTEXT = ascii("hyphae/cert/v1");
/** The role byte's offset; CertificateSlots reads it in place. */
export const ROLE_AT = 37;
/**
 * Bit 7 of the role byte: the owner lets this key command other nodes (modules/command). In the
 * signed bytes, so only the owner grants it; a certificate without it is byte for byte a v1 one.
 */
export const COMMAND_RIGHT = 0x80;
const ROLE_BITS = 0x0f;

/** Append only: these values are on the wire. */
export enum Role {
  /** An ordinary node: relays when the mesh needs it. */
  Node = 1,
  /** Mains-powered: the preferred relay. */
  Relay = 2,
  /** Battery-powered: asks neighbors not to route through it. */
  Leaf = 3,
  /** Sink for readings; also relays. */
  Gateway = 4,
}

export interface CertificateFields {
  networkId: number;
  publicKey: Uint8Array;
  role: Role;
  /** Unix seconds. */
  notBefore: number;
  /** Unix seconds, inclusive, > notBefore. */
  notAfter: number;
  /** The right to command other nodes (docs/protocol.md §Commands); absent means no. */
  command?: boolean;
}

export interface Certificate extends CertificateFields {
  command: boolean;
  /** View into the decoded bytes, like publicKey; copy both before keeping them. */
  signature: Uint8Array;
}

export enum CertificateStatus {
  Valid,
  Malformed,
  WrongNetwork,
  BadSignature,
  NotYetValid,
  Expired,
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function isRole(v: number): boolean {
  return v >= Role.Node && v <= Role.Gateway;
}

function signedMessage(bytes: Uint8Array): Uint8Array {
  return concatBytes(CONTEXT, bytes.subarray(0, SIGNED_BYTES));
}

/** Signs a certificate with the owner's 64-byte secret key. Throws on fields decode would reject (local misuse). */
export function issueCertificate(crypto: Crypto, ownerSecretKey: Uint8Array, fields: CertificateFields): Uint8Array {
  if (!(ownerSecretKey instanceof Uint8Array) || !(fields.publicKey instanceof Uint8Array)) {
    throw new TypeError("keys must be Uint8Arrays");
  }
  if (ownerSecretKey.length !== SECRET_KEY_BYTES) throw new RangeError("owner secret key must be 64 bytes");
  if (fields.publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError("public key must be 32 bytes");
  if (!isU32(fields.networkId)) throw new RangeError("network id must be a u32");
  if (!isRole(fields.role)) throw new RangeError("role must be a Role (1..4)");
  if (!isU32(fields.notBefore) || !isU32(fields.notAfter)) throw new RangeError("validity times must be u32 unix seconds");
  if (fields.notAfter <= fields.notBefore) throw new RangeError("notAfter must be after notBefore");
  const out = new Uint8Array(CERTIFICATE_BYTES);
  out[0] = CERTIFICATE_VERSION;
  writeU32(out, 1, fields.networkId);
  out.set(fields.publicKey, 5);
  out[ROLE_AT] = fields.role | (fields.command ? COMMAND_RIGHT : 0);
  writeU32(out, 38, fields.notBefore);
  writeU32(out, 42, fields.notAfter);
  out.set(crypto.sign(signedMessage(out), ownerSecretKey), SIGNED_BYTES);
  return out;
}

export function newCertificate(): Certificate {
  return {
    networkId: 0, publicKey: new Uint8Array(0), role: Role.Node, notBefore: 0, notAfter: 0, command: false,
    signature: new Uint8Array(0),
  };
}

/**
 * Parses without verifying the signature; fills `out` (or a new object) with views into `bytes`.
 * Returns a WireError for bytes no owner could have issued. Never throws.
 */
export function decodeCertificate(bytes: Uint8Array, out: Certificate = newCertificate()): Certificate | WireError {
  if (bytes.length < CERTIFICATE_BYTES) return WireError.Truncated;
  if (bytes.length > CERTIFICATE_BYTES) return WireError.Oversized;
  if (bytes[0] !== CERTIFICATE_VERSION) return WireError.BadVersion;
  const roleByte = bytes[ROLE_AT];
  const role = roleByte & ROLE_BITS;
  const notBefore = readU32(bytes, 38);
  const notAfter = readU32(bytes, 42);
  // Reserved bits 4..6 set: no owner of this version issued it.
  if (!isRole(role) || (roleByte & ~(ROLE_BITS | COMMAND_RIGHT)) !== 0 || notAfter <= notBefore) return WireError.BadField;
  out.networkId = readU32(bytes, 1);
  out.publicKey = bytes.subarray(5, 5 + PUBLIC_KEY_BYTES);
  out.role = role;
  out.command = (roleByte & COMMAND_RIGHT) !== 0;
  out.notBefore = notBefore;
  out.notAfter = notAfter;
  out.signature = bytes.subarray(SIGNED_BYTES, CERTIFICATE_BYTES);
  return out;
}

/**
 * Where `wallSeconds` falls in [notBefore, notAfter]. Pure, so a node can re-check expiry of a cached
 * peer without another signature verify. `undefined` means no wall clock yet (no gateway or RTC has
 * told the node the time): the window cannot be judged, so it is not held against the certificate.
 */
export function validityStatus(
  cert: Pick<CertificateFields, "notBefore" | "notAfter">, wallSeconds: number | undefined,
): CertificateStatus {
  if (wallSeconds === undefined) return CertificateStatus.Valid;
  if (wallSeconds < cert.notBefore) return CertificateStatus.NotYetValid;
  if (wallSeconds > cert.notAfter) return CertificateStatus.Expired;
  return CertificateStatus.Valid;
}

/**
 * Full admission check: shape, network, owner signature, then the validity window (skipped while
 * `wallSeconds` is undefined, see validityStatus). Cheap checks run before the signature verify.
 */
export function checkCertificate(
  crypto: Crypto, bytes: Uint8Array, ownerPublicKey: Uint8Array, networkId: number, wallSeconds: number | undefined,
): CertificateStatus {
  const cert = decodeCertificate(bytes);
  if (typeof cert === "number") return CertificateStatus.Malformed;
  if (cert.networkId !== networkId) return CertificateStatus.WrongNetwork;
  if (!crypto.verify(signedMessage(bytes), cert.signature, ownerPublicKey)) return CertificateStatus.BadSignature;
  return validityStatus(cert, wallSeconds);
}
