/**
 * A whole simulated mesh: a topology, the radio, one MeshDevice per node running the real core,
 * scripted failures and partitions, and the measurements the report and the benchmarks need.
 *
 * Engine-neutral: the crypto binding and the nodes' provisioning come in as a MeshPlatform, so the
 * same simulation runs on Node (mesh-simulation.ts) and inside XS (test/xs-mesh.test.ts).
 */
import { createNodeConfig, DEFAULT_NODE_CONFIG, type NodeConfig } from "../../modules/config.js";
import { dropReasonName } from "../../modules/counters.js";
import type { MeshEvent } from "../../modules/events.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import type { Crypto } from "../../modules/ports.js";
import { CountingCrypto, type CryptoCounts } from "./counting-crypto.js";
import { BroadcastLedger, type BroadcastTotals, type FlightRecord, type LatencyRecord } from "./broadcast-ledger.js";
import { ReadingLedger, type ReadingTotals } from "./reading-ledger.js";
import { DirectLedger } from "./direct-ledger.js";
import { bfsDistances } from "./graph.js";
import { MeshDevice, periodicSchedule, type PublishSchedule } from "./mesh-device.js";
import { Rng } from "./rng.js";
import { RunRecorder } from "./run-recorder.js";
import { Simulator, type SendAway } from "./simulator.js";
import { randomGeometricGraph, type Topology } from "./topology.js";
import { Trace, type TraceLanes } from "./trace.js";

/** Periodic publishing stops this long before the end of a run. */
export const DRAIN_MS = 15_000;

export interface Scenario {
  seed: number;
  nodes: number;
  averageDegree: number;
  /** Simulated time to run, ms. */
  durationMs: number;
  /** Probability that any one reception is lost. */
  loss: number;
  /** Each node publishes a reading this often (ms, with a random phase, none in the last DRAIN_MS); 0 = never. */
  publishPeriodMs: number;
  /** No publishing before this (neighbor tables form first), ms. */
  warmupMs: number;
  /** Messages from node `from` to node `to` alone at `at` (`sendToNode`, routes found on demand), counted in `direct`. */
  directMessages?: { from: number; to: number; at: number }[];
  /** Single broadcasts at chosen times (benchmarks), in addition to periodic ones. */
  broadcasts?: { node: number; at: number }[];
  /** Crash node `node` at `at` for `downMs` (RAM lost, storage kept), then reboot. */
  reboots?: { node: number; at: number; downMs: number }[];
  /** Power nodes off for good. */
  stops?: { node: number; at: number }[];
  /** Nodes powered on later than the others (the rest start at 0): late joiners. */
  starts?: { node: number; at: number }[];
  /** Split the plane at x = side/2 between `from` and `to`. */
  partitions?: { from: number; to: number }[];
  /** Nodes with a role other than Node (gateways collect readings). */
  roles?: { node: number; role: Role }[];
  /** Each node that is not a gateway takes a sensor reading this often (ms, random phase, after the warm-up); 0 or absent = never. */
  readingPeriodMs?: number;
  /** No reading is taken after this (ms; default the whole run), so the last ones have time to arrive. */
  readingsUntilMs?: number;
  config?: Partial<NodeConfig>;
  /** Use this topology instead of a random geometric graph. */
  topology?: Topology;
}

/** The report of a run: what its nodes add up to (MeshCounts, but per-node table sizes as a mean) and more. */
export interface SimulationReport extends Omit<MeshCounts, "tableSum" | "onCount"> {
  scenario: Omit<Scenario, "topology">;
  nodes: number;
  /** Mean radio-range degree of the graph. */
  graphDegree: number;
  /** Mean neighbor-table size at the end, over nodes that are on. */
  tableNeighbors: number;
  broadcasts: BroadcastTotals;
  /** Sensor readings to gateways (scenarios with readingPeriodMs). */
  readings?: ReadingTotals;
  /** Hash of every transmission and event: the same seed gives the same digest. */
  traceDigest: string;
  /** Real time the run took, ms (not part of the trace). */
  wallMs: number;
}

