/**
 * The sample reading `hyphae node` publishes, a stand-in for a sensor (8 bytes, big-endian):
 *   u32  reading number, 1, 2, … since the process started
 *   u32  the host's one-minute load average × 1000 (0 where the OS has none)
 */
import { loadavg } from "node:os";
import { writeU32 } from "../../modules/bytes.js";

const READING_BYTES = 8;

export function sampleReading(count: number): Uint8Array {
  const out = new Uint8Array(READING_BYTES);
  writeU32(out, 0, count);
  writeU32(out, 4, Math.min(0xffffffff, Math.round(loadavg()[0] * 1000)));
  return out;
}
