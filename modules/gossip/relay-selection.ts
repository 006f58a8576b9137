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
import type { Neighbor, NeighborTable } from "../neighbors/neighbor-table.js";

/** A relay must remove at least this many expected misses to be worth a transmission. */
const MIN_GAIN = 0.05;

/** Whether `r` can relay for us: it hears us, and it is not a leaf (leaves never relay). */
function canRelay(r: Neighbor): boolean {
  return r.hearsUs !== 0 && r.role !== Role.Leaf;
}

/**
 * Bitmask over our neighbor-table slots of the relays to designate; slots in `avoided` are never chosen.
 * Each listed two-hop neighbor is looked up once, into arrays the greedy rounds then read.
 */
export function selectRelays(table: NeighborTable, selfKey: number, targetMiss: number, avoided = 0): number {
  let candidates = 0;
  let listings = 0;
  for (const r of table.all) {
    if (!canRelay(r)) continue;
    candidates++;
    listings += r.twoHopCount;
  }
  // Per candidate: its slot, how well it hears us, where its listings start; per listing: the two-hop
  // neighbor's index in `miss` (-1: us or a neighbor of ours) and how well the candidate hears it.
  const candidateSlot = new Uint8Array(candidates);
  const candidateReach = new Float64Array(candidates);
  const candidateStart = new Uint16Array(candidates + 1);
  const listingTarget = new Int16Array(listings);
  const listingQuality = new Uint8Array(listings);
  // Two-hop key → its index in `miss`, or -1 for us and our neighbors (no miss to count).
  const index = new Map<number, number>();
  let size = 0;
  candidates = 0;
  listings = 0;
  for (const r of table.all) {
    if (!canRelay(r)) continue;
    candidateSlot[candidates] = r.slot;
    candidateReach[candidates] = r.hearsUs / 255;
    candidateStart[candidates++] = listings;
    for (let j = 0; j < r.twoHopCount; j++) {
      const key = r.twoHopKey(j);
      let t = index.get(key);
      if (t === undefined) {
        if (key === selfKey || table.hasKey(key)) t = -1;
        else t = size++;
        index.set(key, t);
      }
      listingTarget[listings] = t;
      listingQuality[listings++] = r.twoHopQuality(j);
    }
  }
  candidateStart[candidates] = listings;
  const miss = new Float64Array(size).fill(1);
  let mask = 0;
  for (;;) {
    let best = -1;
    let bestGain = MIN_GAIN;
    for (let c = 0; c < candidates; c++) {
      const slot = candidateSlot[c];
      if (((mask | avoided) >>> slot) & 1) continue;
      const reach = candidateReach[c];
      let gain = 0;
      for (let l = candidateStart[c]; l < candidateStart[c + 1]; l++) {
        const t = listingTarget[l];
        if (t >= 0) gain += miss[t] * reach * (listingQuality[l] / 255);
      }
      if (gain > bestGain) {
        bestGain = gain;
        best = c;
      }
    }
    if (best < 0) return mask >>> 0;
    mask |= 1 << candidateSlot[best];
    const reach = candidateReach[best];
    let worst = 0;
    for (let l = candidateStart[best]; l < candidateStart[best + 1]; l++) {
      const t = listingTarget[l];
      if (t >= 0) miss[t] *= 1 - reach * (listingQuality[l] / 255);
    }
    for (let t = 0; t < size; t++) if (miss[t] > worst) worst = miss[t];
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
    if (!canRelay(r)) continue;
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