/**
 * The repair store must span about three beacon periods of the mesh's message rate, or a neighbor
 * whose HELLO was lost cannot be repaired: boards default to 128 (a 50-node mesh publishing once a
 * minute needs under 20); big simulated meshes get up to the cap of 256.
 */
export function recentCapacityFor(scenario: Scenario): number {
  const rate = scenario.publishPeriodMs > 0 ? scenario.nodes / scenario.publishPeriodMs : 0;
  const beaconMs = scenario.config?.beaconIntervalMs ?? DEFAULT_NODE_CONFIG.beaconIntervalMs;
  return Math.min(256, Math.max(DEFAULT_NODE_CONFIG.recentCapacity, Math.ceil(rate * 3 * beaconMs)));
}

/** What a simulated mesh runs on. */
export interface MeshPlatform {
  /** The binding every node uses; the simulation counts its calls. */
  crypto: Crypto;
  /** Share open and verify results among the receivers of one broadcast (counting-crypto.ts). Default true. */
  shareResults?: boolean;
  /** Every node's provisioning, a function of the seed alone; `roles` lists the nodes that are not Role.Node. */
  provision(seed: number, count: number, roles: ReadonlyMap<number, Role>): Provisioning[];
}

/**
 * One thread's share of a parallel run (hosts/sim/parallel-mesh.ts): the simulation builds every
 * node's identity and the whole topology but runs only the `owned` nodes; frames to the others and
 * its nodes' publications go out through the hooks, the others' publications come in through
 * `heardOf`.
 */
export interface MeshPart {
  /** 1 for the nodes this part runs. */
  owned: Uint8Array;
  sendAway: SendAway;
  /** A node of this part published broadcast (origin, seq) at `at`. */
  published(source: number, origin: string, seq: number, at: number): void;
  /** Each node's event band (SimulatorOptions.bandOf). */
  bandOf?: Uint8Array;
}

/** A part's share of the report (MeshPart): its counts, what its ledger saw of every broadcast, its nodes' trace lanes. */
export interface MeshShare {
  counts: MeshCounts;
  flights: FlightRecord[];
  latencies: LatencyRecord;
  lanes: TraceLanes;
}

/** What the nodes of (a part of) a run add up to: summed over the parts of a parallel run (addCounts). */
export interface MeshCounts {
  framesSent: number;
  bytesSent: number;
  beaconsSent: number;
  relays: number;
  relaysSuppressed: number;
  certificatesVerified: number;
  /** Neighbor-table sizes summed over nodes that are on at the end, and how many those are. */
  tableSum: number;
  onCount: number;
  crypto: CryptoCounts;
  drops: Record<string, number>;
}

export function addCounts(parts: MeshCounts[]): MeshCounts {
  const sum: MeshCounts = {
    framesSent: 0, bytesSent: 0, beaconsSent: 0, relays: 0, relaysSuppressed: 0, certificatesVerified: 0, tableSum: 0, onCount: 0,
    crypto: { sha512: 0, sign: 0, verify: 0, seal: 0, open: 0, agree: 0 }, drops: {},
  };
  for (const p of parts) {
    sum.framesSent += p.framesSent;
    sum.bytesSent += p.bytesSent;
    sum.beaconsSent += p.beaconsSent;
    sum.relays += p.relays;
    sum.relaysSuppressed += p.relaysSuppressed;
    sum.certificatesVerified += p.certificatesVerified;
    sum.tableSum += p.tableSum;
    sum.onCount += p.onCount;
    for (const k of Object.keys(sum.crypto) as (keyof CryptoCounts)[]) sum.crypto[k] += p.crypto[k];
    for (const [name, count] of Object.entries(p.drops)) sum.drops[name] = (sum.drops[name] ?? 0) + count;
  }
  return sum;
}

