/**
 * The Random port on the board. Used only for beacon jitter and relay delays: keys come from
 * provisioning, and frame nonces from counters (docs/architecture.md §Ports), so nothing here needs
 * to be secret.
 *
 * `Math.random()` on the ESP32 reads the hardware random number generator (esp_random(), 31 bits a
 * call in Moddable's port; truly random while the radio runs); on the desktop simulator it is the
 * host C library's generator, which is fine for jitter. Two calls give the 32 bits.
 */
import type { Random } from "../../modules/ports.js";

export const hardwareRandom: Random = {
  nextU32(): number {
    const hi = Math.floor(Math.random() * 0x10000);
    const lo = Math.floor(Math.random() * 0x10000);
    return ((hi << 16) | lo) >>> 0;
  },
};
