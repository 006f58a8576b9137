/**
 * Broken relay promises: a neighbor that never relays. Every node that is not a leaf relays some of
 * what it hears (designated relays first, the others where they see a gap), so a neighbor from which
 * we hear no relayed gossip at all while SILENT_AFTER_MESSAGES new messages reach us is either
 * dropping what it should pass on (a black hole, an eclipse attacker) or not needed as a relay
 * anywhere: either way it is not a neighbor to lean on. It is avoided — not designated as a relay,
 * not chosen as a next hop — until it is heard relaying again; it is not scored or ignored, so an
 * honest node at the edge of the mesh that never has to relay loses nothing it was giving.
 *
 * Only relays count (gossip whose origin is not the transmitter): publishing its own messages does
 * not make a node a relay. Bounded: one number per neighbor-table slot.
 */

/** New messages we receive while a silent neighbor stays silent before it is avoided. */
export const SILENT_AFTER_MESSAGES = 64;

export class RelayWatch {
  /** New messages received so far (the clock of the watch). */
  private messages = 0;
  /** Per slot: the message count when the neighbor was admitted or last heard relaying. */
  private readonly since: Float64Array;

  constructor(capacity: number) {
    this.since = new Float64Array(capacity);
  }

  /** A new neighbor took the slot: its watch starts now. */
  reset(slot: number): void {
    this.since[slot] = this.messages;
  }

  /** A gossip message new to us arrived (from anyone). */
  newMessage(): void {
    this.messages++;
  }

  /** The neighbor in `slot` transmitted gossip of another origin (a first copy or a duplicate). */
  heardRelaying(slot: number): void {
    this.since[slot] = this.messages;
  }

  silent(slot: number): boolean {
    return this.messages - this.since[slot] >= SILENT_AFTER_MESSAGES;
  }
}
