/**
 * The Random port on the board. Used only for beacon jitter and relay delays: keys come from
 * provisioning, and frame nonces from counters (docs/architecture.md §Ports), so nothing here needs
 * to be secret.
 *
 * `Math.random()` on the ESP32 reads the hardware random number generator (esp_random(), 31 bits a
 * call in Moddable's port; truly random while the radio runs). On the desktop simulator it is the C
 * library's `rand()`, which XS never seeds (`srand` is commented out in xsMath.c): every simulated
 * node, at every boot, draws the same numbers — measured: the first beacon always left 0.84 of a
 * beacon period after boot, in every node, so simulated nodes beaconed and relayed in lockstep.
 * So each draw is mixed (XOR) with an xorshift32 stream seeded from the node's id and the clock at
 * boot: distinct across nodes and boots in the simulator, and no less random on the ESP32.
 */
import type { Random } from "../../modules/ports.js";

/** `seed`: bytes that differ between nodes (the node id); `nowMs`: the clock at boot (Date.now()). */
export function boardRandom(seed: Uint8Array, nowMs: number): Random {
  let s = (Math.floor(nowMs) ^ Math.floor(nowMs / 0x100000000)) >>> 0;
  for (const b of seed) s = Math.imul(s ^ b, 0x9e3779b1) >>> 0;
  if (s === 0) s = 0x6d2b79f5;
  return {
    nextU32(): number {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      const hi = Math.floor(Math.random() * 0x10000);
      const lo = Math.floor(Math.random() * 0x10000);
      return (((hi << 16) | lo) ^ s) >>> 0;
    },
  };
}
