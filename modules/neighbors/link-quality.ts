/**
 * Link-quality arithmetic (pure functions). A receiver keeps a bitmap of the last BEACON_WINDOW beacon
 * slots of each neighbor (bit 0 = newest); the share of set bits is its reception ratio of that
 * neighbor, and ETX = 1 / (forward ratio × reverse ratio) as in De Couto et al. (MobiCom 2003).
 */
export const BEACON_WINDOW = 16;
const WINDOW_MASK = (1 << BEACON_WINDOW) - 1;

export function popcount16(x: number): number {
  x = x - ((x >>> 1) & 0x5555);
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

/** Bitmap after a beacon `advance` slots after the previous one (advance ≥ 1). */
export function recordBeacon(bits: number, advance: number): number {
  return advance >= BEACON_WINDOW ? 1 : ((bits << advance) | 1) & WINDOW_MASK;
}

/**
 * Reception ratio in [0, 1]: beacons heard over beacon slots observed, counting the slots that have
 * passed in silence since the last one (`silentSlots`) as missed.
 */
export function receptionRatio(bits: number, span: number, silentSlots: number): number {
  if (silentSlots >= BEACON_WINDOW) return 0;
  const shifted = (bits << silentSlots) & WINDOW_MASK;
  const slots = Math.min(BEACON_WINDOW, span + silentSlots);
  return slots === 0 ? 0 : popcount16(shifted) / slots;
}

/** Expected transmissions for one delivery over a link; Infinity when either direction is dead. */
export function etx(forward: number, reverse: number): number {
  const product = forward * reverse;
  return product > 0 ? 1 / product : Infinity;
}

/** 0..1 ratio to the u8 carried in HELLO. */
export function toQualityByte(ratio: number): number {
  return Math.max(0, Math.min(255, Math.round(ratio * 255)));
}
