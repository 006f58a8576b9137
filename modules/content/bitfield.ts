/**
 * Compact piece bitfields: bit i (most significant bit first in byte i >> 3, as BitTorrent's) says
 * whether piece i is held. Bits past the piece count are always 0, so a bitfield has one encoding.
 */

export function bitfieldBytes(bits: number): number {
  return (bits + 7) >>> 3;
}

export function hasBit(field: Uint8Array, at: number, i: number): boolean {
  return (field[at + (i >>> 3)] & (0x80 >>> (i & 7))) !== 0;
}

export function setBit(field: Uint8Array, at: number, i: number): void {
  field[at + (i >>> 3)] |= 0x80 >>> (i & 7);
}

/** Whether the bits past `bits` in the last byte of a `bits`-long field at `at` are all 0. */
export function paddingClear(field: Uint8Array, at: number, bits: number): boolean {
  const spare = (8 - (bits & 7)) & 7;
  return spare === 0 || (field[at + bitfieldBytes(bits) - 1] & ((1 << spare) - 1)) === 0;
}
