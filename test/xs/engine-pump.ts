/**
 * Joins node pools that live in different engines (Node, XS) into one mesh: an async discrete-event
 * loop on a virtual clock with the simulator's radio between them. At each instant every engine gets
 * one batch of steps (deliveries, publications, due ticks) and answers with what its nodes sent; the
 * radio delays every frame by at least 2 ms, so the order of engines within an instant does not matter.
 */
import { fromHex, toHex } from "../../modules/bytes.js";
import { EventQueue } from "../../hosts/sim/event-queue.js";
import { Radio } from "../../hosts/sim/radio.js";
import { Rng } from "../../hosts/sim/rng.js";
import type { Topology } from "../../hosts/sim/topology.js";
import type { EventRecord, Step, StepOutput } from "./node-pool.js";

export interface Engine {
  /** Mesh indices of the engine's nodes, in pool order. */
  readonly members: readonly number[];
  apply(now: number, steps: Step[]): Promise<StepOutput[]> | StepOutput[];
}

export interface LoggedEvent {
  node: number;
  at: number;
  event: EventRecord;
}

export class EnginePump {
  readonly events: LoggedEvent[] = [];
  private readonly deliveries = new EventQueue<Uint8Array>();
  private readonly radio: Radio;
  private readonly deadline: Float64Array;
  /** Mesh index → [engine, index in its pool]. */
  private readonly home: [number, number][] = [];
  /** What nodes send on their own (messages, commands), in time order. */
  private readonly publications: { node: number; at: number; step: (local: number) => Step }[] = [];
  private started = false;

  /** Lossless radio (2–5 ms per frame) over `topology`, its jitter drawn from `seed`. */
  constructor(topology: Topology, private readonly engines: readonly Engine[], seed: number) {
    const n = topology.neighbors.length;
    engines.forEach((e, k) => e.members.forEach((node, local) => (this.home[node] = [k, local])));
    for (let i = 0; i < n; i++) if (!this.home[i]) throw new RangeError(`node ${i} belongs to no engine`);
    this.deadline = new Float64Array(n).fill(Infinity);
    const queue = this.deliveries;
    this.radio = new Radio(topology, {}, new Rng(seed).fork("radio"), (at, receiver, sender, bytes) => queue.push(at, receiver, sender, 0, bytes));
  }

  /** Node `node` publishes `payload` at `at`. */
  publish(node: number, at: number, payload: Uint8Array): void {
    this.schedule(node, at, (local) => ({ node: local, op: "publish", payload: toHex(payload) }));
  }

  /** Node `node` sends a command to node id `target` (hex) at `at`. */
  command(node: number, at: number, target: string, path: string, value: Uint8Array): void {
    this.schedule(node, at, (local) => ({ node: local, op: "command", target, path, value: toHex(value) }));
  }

  private schedule(node: number, at: number, step: (local: number) => Step): void {
    this.publications.push({ node, at, step });
    this.publications.sort((a, b) => a.at - b.at || a.node - b.node);
  }

  /** Starts every node at 0 (first call) and runs every instant up to `end`. */
  async runUntil(end: number): Promise<void> {
    if (!this.started) {
      this.started = true;
      const batch = this.batch();
      this.home.forEach((_, node) => batch.add(node, (local) => ({ node: local, op: "start" })));
      await this.run(0, batch.steps);
    }
    for (;;) {
      let t = Math.min(this.deliveries.peekTime(), this.publications[0]?.at ?? Infinity);
      for (const d of this.deadline) t = Math.min(t, Math.ceil(d));
      if (t > end) return;
      const batch = this.batch();
      const q = this.deliveries;
      while (q.peekTime() === t) {
        q.pop();
        const frame = toHex(q.payload!);
        const link = q.order;
        batch.add(q.rank, (local) => ({ node: local, op: "receive", frame, link }));
      }
      while (this.publications.length > 0 && this.publications[0].at === t) {
        const p = this.publications.shift()!;
        batch.add(p.node, p.step);
      }
      this.deadline.forEach((d, node) => {
        if (Math.ceil(d) <= t) batch.add(node, (local) => ({ node: local, op: "tick" }));
      });
      await this.run(t, batch.steps);
    }
  }

  /** Steps for one instant, one list per engine. */
  private batch(): { steps: Step[][]; add(node: number, step: (local: number) => Step): void } {
    const steps: Step[][] = this.engines.map(() => []);
    return {
      steps,
      add: (node, step) => {
        const [k, local] = this.home[node];
        steps[k].push(step(local));
      },
    };
  }

  private async run(t: number, steps: Step[][]): Promise<void> {
    const outputs = await Promise.all(this.engines.map((e, k) => (steps[k].length > 0 ? e.apply(t, steps[k]) : [])));
    outputs.forEach((list, k) => {
      for (const out of list) {
        const node = this.engines[k].members[out.node];
        for (const frame of out.frames) this.radio.transmit(t, node, null, fromHex(frame));
        for (const event of out.events) this.events.push({ node, at: t, event });
        this.deadline[node] = out.nextTimeout ?? Infinity;
      }
    });
  }
}
