/**
 * Broken relay promises: a neighbor that never relays. A neighbor from which we hear no relayed
 * gossip at all while SILENT_AFTER_MESSAGES new messages reach us is either dropping what it should
 * pass on (a black hole, an eclipse attacker) or not needed as a relay anywhere: either way it is not
 * a next hop to lean on (`silent`). It is avoided until it is heard relaying again; it is not scored
 * or ignored, so an honest node at the edge of the mesh that never has to relay loses nothing it was
 * giving.
 *
 * Designation is judged apart (`brokePromise`): under the coverage policy a well-linked node that no
 * neighbor designates relays nothing but repairs (docs/protocol.md §Relay policy), so silence alone
 * says nothing about it as a relay; dropping it from designation would tear holes where it is the
 * relay needed. Only messages that reach us while we designate a neighbor count against it there.
 *
 * Only relays count (gossip whose origin is not the transmitter, repairs included): publishing its
 * own messages does not make a node a relay. Bounded: two numbers per neighbor-table slot.
 */
import { typedArrays } from "../typed-arrays.js";


/** New messages we receive while a silent neighbor stays silent before it is avoided. */
export const SILENT_AFTER_MESSAGES = 64;

export class RelayWatch {
  /** New messages received so far (the clock of the watch). */
  private messages = 0;
  /** Per slot: the message count when the neighbor was admitted or last heard relaying. */
  private readonly since: Float64Array;
  /** Per slot: new messages received while we designated it, since admitted or last heard relaying. */
  private readonly unheardDesignated: Uint32Array;

  constructor(capacity: number) {
    [this.since, this.unheardDesignated] = typedArrays([Float64Array, capacity], [Uint32Array, capacity]);
  }

  /**
   * A neighbor took the slot: a new one's watch starts now; one that comes back resumes with the
   * messages it had left unrelayed (`unheard`, and `unheardDesignated` of them while designated).
   */
  reset(slot: number, unheard = 0, unheardDesignated = 0): void {
    this.since[slot] = this.messages - unheard;
    this.unheardDesignated[slot] = unheardDesignated;
  }

  /** New messages received since the neighbor was last heard relaying, up to SILENT_AFTER_MESSAGES (all that counts). */
  unheard(slot: number): number {
    return Math.min(this.messages - this.since[slot], SILENT_AFTER_MESSAGES);
  }

  /** New messages received while we designated it since it was last heard relaying (at most SILENT_AFTER_MESSAGES). */
  unheardWhileDesignated(slot: number): number {
    return this.unheardDesignated[slot];
  }

  /** A gossip message new to us arrived (from anyone); `designated` is the slot mask of the relays we designate. */
  newMessage(designated = 0): void {
    this.messages++;
    while (designated !== 0) {
      const slot = 31 - Math.clz32(designated);
      designated &= ~(1 << slot);
      if (slot < this.unheardDesignated.length && this.unheardDesignated[slot] < SILENT_AFTER_MESSAGES) this.unheardDesignated[slot]++;
    }
  }

  /** The neighbor in `slot` transmitted gossip of another origin (a first copy or a duplicate). */
  heardRelaying(slot: number): void {
    this.since[slot] = this.messages;
    this.unheardDesignated[slot] = 0;
  }

  silent(slot: number): boolean {
    return this.messages - this.since[slot] >= SILENT_AFTER_MESSAGES;
  }

  /** Designated by us through SILENT_AFTER_MESSAGES new messages and never heard relaying: not to designate. */
  brokePromise(slot: number): boolean {
    return this.unheardDesignated[slot] >= SILENT_AFTER_MESSAGES;
  }
}
