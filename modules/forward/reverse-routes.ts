/**
 * Reverse routes: for each origin whose data passed through us, the neighbor it came from. A gateway's
 * CONFIRM walks these back to the origin. Bounded: `capacity` origins, least recently used forgotten.
 */
import { toHex } from "../bytes.js";

export class ReverseRoutes {
  private readonly slots = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  learn(origin: Uint8Array, slot: number): void {
    const key = toHex(origin);
    this.slots.delete(key);
    if (this.slots.size >= this.capacity) this.slots.delete(this.slots.keys().next().value as string);
    this.slots.set(key, slot);
  }

  /** The neighbor slot toward `origin`, -1 if unknown. */
  get(origin: Uint8Array): number {
    return this.slots.get(toHex(origin)) ?? -1;
  }
}
