/**
 * The shared medium. A frame sent by node i is offered to every node within range (or, for unicast,
 * to the one addressed neighbour; a unicast out of range is silently lost). Each reception is lost
 * independently with probability `loss` (or a per-link override) and otherwise arrives `latencyMs`
 * plus uniform integer jitter in [0, jitterMs] later.
 *
 * The draws are made for every receiver in range whether it is powered or not, so they depend on
 * the sender alone: the receiver's side (the simulator) drops what reaches a node that is off. A
 * thread that runs only some of the nodes then draws exactly what a run of all of them draws.
 *
 * Ownership: the SAME Uint8Array is handed to every receiver of one transmission, and the sender's
 * buffer is not copied. Neither sender nor receivers may mutate it afterwards; copying per
 * reception would dominate the simulator's cost.
 *
 * Collisions and airtime are not modelled; loss stands in for them.
 */
import { Rng } from "./rng.js";
import type { Topology } from "./topology.js";

export interface RadioOptions {
  /** Probability each reception is lost. Default 0. */
  loss?: number;
  /** Fixed part of the delay. Default 2 ms. */
  latencyMs?: number;
  /** Extra delay, uniform integer in [0, jitterMs]. Default 3 ms. */
  jitterMs?: number;
}

/** Receives each successful reception (sent at `sentAt`); the simulator turns it into a queued event. */
export type Deliver = (at: number, receiver: number, sender: number, bytes: Uint8Array, sentAt: number) => void;

interface Partition {
  group: Int32Array;
  from: number;
  to: number;
}

export class Radio {
  readonly loss: number;
  readonly latencyMs: number;
  readonly jitterMs: number;
  private readonly neighbors: Int32Array[];
  private readonly n: number;
  private readonly root: Rng;
  /** One stream per sender, forked lazily, so one node's traffic never shifts another's draws. */
  private readonly streams: (Rng | undefined)[];
  private readonly linkLoss = new Map<number, number>();
  private readonly partitions: Partition[] = [];
  /** Scratch: partitions active for the current transmission. */
  private readonly active: Int32Array[] = [];

  constructor(topology: Topology, options: RadioOptions, rng: Rng, private readonly deliver: Deliver) {
    this.neighbors = topology.neighbors;
    this.n = topology.neighbors.length;
    this.loss = options.loss ?? 0;
    this.latencyMs = options.latencyMs ?? 2;
    this.jitterMs = options.jitterMs ?? 3;
    this.root = rng;
    this.streams = new Array<Rng | undefined>(this.n).fill(undefined);
  }

  /** Overrides the loss probability for frames from `from` to `to` (directed). */
  setLinkLoss(from: number, to: number, loss: number): void {
    this.linkLoss.set(from * this.n + to, loss);
  }

  /** The loss probability of frames from `from` to `to`: its override, else the radio's. */
  lossOf(from: number, to: number): number {
    return this.linkLoss.get(from * this.n + to) ?? this.loss;
  }

  /**
   * During [from, to) (judged at send time), nodes with different `group` values can't hear
   * each other. Overlapping partitions combine: any one separating a pair blocks it.
   */
  partition(group: ArrayLike<number>, from: number, to: number): void {
    if (group.length !== this.n) throw new RangeError(`partition needs ${this.n} group entries, got ${group.length}`);
    this.partitions.push({ group: Int32Array.from(group), from, to });
  }

  /** Sends `bytes` from `from` to all neighbours (`to` null) or one neighbour; returns receptions scheduled. */
  transmit(now: number, from: number, to: number | null, bytes: Uint8Array): number {
    const rng = this.streams[from] ?? (this.streams[from] = this.root.fork(from));
    let active = 0;
    for (let k = 0; k < this.partitions.length; k++) {
      const p = this.partitions[k];
      if (now >= p.from && now < p.to) this.active[active++] = p.group;
    }
    const nbrs = this.neighbors[from];
    let count = 0;
    for (let k = 0; k < nbrs.length; k++) {
      const j = nbrs[k];
      if (to !== null && j !== to) continue;
      count += this.offer(now, from, j, bytes, rng, active);
    }
    return count;
  }

  private offer(now: number, from: number, j: number, bytes: Uint8Array, rng: Rng, active: number): number {
    for (let k = 0; k < active; k++) if (this.active[k][from] !== this.active[k][j]) return 0;
    const loss = this.linkLoss.size === 0 ? this.loss : this.lossOf(from, j);
    if (loss > 0 && rng.float() < loss) return 0;
    const jitter = this.jitterMs > 0 ? rng.int(this.jitterMs + 1) : 0;
    this.deliver(now + this.latencyMs + jitter, j, from, bytes, now);
    return 1;
  }
}
