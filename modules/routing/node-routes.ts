/**
 * The route cache of on-demand routes to any node (docs/protocol.md §Routes to any node): per
 * destination the neighbor to hand data to, with the destination's seqno and the path's metric.
 *
 * Loop freedom (AODV's rule, RFC 3561 §6.1): a route is replaced only by one with a newer seqno, or
 * the same seqno and a smaller metric. Metrics grow strictly along the way a reply or request
 * travelled, and only destinations (replies) and origins (requests) issue new seqnos, so each next
 * hop holds a fresher route, or as fresh and shorter: following next hops can never come back. A
 * route through a neighbor that died is invalidated but keeps its seqno, so only a newer one (a
 * new discovery) replaces it.
 *
 * Bounded and flat: `capacity` rows in one byte array (id, next-hop slot, valid, seqno, metric) and
 * one array of last-use times, allocated at boot. A route unused for ROUTE_LIFETIME_MS is forgotten;
 * a newcomer takes an empty or forgotten row, else an invalid one, else the least recently used.
 */
import { readU16, toHex, writeU16 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { seqnoNewer } from "./route-table.js";
import { typedArrays } from "../typed-arrays.js";

/** A route unused this long is forgotten (its metric may no longer say much about the links). */
export const ROUTE_LIFETIME_MS = 5 * 60_000;

const SLOT = NODE_ID_BYTES;
const VALID = SLOT + 1;
const SEQNO = VALID + 1;
const METRIC = SEQNO + 2;
const ROW_BYTES = METRIC + 2;

export interface NodeRoute {
  destination: string;
  nextHop: number;
  seqno: number;
  metric: number;
}

export class NodeRoutes {
  private readonly rows: Uint8Array;
  /** When each row was last learned or used; -Infinity: empty. */
  private readonly usedAt: Float64Array;

  constructor(readonly capacity: number) {
    if (capacity < 1 || capacity > 255) throw new RangeError("node route capacity must be 1..255");
    [this.usedAt, this.rows] = typedArrays([Float64Array, capacity], [Uint8Array, capacity * ROW_BYTES]);
    this.usedAt.fill(-Infinity);
  }

  /**
   * Offers a route to `id` through neighbor `slot`; taken if new to us, or fresher, or as fresh and
   * shorter than the one held (a valid one: an invalid route takes only a newer seqno). Returns
   * whether it was taken.
   */
  offer(id: Uint8Array, slot: number, seqno: number, metric: number, now: number): boolean {
    let row = this.find(id, now);
    if (row >= 0) {
      const at = row * ROW_BYTES;
      const held = readU16(this.rows, at + SEQNO);
      const fresher = seqnoNewer(seqno, held) || (seqno === held && this.rows[at + VALID] === 1 && metric < readU16(this.rows, at + METRIC));
      if (!fresher) return false;
    } else {
      row = this.victim(now);
      this.rows.set(id.subarray(0, NODE_ID_BYTES), row * ROW_BYTES);
    }
    const at = row * ROW_BYTES;
    this.rows[at + SLOT] = slot;
    this.rows[at + VALID] = 1;
    writeU16(this.rows, at + SEQNO, seqno);
    writeU16(this.rows, at + METRIC, metric);
    this.usedAt[row] = now;
    return true;
  }

  /** The neighbor slot toward `id` (and the route counts as used), or -1 without a valid route. */
  nextHop(id: Uint8Array, now: number): number {
    const row = this.find(id, now);
    if (row < 0 || this.rows[row * ROW_BYTES + VALID] !== 1) return -1;
    this.usedAt[row] = now;
    return this.rows[row * ROW_BYTES + SLOT];
  }

  /** The newest seqno known for `id` (valid or not), -1 if none. */
  seqnoOf(id: Uint8Array, now: number): number {
    const row = this.find(id, now);
    return row < 0 ? -1 : readU16(this.rows, row * ROW_BYTES + SEQNO);
  }

  /** Invalidates the route to `id` (its next hop went stale); its seqno stays. */
  invalidate(id: Uint8Array, now: number): void {
    const row = this.find(id, now);
    if (row >= 0) this.rows[row * ROW_BYTES + VALID] = 0;
  }

  /** Invalidates every route through a neighbor that left the table. */
  dropNeighbor(slot: number): void {
    for (let row = 0; row < this.capacity; row++) {
      if (this.usedAt[row] !== -Infinity && this.rows[row * ROW_BYTES + SLOT] === slot) this.rows[row * ROW_BYTES + VALID] = 0;
    }
  }

  /** Rows in use (valid, invalid or expired, until a newcomer takes them). */
  get size(): number {
    let n = 0;
    for (let row = 0; row < this.capacity; row++) if (this.usedAt[row] !== -Infinity) n++;
    return n;
  }

  /** The valid routes, for monitors, tests and the simulator's loop checks. */
  routes(now: number): NodeRoute[] {
    const out: NodeRoute[] = [];
    for (let row = 0; row < this.capacity; row++) {
      const at = row * ROW_BYTES;
      if (!this.live(row, now) || this.rows[at + VALID] !== 1) continue;
      out.push({ destination: toHex(this.rows.subarray(at, at + NODE_ID_BYTES)), nextHop: this.rows[at + SLOT],
        seqno: readU16(this.rows, at + SEQNO), metric: readU16(this.rows, at + METRIC) });
    }
    return out;
  }

  private live(row: number, now: number): boolean {
    return now - this.usedAt[row] < ROUTE_LIFETIME_MS;
  }

  private find(id: Uint8Array, now: number): number {
    const rows = this.rows;
    for (let row = 0, at = 0; row < this.capacity; row++, at += ROW_BYTES) {
      if (!this.live(row, now)) continue;
      let i = 0;
      while (i < NODE_ID_BYTES && rows[at + i] === id[i]) i++;
      if (i === NODE_ID_BYTES) return row;
    }
    return -1;
  }

  /** The row a newcomer takes: empty or forgotten, else invalid, else least recently used. */
  private victim(now: number): number {
    let best = 0;
    let bestRank = Infinity;
    for (let row = 0; row < this.capacity; row++) {
      if (!this.live(row, now)) return row;
      // Invalid rows rank below every valid one.
      const rank = this.rows[row * ROW_BYTES + VALID] === 1 ? this.usedAt[row] : this.usedAt[row] - 2 * ROUTE_LIFETIME_MS;
      if (rank < bestRank) {
        bestRank = rank;
        best = row;
      }
    }
    return best;
  }
}