/** The report of a run from its parts' sums (one part for a serial run). */
export function reportOf(
  scenario: Scenario, topology: Topology, counts: MeshCounts, broadcasts: BroadcastTotals, traceDigest: string, wallMs: number,
  readings?: ReadingTotals,
): SimulationReport {
  const nodes = topology.neighbors.length;
  let degreeSum = 0;
  for (const adj of topology.neighbors) degreeSum += adj.length;
  const { topology: _omit, ...rest } = scenario;
  const drops: Record<string, number> = {};
  for (const name of Object.keys(counts.drops).sort()) drops[name] = counts.drops[name];
  return {
    scenario: rest,
    nodes,
    graphDegree: degreeSum / nodes,
    tableNeighbors: counts.onCount ? counts.tableSum / counts.onCount : 0,
    broadcasts,
    ...(readings ? { readings } : {}),
    framesSent: counts.framesSent,
    bytesSent: counts.bytesSent,
    beaconsSent: counts.beaconsSent,
    relays: counts.relays,
    relaysSuppressed: counts.relaysSuppressed,
    certificatesVerified: counts.certificatesVerified,
    crypto: { ...counts.crypto },
    drops,
    traceDigest,
    wallMs,
  };
}

/** Real time in ms for `wallMs`: `performance` where the host has it (Node, xsnap), else Date. */
function wallClock(): number {
  return typeof performance === "undefined" ? Date.now() : performance.now();
}

export function defaultScenario(): Scenario {
  return {
    seed: 1, nodes: 50, averageDegree: 8, durationMs: 5 * 60_000, loss: 0.1,
    publishPeriodMs: 60_000, warmupMs: 20_000,
  };
}

export class SimulatedMesh {
  readonly topology: Topology;
  readonly simulator: Simulator;
  readonly crypto: CountingCrypto;
  readonly ledger: BroadcastLedger;
  readonly readings = new ReadingLedger();
  readonly direct = new DirectLedger();
  readonly trace: Trace;
  private readonly devices: (MeshDevice | undefined)[];
  private readonly nodeIndex = new Map<string, number>();
  /** Each node's id, once it started. */
  private readonly ids: (Uint8Array | undefined)[] = [];
  private framesSent = 0;
  private gatewayReach: Uint8Array | null = null;
  private bytesSent = 0;
  /** Counters of nodes whose devices were replaced by a reboot, so totals survive crashes. */
  private readonly retired: MeshNode[] = [];
  private recorder: RunRecorder | null = null;

