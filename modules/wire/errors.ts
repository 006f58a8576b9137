/**
 * Why a frame or record was rejected. Decoders return one of these instead of throwing: on a radio,
 * bad input is normal, so it is dropped and counted by reason. Append only: values appear in counters
 * and reports.
 */
export enum WireError {
  None = 0,
  /** Fewer bytes than the fixed part or a declared length needs. */
  Truncated = 1,
  /** Above MAX_FRAME_BYTES, or a count above its stated limit. */
  Oversized = 2,
  /** Frame version this build does not speak. */
  BadVersion = 3,
  /** Unknown record type, gossip kind or certificate version. */
  BadType = 4,
  /** Bytes left over after the last declared field. */
  TrailingBytes = 5,
  /** A field holds a value outside its documented range (reserved bits set, zero counts...). */
  BadField = 6,
  /** Frame is for another network id. */
  WrongNetwork = 7,
  /** The secretbox tag did not verify under the network key. */
  AuthFailed = 8,
}

export const WIRE_ERROR_NAMES: readonly string[] = Object.freeze([
  "none", "truncated", "oversized", "bad-version", "bad-type", "trailing-bytes", "bad-field",
  "wrong-network", "auth-failed",
]);
