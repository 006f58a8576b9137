/**
 * Byte helpers shared by the codecs. Big-endian (network order) throughout.
 * Readers assume the caller has bounds-checked; the codecs do so once per field group.
 */

export function readU16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function writeU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v;
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `a` equals `b`, every byte compared whatever the first difference (for tags and keys: no timing hint). */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Compares `len` bytes of `a` at `ai` with `b` at `bi` without allocating views. */
export function equalAt(a: Uint8Array, ai: number, b: Uint8Array, bi: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const HEX = "0123456789abcdef";
/** The two hex digits of every byte value: one concatenation per byte (ids are hexed per message). */
const BYTE_HEX: readonly string[] = Object.freeze(Array.from({ length: 256 }, (_, v) => HEX[v >> 4] + HEX[v & 15]));

/** Char codes of the two hex digits of every byte value, for toHex's 8-byte path. */
const HEX_CODES = Uint8Array.from({ length: 512 }, (_, i) => HEX.charCodeAt(i & 1 ? (i >> 1) & 15 : i >> 5));

export function toHex(b: Uint8Array): string {
  if (b.length === 8) return idHexAt(b, 0);
  let s = "";
  for (let i = 0; i < b.length; i++) s += BYTE_HEX[b[i]];
  return s;
}

/** toHex of the 8-byte node id at `b[at..at+8]`, without a view of it (ids are hexed per message). */
export function idHexAt(b: Uint8Array, at: number): string {
  // One flat string, not a chain of concatenations that every Map lookup must first flatten (3× faster on V8).
  const c = HEX_CODES;
  const b0 = 2 * b[at], b1 = 2 * b[at + 1], b2 = 2 * b[at + 2], b3 = 2 * b[at + 3];
  const b4 = 2 * b[at + 4], b5 = 2 * b[at + 5], b6 = 2 * b[at + 6], b7 = 2 * b[at + 7];
  return String.fromCharCode(c[b0], c[b0 + 1], c[b1], c[b1 + 1], c[b2], c[b2 + 1], c[b3], c[b3 + 1],
    c[b4], c[b4 + 1], c[b5], c[b5 + 1], c[b6], c[b6 + 1], c[b7], c[b7 + 1]);
}

/** Parses lowercase or uppercase hex; throws RangeError on odd length or a non-hex digit. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new RangeError("hex string must have an even length");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX.indexOf(s[2 * i].toLowerCase());
    const lo = HEX.indexOf(s[2 * i + 1].toLowerCase());
    if (hi < 0 || lo < 0) throw new RangeError(`not a hex digit at position ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** ASCII-only string to bytes (domain-separation tags, never user text). */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}