  constructor(readonly scenario: Scenario, platform: MeshPlatform, part?: MeshPart) {
    const { seed, nodes } = scenario;
    this.topology = scenario.topology ?? randomGeometricGraph({ nodes, averageDegree: scenario.averageDegree, seed });
    const n = this.topology.x.length;
    this.trace = new Trace(n);
    const owned = part?.owned;
    const root = new Rng(seed);
    this.crypto = new CountingCrypto(platform.crypto, platform.shareResults ?? true);
    const roles = new Map(scenario.roles?.map((r) => [r.node, r.role]));
    const provisioning = platform.provision(seed, n, roles);
    const gateways = new Set([...roles].filter(([, role]) => role === Role.Gateway).map(([i]) => i));
    if (provisioning.length !== n) throw new RangeError(`the platform provisioned ${provisioning.length} nodes, the topology has ${n}`);
    const config = createNodeConfig({ recentCapacity: recentCapacityFor(scenario), ...scenario.config });
    const appRng = root.fork("app");
    this.devices = new Array<MeshDevice | undefined>(n).fill(undefined);
    // A part does not know whether the others' nodes are on: parallel runs start every node at 0 for good.
    this.ledger = new BroadcastLedger(this.topology, (i) => owned === undefined || owned[i] === 1 ? this.simulator.isOn(i) : true,
      config.hopLimit, part !== undefined);

    const explicit = new Map<number, number[]>();
    for (const b of scenario.broadcasts ?? []) {
      const list = explicit.get(b.node) ?? [];
      list.push(b.at);
      explicit.set(b.node, list);
    }
    for (const list of explicit.values()) list.sort((a, b) => a - b);
    const direct = new Map<number, { from: number; to: number; at: number }[]>();
    for (const m of scenario.directMessages ?? []) {
      const list = direct.get(m.from) ?? [];
      list.push(m);
      direct.set(m.from, list);
    }
    for (const list of direct.values()) list.sort((a, b) => a.at - b.at);

    this.simulator = new Simulator({
      topology: this.topology,
      seed,
      radio: { loss: scenario.loss },
      createDevice: (i, ports) => {
        const node = new MeshNode(provisioning[i], { crypto: this.crypto, random: ports.random, storage: ports.storage }, config);
        this.nodeIndex.set(node.idHex, i);
        this.ids[i] = node.id;
        const old = this.devices[i];
        if (old) this.retired.push(old.node);
        const device = new MeshDevice(node, this.scheduleFor(appRng.fork(i), explicit.get(i)),
          (origin, seq, now) => {
            const reachable = this.ledger.published(i, origin, seq, now);
            part?.published(i, origin, seq, now);
            this.recorder?.published(i, origin, seq, reachable, now);
          },
          gateways.has(i) ? null : this.readingScheduleFor(appRng.fork("readings").fork(i)),
          (origin, seq, now) => {
            this.readings.took(origin, seq, now);
            this.recorder?.readingTaken(now);
          },
          direct.get(i)?.filter((m) => m.at >= this.simulator.now).map((m) => ({
            at: m.at,
            send: (now: number) => {
              const to = this.ids[m.to];
              if (!to) throw new RangeError(`direct message at ${m.at} ms to node ${m.to}, which never started`);
              this.direct.sent(node.idHex, node.sendToNode(to, Uint8Array.of(m.from >>> 8, m.from, m.to >>> 8, m.to), now), m.to, now);
            },
          })) ?? []);
        this.devices[i] = device;
        return device;
      },
      onTransmit: (i, bytes, now) => {
        this.framesSent++;
        this.bytesSent += bytes.length;
        this.trace.transmit(i, bytes, now);
        this.recorder?.transmitted(bytes.length, now);
      },
      onEvent: (i, event, now) => this.onEvent(i, event, now),
      owned,
      sendAway: part?.sendAway,
      bandOf: part?.bandOf,
    });

    const late = new Map(scenario.starts?.map((s) => [s.node, s.at]));
    for (let i = 0; i < n; i++) if (owned === undefined || owned[i] === 1) this.simulator.start(i, late.get(i) ?? 0);
    for (const r of scenario.reboots ?? []) this.simulator.reboot(r.node, r.at, r.downMs);
    for (const s of scenario.stops ?? []) this.simulator.stop(s.node, s.at);
    for (const p of scenario.partitions ?? []) {
      const side = this.topology.side;
      const groups = Int32Array.from(this.topology.x, (x) => (x < side / 2 ? 0 : 1));
      this.simulator.partition(groups, p.from, p.to);
      this.ledger.partition(groups, p.from, p.to);
    }
  }

  /**
   * Periodic publishing with a random phase, merged with any explicit broadcast times. Periodic
   * publishing stops DRAIN_MS before the end so that every counted broadcast had time to spread.
   */
  private scheduleFor(rng: Rng, explicit: number[] | undefined): PublishSchedule | null {
    const { publishPeriodMs: period, warmupMs, durationMs } = this.scenario;
    if (period <= 0 && !explicit) return null;
    const base = warmupMs + (period > 0 ? Math.floor(rng.float() * period) : 0);
    return (after: number) => {
      let next = Infinity;
      if (period > 0) next = after < base ? base : base + (Math.floor((after - base) / period) + 1) * period;
      if (next > durationMs - DRAIN_MS) next = Infinity;
      const t = explicit?.find((t) => t > after);
      return t !== undefined && t < next ? t : next;
    };
  }

  private readingScheduleFor(rng: Rng): PublishSchedule | null {
    const period = this.scenario.readingPeriodMs ?? 0;
    if (period <= 0) return null;
    const until = this.scenario.readingsUntilMs ?? this.scenario.durationMs;
    return periodicSchedule(this.scenario.warmupMs + Math.floor(rng.float() * period), period, until);
  }

  private onEvent(i: number, event: MeshEvent, now: number): void {
    this.trace.event(i, event, now);
    if (event.type === "message") {
      const publishedAt = this.ledger.delivered(i, event.origin, event.seq, event.hops, now);
      this.recorder?.messageDelivered(i, event.origin, event.seq, event.hops, publishedAt, now);
    } else if (event.type === "direct-message") {
      this.direct.delivered(i, event.origin, event.seq, now);
    } else if (event.type === "reading") {
      const takenAt = this.readings.delivered(event.origin, event.seq, event.verified, now);
      this.recorder?.readingDelivered(takenAt, now);
    } else if (event.type === "relayed") {
      this.ledger.relayed(event.origin, event.seq, now);
      this.recorder?.relayed(i, event.origin, event.seq, event.hops, now);
    }
  }

