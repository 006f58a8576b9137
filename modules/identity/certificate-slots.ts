/**
 * Certificates by slot, in one buffer of CERTIFICATE_BYTES per slot: the certificate cache's entries,
 * and the certificate each neighbor row was admitted with. Fields are read from the bytes (the
 * layout is certificate.ts's), so a slot costs its 110 bytes and nothing per field.
 */
import { equalAt, readU32 } from "../bytes.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";
import { COMMAND_RIGHT, type CertificateStatus, type Role, ROLE_AT, validityStatus } from "./certificate.js";

const PUBLIC_KEY_AT = 5;
const PUBLIC_KEY_BYTES = 32;
const NOT_BEFORE_AT = 38;
const NOT_AFTER_AT = 42;

export class CertificateSlots {
  private readonly bytes: Uint8Array;

  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * CERTIFICATE_BYTES);
  }

  /** Stores a copy of `certificate` (decoded and verified by the caller) in `slot`. */
  set(slot: number, certificate: Uint8Array): void {
    this.bytes.set(certificate.subarray(0, CERTIFICATE_BYTES), slot * CERTIFICATE_BYTES);
  }

  /** Copies `from`'s certificate in `fromSlot` into `slot`. */
  copy(slot: number, from: CertificateSlots, fromSlot: number): void {
    this.bytes.set(from.bytes.subarray(fromSlot * CERTIFICATE_BYTES, (fromSlot + 1) * CERTIFICATE_BYTES), slot * CERTIFICATE_BYTES);
  }

  /** Whether `slot` holds exactly `certificate`, compared in place. */
  equals(slot: number, certificate: Uint8Array): boolean {
    return certificate.length === CERTIFICATE_BYTES && equalAt(this.bytes, slot * CERTIFICATE_BYTES, certificate, 0, CERTIFICATE_BYTES);
  }

  role(slot: number): Role {
    return this.bytes[slot * CERTIFICATE_BYTES + ROLE_AT] & ~COMMAND_RIGHT;
  }

  /** Whether the owner granted `slot`'s key the right to command nodes. */
  mayCommand(slot: number): boolean {
    return (this.bytes[slot * CERTIFICATE_BYTES + ROLE_AT] & COMMAND_RIGHT) !== 0;
  }

  notBefore(slot: number): number {
    return readU32(this.bytes, slot * CERTIFICATE_BYTES + NOT_BEFORE_AT);
  }

  notAfter(slot: number): number {
    return readU32(this.bytes, slot * CERTIFICATE_BYTES + NOT_AFTER_AT);
  }

  /** Where `wallSeconds` falls in the validity window of `slot` (certificate.ts validityStatus). */
  validity(slot: number, wallSeconds: number | undefined): CertificateStatus {
    return validityStatus({ notBefore: this.notBefore(slot), notAfter: this.notAfter(slot) }, wallSeconds);
  }

  /** The public key of `slot`, as a view: copy it before the slot changes. */
  publicKey(slot: number): Uint8Array {
    const at = slot * CERTIFICATE_BYTES + PUBLIC_KEY_AT;
    return this.bytes.subarray(at, at + PUBLIC_KEY_BYTES);
  }
}
