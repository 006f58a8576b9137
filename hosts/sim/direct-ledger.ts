/**
 * Messages sent to one node (`MeshNode.sendToNode`) in a simulated run: each sent, each delivered
 * (`direct-message` events), and how long it took. Delivery is judged at the destination the sender
 * named, so a message delivered anywhere else counts as misdelivered.
 */
export interface DirectTotals {
  sent: number;
  /** Messages refused at their origin (own items filled their half of the custody queue). */
  refused: number;
  delivered: number;
  duplicated: number;
  misdelivered: number;
  /** Delivery latency of each delivered message, ms, in delivery order. */
  latenciesMs: number[];
}

export class DirectLedger {
  private readonly pending = new Map<string, { to: number; at: number; delivered: boolean }>();
  readonly totals: DirectTotals = { sent: 0, refused: 0, delivered: 0, duplicated: 0, misdelivered: 0, latenciesMs: [] };

  /** `seq` 0: the origin refused it. */
  sent(originHex: string, seq: number, to: number, at: number): void {
    if (seq === 0) {
      this.totals.refused++;
      return;
    }
    this.totals.sent++;
    this.pending.set(`${originHex}:${seq}`, { to, at, delivered: false });
  }

  delivered(at: number, originHex: string, seq: number, now: number): void {
    const m = this.pending.get(`${originHex}:${seq}`);
    if (!m || m.to !== at) {
      this.totals.misdelivered++;
    } else if (m.delivered) {
      this.totals.duplicated++;
    } else {
      m.delivered = true;
      this.totals.delivered++;
      this.totals.latenciesMs.push(now - m.at);
    }
  }
}