  /**
   * Starts sampling what the HTML report shows (time series, one broadcast's spread); call before
   * running. The sample is the first broadcast published after the warm-up.
   */
  record(): RunRecorder {
    this.recorder ??= new RunRecorder(this.scenario.durationMs, this.topology.x.length, this.scenario.warmupMs);
    return this.recorder;
  }

  /** Whether node `idHex` has a path to some gateway in the graph (partitions aside). */
  private reachesGateway(idHex: string): boolean {
    if (!this.gatewayReach) {
      const n = this.topology.neighbors.length;
      this.gatewayReach = new Uint8Array(n);
      for (const r of this.scenario.roles ?? []) {
        if (r.role !== Role.Gateway) continue;
        const d = bfsDistances(this.topology.neighbors, r.node);
        for (let i = 0; i < n; i++) if (d[i] >= 0) this.gatewayReach[i] = 1;
      }
    }
    const i = this.nodeIndex.get(idHex);
    return i !== undefined && this.gatewayReach[i] === 1;
  }

  /** A node of another part published broadcast (origin, seq) at `at` (MeshPart). */
  heardOf(source: number, origin: string, seq: number, at: number): void {
    this.ledger.published(source, origin, seq, at);
  }

  node(i: number): MeshNode | undefined {
    return this.devices[i]?.node;
  }

  indexOf(idHex: string): number | undefined {
    return this.nodeIndex.get(idHex);
  }

  /**
   * Runs the whole scenario. With `progress`, in steps of `stepMs` simulated ms, calling `onStep`
   * with the simulated time after each; stepping does not change the event order, so the report
   * is the same.
   */
  run(progress?: { stepMs: number; onStep(now: number, wallMs: number): void }): SimulationReport {
    const started = wallClock();
    const end = this.scenario.durationMs;
    if (!progress) this.simulator.runUntil(end);
    for (let t = this.simulator.now; progress && t < end;) {
      t = Math.min(t + progress.stepMs, end);
      this.simulator.runUntil(t);
      progress.onStep(t, wallClock() - started);
    }
    return this.report(wallClock() - started);
  }

  report(wallMs: number): SimulationReport {
    const readings = (this.scenario.readingPeriodMs ?? 0) > 0 ? this.readings.totals((origin) => this.reachesGateway(origin)) : undefined;
    return reportOf(this.scenario, this.topology, this.counts(), this.ledger.totals(), this.trace.digest(), wallMs, readings);
  }

  /** What this simulation's nodes add up to now. */
  counts(): MeshCounts {
    const drops: Record<string, number> = {};
    let beaconsSent = 0, relays = 0, relaysSuppressed = 0, certificatesVerified = 0, tableSum = 0, onCount = 0;
    const all: MeshNode[] = [...this.retired];
    for (let i = 0; i < this.devices.length; i++) {
      const node = this.devices[i]?.node;
      if (!node) continue;
      all.push(node);
      if (this.simulator.isOn(i)) {
        tableSum += node.neighborSummary(this.simulator.now).length;
        onCount++;
      }
    }
    for (const node of all) {
      const c = node.counters;
      beaconsSent += c.beaconsOut;
      relays += c.relays;
      relaysSuppressed += c.relaysSuppressed;
      certificatesVerified += c.certificatesVerified;
      for (const [reason, count] of c.drops) {
        const name = dropReasonName(reason);
        drops[name] = (drops[name] ?? 0) + count;
      }
    }
    return {
      framesSent: this.framesSent, bytesSent: this.bytesSent, beaconsSent, relays, relaysSuppressed, certificatesVerified,
      tableSum, onCount, crypto: { ...this.crypto.counts }, drops,
    };
  }

  /** This part's share of the report (MeshShare). */
  share(): MeshShare {
    return { counts: this.counts(), flights: this.ledger.records(), latencies: this.ledger.latencies(), lanes: this.trace.lanes() };
  }
}
