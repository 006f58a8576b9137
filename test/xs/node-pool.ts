/**
 * Some MeshNodes in one engine, driven by batches of steps that all happen at one instant; what the
 * nodes produce comes back as plain JSON-able records. The same class runs on Node and inside XS
 * (pool-entry.ts), so a mesh can mix nodes of both engines (test/xs-mixed.test.ts).
 */
import { fromHex, toHex } from "../../modules/bytes.js";
import { dropReasonName } from "../../modules/counters.js";
import type { MeshEvent } from "../../modules/events.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import type { Crypto } from "../../modules/ports.js";
import { Rng } from "../../hosts/sim/rng.js";
import { SIM_EPOCH_SECONDS } from "../../hosts/sim/sim-epoch.js";
import { MemoryStorage } from "../../hosts/sim/storage.js";

/** One input to the pool's node `node`; `link` is the sender's index in the whole mesh. */
export type Step =
  | { node: number; op: "start" | "tick" }
  | { node: number; op: "receive"; frame: string; link: number }
  | { node: number; op: "publish"; payload: string }
  | { node: number; op: "command"; target: string; path: string; value: string };

/** A MeshEvent with its bytes in hex. */
export interface EventRecord {
  type: MeshEvent["type"];
  id?: string;
  origin?: string;
  seq?: number;
  /** A message's payload or a command's value, hex. */
  payload?: string;
  path?: string;
}

export interface StepOutput {
  node: number;
  /** Frames to broadcast, hex. */
  frames: string[];
  events: EventRecord[];
  /** The node's next deadline; null for none (JSON has no Infinity). */
  nextTimeout: number | null;
}

export interface NodeState {
  id: string;
  neighbors: string[];
  messagesNew: number;
  drops: Record<string, number>;
}

function eventRecord(e: MeshEvent): EventRecord {
  switch (e.type) {
    case "neighbor-up":
    case "neighbor-down":
      return { type: e.type, id: e.id };
    case "message":
      return { type: e.type, origin: e.origin, seq: e.seq, payload: toHex(e.payload) };
    case "command":
      return { type: e.type, origin: e.origin, seq: e.seq, path: e.path, payload: toHex(e.value) };
    case "relayed":
      return { type: e.type, origin: e.origin, seq: e.seq };
    default:
      return { type: e.type };
  }
}

export class NodePool {
  private readonly nodes: MeshNode[];

  /** Node i draws from `new Rng(seed).fork(i)` and keeps an in-memory flash. */
  constructor(provisioning: Provisioning[], crypto: Crypto, seed: number) {
    const root = new Rng(seed);
    this.nodes = provisioning.map((p, i) => new MeshNode(p, { crypto, random: root.fork(i), storage: new MemoryStorage() }));
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.idHex);
  }

  /** Applies `steps` in order at time `now` and reports, per step, what its node produced. */
  apply(now: number, steps: Step[]): StepOutput[] {
    return steps.map((step) => {
      const node = this.nodes[step.node];
      switch (step.op) {
        case "start":
          node.start(now);
          node.setWallClock(SIM_EPOCH_SECONDS + Math.floor(now / 1000), now);
          break;
        case "tick":
          node.tick(now);
          break;
        case "receive":
          node.receive(fromHex(step.frame), step.link, now);
          break;
        case "publish":
          node.publish(fromHex(step.payload), now);
          break;
        case "command":
          node.sendCommand(fromHex(step.target), step.path, fromHex(step.value), now);
          break;
      }
      const frames: string[] = [];
      for (let t = node.pollTransmit(); t; t = node.pollTransmit()) frames.push(toHex(t.bytes));
      const events: EventRecord[] = [];
      for (let e = node.pollEvent(); e; e = node.pollEvent()) events.push(eventRecord(e));
      const next = node.nextTimeout();
      return { node: step.node, frames, events, nextTimeout: next === Infinity ? null : next };
    });
  }

  state(now: number): NodeState[] {
    return this.nodes.map((n) => {
      const drops: Record<string, number> = {};
      for (const [reason, count] of n.counters.drops) drops[dropReasonName(reason)] = count;
      return { id: n.idHex, neighbors: n.neighborSummary(now).map((s) => s.id), messagesNew: n.counters.messagesNew, drops };
    });
  }
}
