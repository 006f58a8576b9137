/**
 * Gateway certificates heard in their gateways' gossip (GOSSIP kind 7, docs/protocol.md
 * §Store-and-forward, "Gateway certificates"), kept so that an origin agrees on its home's CONFIRM
 * key before its first reading rather than after the home's first CONFIRM. Kept unverified: only the
 * cheap checks (a gateway's certificate whose key hashes to the gossip's origin) are made on arrival;
 * the owner's signature is checked once, by the certificate cache, when the gateway becomes a home.
 *
 * Bounded: `capacity` certificates. A new one takes a free slot, or the slot of the one heard from the
 * most hops away (the least recently heard among those), if that is not nearer than the new one:
 * the home is picked nearest, so the nearest gateways' certificates are the ones worth keeping. Never
 * the home's or the home before's (a flood of made-up gateways cannot push those out).
 *
 * Memory: two typed arrays allocated once, 8 + 110 + 1 + 8 bytes a certificate.
 */
import { readU32 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";
import { typedArrays } from "../typed-arrays.js";

/** Per slot, in `rows`: the id, the certificate, then the hops its gossip had come. */
const HOPS_AT = NODE_ID_BYTES + CERTIFICATE_BYTES;
const ROW = HOPS_AT + 1;

export class GatewayCertificates {
  private readonly rows: Uint8Array;
  /** Put counter at the last put; 0: a free slot. */
  private readonly ranks: Float64Array;
  private puts = 0;

  constructor(readonly capacity: number) {
    [this.ranks, this.rows] = typedArrays([Float64Array, capacity], [Uint8Array, ROW * capacity]);
  }

  /** Gateway `id`'s certificate (a view), or null. */
  get(id: Uint8Array): Uint8Array | null {
    const slot = this.find(id);
    return slot < 0 ? null : this.rows.subarray(slot * ROW + NODE_ID_BYTES, slot * ROW + HOPS_AT);
  }

  /**
   * Keeps `certificate` as gateway `id`'s, heard from `hops` away, most recently heard: in its own
   * slot, a free one, or that of the farthest (then least recently heard) other than `home`'s and
   * `previous`'s, unless that one is nearer; not kept when there is none.
   */
  put(id: Uint8Array, certificate: Uint8Array, hops: number, home: Uint8Array | null, previous: Uint8Array | null): void {
    let slot = this.find(id);
    if (slot < 0) {
      for (let s = 0; s < this.capacity; s++) {
        if (this.ranks[s] === 0) {
          slot = s;
          break;
        }
        if (this.holds(s, home) || this.holds(s, previous)) continue;
        if (slot < 0 || this.farther(s, slot)) slot = s;
      }
      if (slot < 0 || (this.ranks[slot] !== 0 && this.rows[slot * ROW + HOPS_AT] < hops)) return;
      this.rows.set(id.subarray(0, NODE_ID_BYTES), slot * ROW);
    }
    this.rows.set(certificate.subarray(0, CERTIFICATE_BYTES), slot * ROW + NODE_ID_BYTES);
    this.rows[slot * ROW + HOPS_AT] = Math.min(hops, 255);
    this.ranks[slot] = ++this.puts;
  }

  /** Whether slot `a` is a worse keep than slot `b`: heard from farther, or as far and less recently. */
  private farther(a: number, b: number): boolean {
    const ha = this.rows[a * ROW + HOPS_AT];
    const hb = this.rows[b * ROW + HOPS_AT];
    return ha > hb || (ha === hb && this.ranks[a] < this.ranks[b]);
  }

  private holds(slot: number, id: Uint8Array | null): boolean {
    return id !== null && readU32(this.rows, slot * ROW) === readU32(id, 0) && readU32(this.rows, slot * ROW + 4) === readU32(id, 4);
  }

  private find(id: Uint8Array): number {
    for (let slot = 0; slot < this.capacity; slot++) if (this.ranks[slot] !== 0 && this.holds(slot, id)) return slot;
    return -1;
  }
}
