/**
 * Delivery of honest gossip under attack: each message honest origins published, against the honest
 * nodes that could have received it (those in its origin's connected component of the honest graph,
 * origin excluded). Attackers neither count as publishers nor as receivers: the figure is what the
 * attack left of the honest mesh's delivery. Shared by the attack scenarios.
 */
import { bfsDistances, type Adjacency } from "./graph.js";

export class HonestDelivery {
  /** Component index of each honest node in the honest graph; -1 for attackers. */
  private readonly component: Int32Array;
  private readonly componentSize: number[] = [];
  /** "origin:seq" → origin's index, for messages honest nodes published. */
  private readonly published = new Map<string, number>();
  /** "origin:seq" → honest receptions. */
  private readonly receptions = new Map<string, number>();
  /** Per honest node, the published messages it received (distinct). */
  private readonly receivedBy: Set<string>[];

  /** `honest[i]` is 1 for an honest node, 0 for an attacker (or a device that is no node). */
  constructor(adjacency: Adjacency, private readonly honest: Uint8Array) {
    const n = adjacency.length;
    this.component = new Int32Array(n).fill(-1);
    this.receivedBy = Array.from({ length: n }, () => new Set<string>());
    for (let i = 0; i < n; i++) {
      if (!honest[i] || this.component[i] >= 0) continue;
      const d = bfsDistances(adjacency, i, honest);
      let size = 0;
      for (let j = 0; j < n; j++) if (d[j] >= 0) { this.component[j] = this.componentSize.length; size++; }
      this.componentSize.push(size);
    }
  }

  publishedBy(origin: number, key: string): void {
    if (this.honest[origin]) this.published.set(key, origin);
  }

  receivedAt(receiver: number, key: string): void {
    if (!this.honest[receiver]) return;
    this.receptions.set(key, (this.receptions.get(key) ?? 0) + 1);
    this.receivedBy[receiver].add(key);
  }

  get messages(): number {
    return this.published.size;
  }

  /** Honest receptions of honest messages over the receptions possible. */
  ratio(): number {
    let delivered = 0;
    let possible = 0;
    for (const [key, origin] of this.published) {
      delivered += this.receptions.get(key) ?? 0;
      possible += this.componentSize[this.component[origin]] - 1;
    }
    return possible ? delivered / possible : 0;
  }

  /** The share of the honest messages `receiver` could have received (its component's, not its own) that it did. */
  ratioAt(receiver: number): number {
    let possible = 0;
    let got = 0;
    const mine = this.component[receiver];
    for (const [key, origin] of this.published) {
      if (origin === receiver || this.component[origin] !== mine) continue;
      possible++;
      if (this.receivedBy[receiver].has(key)) got++;
    }
    return possible ? got / possible : 0;
  }
}
