/**
 * The firmware's stand-ins for a sensor, the same as `hyphae node`'s (hosts/node/reading.ts) so a
 * gateway treats both alike:
 *   - the sample message it publishes to every node, 8 bytes, big-endian:
 *       u32  message number, 1, 2, … since boot
 *       u32  a sensor value × 1000, 0 where the board has none
 *   - the sensor reading it sends to a gateway (store-and-forward, exactly once): feed sensor
 *     SAMPLE_SENSOR with the reading number as its value.
 * The Moddable SDK has no module for the ESP32's internal temperature sensor (the original ESP32's
 * is undocumented; the S2/S3/C3 driver would need a native module), so the firmware counts: a fresh
 * flash shows data flowing. Wire a real sensor in here.
 */
import { writeU32 } from "../../modules/bytes.js";

export const READING_BYTES = 8;
/** Feed sensor name of the stand-in reading. */
export const SAMPLE_SENSOR = "counter";

export function sampleMessage(count: number, milliValue = 0): Uint8Array {
  const out = new Uint8Array(READING_BYTES);
  writeU32(out, 0, count);
  writeU32(out, 4, Math.max(0, Math.min(0xffffffff, Math.round(milliValue))));
  return out;
}
