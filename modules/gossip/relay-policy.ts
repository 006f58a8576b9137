/**
 * When to rebroadcast a gossip message, as pure functions over the neighbor table.
 *
 * Hyphae's policy is loss-aware neighbor coverage. For each pending message a node keeps, per
 * neighbor slot, the probability (in 1/255ths) that this neighbor still misses the message, given
 * the copies it has heard: a copy from transmitter t reaches neighbor n with probability ≈ t's
 * reported reception of n. The node waits a delay that shrinks as its expected gain grows (the sum
 * over neighbors of miss × how well that neighbor hears us), so the best-placed relays speak first
 * and their copies suppress the rest; when the delay ends it relays only if some neighbor's miss
 * probability is still above the coverage target (two neighbors, for a designated relay that is
 * well linked). What this lets slip through, the HELLO-driven repair catches
 * (gossip/recent-messages.ts). Baselines: plain flooding relays everything once;
 * managed flooding (Meshtastic) waits a random delay and relays only if no copy was heard meanwhile.
 */
import type { RelayPolicy } from "../config.js";
import type { Neighbor, NeighborTable } from "../neighbors/neighbor-table.js";

/**
 * Mean reception, by the neighbors that hear us, from which a node counts as well linked. Reported
 * receptions read high (median 0.75 over links that lose 30 %, 0.94 at 10 % in the relay bench):
 * at 0.8 a tenth of the nodes of a 30 %-loss mesh left gaps, and hop stretch there passed 1.3 (1.304
 * at 1,000 nodes); 0.85 passed fewer gaps at 10 % loss (fewer savings) and cost the eclipse test's
 * victim a reading, by chance of the run.
 */
export const WELL_LINKED = 0.82;
/** Neighbors that hear us, at least, for a node to count as well linked. */
export const WELL_LINKED_NEIGHBORS = 4;

/*
 * A message's miss probabilities are one byte per neighbor slot, `miss[at + slot]`: `at` lets many
 * messages share one buffer (the relay queue keeps them all in one, docs/architecture.md §Memory).
 */

/** Miss probabilities before any copy is heard: every neighbor misses it. */
export function resetMiss(miss: Uint8Array, at = 0, length = miss.length - at): void {
  miss.fill(255, at, at + length);
}

/** Folds in one heard copy transmitted by `t`: t has it, and each neighbor t hears may have it too. */
export function applyCopy(miss: Uint8Array, t: Neighbor, at = 0): void {
  miss[at + t.slot] = 0;
  let mask = t.adjacency;
  while (mask !== 0) {
    const slot = 31 - Math.clz32(mask);
    mask &= ~(1 << slot);
    miss[at + slot] = (miss[at + slot] * (255 - t.adjacencyQuality(slot)) + 127) / 255 | 0;
  }
}

/** Expected number of neighbors that a transmission of ours would newly reach. */
export function expectedGain(miss: Uint8Array, table: NeighborTable, at = 0): number {
  let gain = 0;
  const hearsUs = table.hearsUs;
  for (let k = 0; k < table.size; k++) {
    const slot = table.slotAt(k);
    gain += (miss[at + slot] / 255) * (hearsUs[slot] / 255);
  }
  return gain;
}

/**
 * How many neighbors that hear us, among the slot mask `among`, are likely still missing the message:
 * miss probability above `target` (0..1).
 */
export function likelyMissing(miss: Uint8Array, table: NeighborTable, target: number, at = 0, among = -1): number {
  let count = 0;
  const hearsUs = table.hearsUs;
  for (let k = 0; k < table.size; k++) {
    const slot = table.slotAt(k);
    if (hearsUs[slot] > 0 && (among >>> slot) & 1 && miss[at + slot] / 255 > target) count++;
  }
  return count;
}

/**
 * Whether at least WELL_LINKED_NEIGHBORS neighbors hear us, and hear us well on average (mean
 * reception ≥ WELL_LINKED). There
 * a relay leaves a lone neighbor still missing a message to HELLO-driven repair, which sends only
 * once that neighbor's HELLO shows the miss; over poor links repairs fail as often as relays, and
 * the gaps they leave make messages detour, so relays keep their redundancy. With fewer neighbors
 * (a sparse spot, a chain) a gap has few to repair it and a noisy mean of two or three links
 * looks good by chance: relays keep their redundancy there too.
 */
export function wellLinked(table: NeighborTable): boolean {
  let sum = 0;
  let count = 0;
  const hearsUs = table.hearsUs;
  for (let k = 0; k < table.size; k++) {
    const q = hearsUs[table.slotAt(k)];
    if (q === 0) continue;
    sum += q;
    count++;
  }
  return count >= WELL_LINKED_NEIGHBORS && sum >= WELL_LINKED * 255 * count;
}

/** Delay before relaying, ms, given the policy, our expected gain, the unit and a uniform draw u∈[0,1). */
export function relayDelay(policy: RelayPolicy, gain: number, unitMs: number, u: number): number {
  switch (policy) {
    case "flood":
      return Math.floor(unitMs * u);
    case "managed":
      return Math.floor(unitMs * 4 * u);
    case "coverage":
      // 0–8 units: 6/(1+gain) ranks relays by usefulness, 2u breaks ties between equals.
      return Math.floor(unitMs * (6 / (1 + gain) + 2 * u));
  }
}

/**
 * Whether a message whose delay ended should still go out. `heardCopies` counts duplicates heard;
 * under the coverage policy at least `needed` neighbors must still be likely missing it.
 */
export function shouldRelay(
  policy: RelayPolicy, heardCopies: number, miss: Uint8Array, table: NeighborTable, target: number, at = 0, needed = 1,
): boolean {
  switch (policy) {
    case "flood":
      return true;
    case "managed":
      return heardCopies === 0;
    case "coverage":
      return likelyMissing(miss, table, target, at) >= needed;
  }
}
