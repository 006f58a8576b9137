/**
 * The stand-ins for a sensor that `hyphae node` uses: the one-minute load average, sent to a gateway
 * as feed sensor "load", and the sample message it publishes to every node (8 bytes, big-endian):
 *   u32  reading number, 1, 2, … since the process started
 *   u32  the host's one-minute load average × 1000 (0 where the OS has none)
 */
import { loadavg } from "node:os";
import { writeU32 } from "../../modules/bytes.js";

const READING_BYTES = 8;
/** The feed sensor name of the stand-in reading sent to gateways. */
export const SAMPLE_SENSOR = "load";

export function loadAverage(): number {
  return loadavg()[0];
}

export function sampleReading(count: number): Uint8Array {
  const out = new Uint8Array(READING_BYTES);
  writeU32(out, 0, count);
  writeU32(out, 4, Math.min(0xffffffff, Math.round(loadAverage() * 1000)));
  return out;
}
