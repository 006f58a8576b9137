/**
 * Sender-designated relays: a node picks, from its neighbor table, the relays for its own messages
 * and the ones it forwards, and names them in its HELLO's relay mask. It is the multipoint-relay
 * set of OLSR (RFC 3626 §8.3.1), made loss-aware: a two-hop neighbor counts as reached when the
 * product of "relay r misses our copy or r's copy misses it" over the chosen relays falls to
 * `targetMiss`, with both hops' reception ratios taken from HELLOs. Greedy: each round adds the
 * relay that removes the most expected misses, until every two-hop neighbor is reached or no
 * relay helps. Leaves and neighbors that do not hear us are never chosen.
 */
import { Role } from "../identity/certificate.js";
import type { NeighborTable } from "../neighbors/neighbor-table.js";

/** A relay must remove at least this many expected misses to be worth a transmission. */
const MIN_GAIN = 0.05;

/** Bitmask over our neighbor-table slots of the relays to designate; slots in `avoided` are never chosen. */
export function selectRelays(table: NeighborTable, selfKey: number, targetMiss: number, avoided = 0): number {
  const index = new Map<number, number>();
  for (const r of table.all) {
    if (r.hearsUs === 0 || r.role === Role.Leaf) continue;
    for (let j = 0; j < r.twoHopCount; j++) {
      const key = r.twoHopKey(j);
      if (key !== selfKey && !index.has(key) && !table.hasKey(key)) index.set(key, index.size);
    }
  }
  const miss = new Float64Array(index.size).fill(1);
  let mask = 0;
  for (;;) {
    let best = -1;
    let bestGain = MIN_GAIN;
    for (const r of table.all) {
      if (r.hearsUs === 0 || r.role === Role.Leaf || ((mask | avoided) >>> r.slot) & 1) continue;
      const reach = r.hearsUs / 255;
      let gain = 0;
      for (let j = 0; j < r.twoHopCount; j++) {
        const t = index.get(r.twoHopKey(j));
        if (t !== undefined) gain += miss[t] * reach * (r.twoHopQuality(j) / 255);
      }
      if (gain > bestGain) {
        bestGain = gain;
        best = r.slot;
      }
    }
    if (best < 0) return mask >>> 0;
    mask |= 1 << best;
    const r = table.bySlot(best)!;
    const reach = r.hearsUs / 255;
    let worst = 0;
    for (let j = 0; j < r.twoHopCount; j++) {
      const t = index.get(r.twoHopKey(j));
      if (t !== undefined) miss[t] *= 1 - reach * (r.twoHopQuality(j) / 255);
    }
    for (let t = 0; t < miss.length; t++) if (miss[t] > worst) worst = miss[t];
    if (worst <= targetMiss) return mask >>> 0;
  }
}

/**
 * Bitmask over our neighbor-table slots of the bridges: neighbors that alone list some two-hop
 * neighbor (RFC 3626's first MPR step), so that only through them does a message reach it. A relay
 * never leaves a bridge that misses a message to repair: the message would wait a HELLO at every
 * such hop of a chain.
 */
export function soleBridges(table: NeighborTable, selfKey: number): number {
  const reacher = new Map<number, number>();
  for (const r of table.all) {
    if (r.hearsUs === 0 || r.role === Role.Leaf) continue;
    for (let j = 0; j < r.twoHopCount; j++) {
      const key = r.twoHopKey(j);
      if (key === selfKey || table.hasKey(key)) continue;
      const seen = reacher.get(key);
      reacher.set(key, seen === undefined || seen === r.slot ? r.slot : -1);
    }
  }
  let mask = 0;
  for (const slot of reacher.values()) if (slot >= 0) mask |= 1 << slot;
  return mask >>> 0;
}

/**
 * Bitmask over our neighbor-table slots of the neighbors that list fewer than `min` neighbors (us
 * included): few could repair a message they miss, so a relay does not leave one to repair either.
 */
export function sparseNeighbors(table: NeighborTable, min: number): number {
  let mask = 0;
  for (const n of table.all) if (n.hearsUs > 0 && n.twoHopCount + 1 < min) mask |= 1 << n.slot;
  return mask >>> 0;
}
