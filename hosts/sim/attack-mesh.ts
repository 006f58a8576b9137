/**
 * A mesh under attack in the simulator: honest nodes running the real core (publishing gossip and
 * taking readings for the gateways), and insiders running modified firmware (insider-attacker.ts).
 * Measures what the attack leaves of the honest mesh: gossip delivery among honest nodes
 * (honest-delivery.ts) and readings at the gateways (reading-ledger.ts), each against what the
 * honest graph allows.
 */
import { createNodeConfig, type NodeConfig } from "../../modules/config.js";
import type { MeshEvent } from "../../modules/events.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import { nodeCrypto } from "../node/node-crypto.js";
import { CountingCrypto } from "./counting-crypto.js";
import { bfsDistances } from "./graph.js";
import { HonestDelivery } from "./honest-delivery.js";
import { InsiderAttacker, type Misbehavior } from "./insider-attacker.js";
import { MeshDevice, periodicSchedule } from "./mesh-device.js";
import { provisionMesh } from "./provision.js";
import { ReadingLedger, type ReadingTotals } from "./reading-ledger.js";
import { Simulator } from "./simulator.js";
import type { Topology } from "./topology.js";

export interface AttackMeshOptions {
  topology: Topology;
  seed: number;
  loss: number;
  gateways: readonly number[];
  attackers: ReadonlyMap<number, Misbehavior>;
  /** Each honest node publishes a gossip message this often (0: never)… */
  publishPeriodMs: number;
  /** …and each honest node that is not a gateway takes a reading this often (0: never)… */
  readingPeriodMs: number;
  /** …from the end of the warm-up until quietFromMs, so the last ones have time to arrive. */
  warmupMs: number;
  quietFromMs: number;
  config?: Partial<NodeConfig>;
  onEvent?: (index: number, event: MeshEvent, now: number) => void;
}

export class AttackMesh {
  readonly simulator: Simulator;
  readonly honest: Uint8Array;
  readonly delivery: HonestDelivery;
  readonly readings = new ReadingLedger();
  readonly provisioning: Provisioning[];
  private readonly nodes: MeshNode[] = [];
  private readonly devices: (InsiderAttacker | MeshDevice)[] = [];
  private readonly indexOf = new Map<string, number>();
  /** 1 for the honest nodes that have a path to a gateway over honest nodes. */
  private readonly reachesGateway: Uint8Array;

  constructor(readonly options: AttackMeshOptions) {
    const { topology, seed, gateways, attackers, publishPeriodMs, readingPeriodMs, warmupMs, quietFromMs } = options;
    const n = topology.neighbors.length;
    this.honest = new Uint8Array(n).fill(1);
    for (const i of attackers.keys()) this.honest[i] = 0;
    this.delivery = new HonestDelivery(topology.neighbors, this.honest);
    this.reachesGateway = new Uint8Array(n);
    for (const g of gateways) {
      const d = bfsDistances(topology.neighbors, g, this.honest);
      for (let i = 0; i < n; i++) if (d[i] >= 0) this.reachesGateway[i] = 1;
    }
    this.provisioning = provisionMesh(seed, n, new Map(gateways.map((g) => [g, Role.Gateway])));
    const config = createNodeConfig(options.config);
    // Receivers of one broadcast share its open (counting-crypto.ts): the same bytes, far faster.
    const crypto = new CountingCrypto(nodeCrypto, true);
    this.simulator = new Simulator({
      topology, seed, radio: { loss: options.loss },
      createDevice: (i, ports) => {
        const node = new MeshNode(this.provisioning[i], { crypto, random: ports.random, storage: ports.storage }, config);
        this.nodes[i] = node;
        this.indexOf.set(node.idHex, i);
        const misbehavior = attackers.get(i);
        if (misbehavior) return (this.devices[i] = new InsiderAttacker(node, misbehavior, crypto, this.provisioning[i]));
        const phase = (i * 7919) % 60_000;
        const gossip = publishPeriodMs > 0 ? periodicSchedule(warmupMs + (phase % publishPeriodMs), publishPeriodMs, quietFromMs) : null;
        const readings = readingPeriodMs > 0 && !gateways.includes(i)
          ? periodicSchedule(warmupMs + (phase % readingPeriodMs), readingPeriodMs, quietFromMs) : null;
        return (this.devices[i] = new MeshDevice(node, gossip, (origin, seq) => this.delivery.publishedBy(i, `${origin}:${seq}`),
          readings, (origin, seq, now) => this.readings.took(origin, seq, now)));
      },
      onEvent: (i, e, now) => {
        if (e.type === "message") this.delivery.receivedAt(i, `${e.origin}:${e.seq}`);
        else if (e.type === "reading") this.readings.delivered(e.origin, e.seq, e.verified, now);
        options.onEvent?.(i, e, now);
      },
    });
    this.simulator.startAll(0);
  }

  node(i: number): MeshNode {
    return this.nodes[i];
  }

  run(untilMs: number): void {
    this.simulator.runUntil(untilMs);
  }

  /** Readings at the gateways; those of nodes with no honest path to one are counted apart, not lost. */
  readingTotals(): ReadingTotals {
    return this.readings.totals((origin) => this.reachesGateway[this.indexOf.get(origin) ?? 0] === 1);
  }

  /** DATA items the attackers took custody of and dropped. */
  get droppedByAttackers(): number {
    let sum = 0;
    for (const d of this.devices) if (d instanceof InsiderAttacker) sum += d.dropped;
    return sum;
  }

  /** CONFIRMs the attackers forged. */
  get forgedByAttackers(): number {
    let sum = 0;
    for (const d of this.devices) if (d instanceof InsiderAttacker) sum += d.forged;
    return sum;
  }
}
