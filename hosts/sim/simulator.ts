/**
 * Deterministic discrete-event simulator. A virtual clock in integer ms jumps from event to event;
 * nothing sleeps. Every random draw comes from a seeded stream, so a (topology, options, seed,
 * device code) tuple replays exactly.
 *
 * Events at equal times run in an order each node determines alone: by node, then power-off,
 * power-on, receptions (by sender, then the sender's transmission number), tick. Nothing in it
 * depends on when an event was queued, so a thread that runs a part of the network (with the frames
 * from the rest handed in by `deliverFrom`) runs each of its nodes exactly as a run of the whole
 * network does (hosts/sim/parallel-mesh.ts).
 *
 * Per node it keeps: the current device (RAM; dropped on stop/crash), a persistent MemoryStorage
 * and Random (flash and the hardware RNG; survive reboots), and at most one live tick event.
 * After every call into a device it drains transmits (to the radio) and events (to `onEvent`),
 * then schedules a tick at `nextTimeout()` if that is earlier than the one already queued.
 */
import type { MeshEvent, Transmit } from "../../modules/events.js";
import type { CreateDevice, DevicePorts, SimDevice } from "./device.js";
import { EventQueue } from "./event-queue.js";
import { Radio, type RadioOptions } from "./radio.js";
import { Rng } from "./rng.js";
import { MemoryStorage } from "./storage.js";
import type { Topology } from "./topology.js";

export type { CreateDevice, DevicePorts, SimDevice } from "./device.js";

// Event kinds, in their order among one node's events at one instant: rank = node * KINDS + kind.
const POWER_OFF = 0;
const POWER_ON = 1;
const DELIVER = 2;
const TICK = 3;
const KINDS = 4;
/** A reception's order: sender * TX_SPAN + the sender's transmission number. */
const TX_SPAN = 2 ** 32;

/** Receives a frame for a node another simulator runs (SimulatorOptions.owned). */
export type SendAway = (at: number, receiver: number, sender: number, txNumber: number, sentAt: number, bytes: Uint8Array) => void;

export interface SimulatorOptions {
  topology: Topology;
  seed: number;
  createDevice: CreateDevice;
  radio?: RadioOptions;
  /** Every frame a device hands over, before the radio fans it out. Keep it cheap. */
  onTransmit?: (index: number, bytes: Uint8Array, now: number) => void;
  onEvent?: (index: number, event: MeshEvent, now: number) => void;
  /**
   * Livelock guard: more events than this without the clock advancing throws. Default 1,000,000,
   * far above a 10,000-node network all acting in the same millisecond.
   */
  maxStepsPerInstant?: number;
  /**
   * The nodes this simulator runs (1) when others run the rest: receptions by the others go to
   * `sendAway` instead of the queue. Default: all.
   */
  owned?: Uint8Array;
  sendAway?: SendAway;
  /**
   * Each node's band (0 to bands − 1): its events go into a queue of their own per band, so that
   * `runBands` can run one band further ahead than another. Default: one band (one queue).
   */
  bandOf?: Uint8Array;
}

export class Simulator {
  readonly size: number;
  readonly radio: Radio;
  private clock = 0;
  /** One queue per band; a node's events all go into its band's. */
  private readonly queues: EventQueue<Uint8Array>[];
  /** Each band's earliest event time (Infinity: none), kept as events come and go: runBands picks a band per event. */
  private readonly heads: Float64Array;
  private readonly bandOf: Uint8Array;
  /** runUntil's limits, one per band. */
  private readonly limits: Float64Array;
  private readonly owned: Uint8Array | undefined;
  private readonly sendAway: SendAway | undefined;
  private readonly createDevice: CreateDevice;
  private readonly onTransmit: SimulatorOptions["onTransmit"];
  private readonly onEvent: SimulatorOptions["onEvent"];
  private readonly maxStepsPerInstant: number;
  private readonly deviceRng: Rng;
  private readonly devices: (SimDevice | undefined)[];
  private readonly ports: (DevicePorts & { storage: MemoryStorage })[];
  /** 1 while powered. */
  private readonly on: Uint8Array;
  /** Time of the last power-on: frames sent earlier were in flight while off and are dropped. */
  private readonly onSince: Float64Array;
  /** Transmissions per node so far: numbers its frames, a reception's tie key. */
  private readonly txCount: Float64Array;
  /** The transmission the radio is fanning out (its number). */
  private txNumber = 0;
  /** Time of the node's live tick event (Infinity: none). */
  private readonly deadline: Float64Array;
  /** Bumped per tick scheduled and at power-off; a tick event carrying an older value is stale. */
  private readonly tickGen: Int32Array;

  constructor(options: SimulatorOptions) {
    const n = options.topology.neighbors.length;
    this.size = n;
    this.createDevice = options.createDevice;
    this.onTransmit = options.onTransmit;
    this.onEvent = options.onEvent;
    this.maxStepsPerInstant = options.maxStepsPerInstant ?? 1_000_000;
    const root = new Rng(options.seed);
    this.deviceRng = root.fork("device");
    this.devices = new Array<SimDevice | undefined>(n).fill(undefined);
    this.ports = [];
    this.on = new Uint8Array(n);
    this.onSince = new Float64Array(n);
    this.txCount = new Float64Array(n);
    this.bandOf = options.bandOf ?? new Uint8Array(n);
    if (this.bandOf.length !== n) throw new RangeError(`bandOf needs ${n} entries, got ${this.bandOf.length}`);
    let bands = 1;
    for (let i = 0; i < n; i++) bands = Math.max(bands, this.bandOf[i] + 1);
    this.queues = Array.from({ length: bands }, () => new EventQueue<Uint8Array>());
    this.heads = new Float64Array(bands).fill(Infinity);
    this.limits = new Float64Array(bands);
    this.owned = options.owned;
    this.sendAway = options.sendAway;
    if (this.owned !== undefined && this.sendAway === undefined) throw new TypeError("a simulator that owns some nodes needs sendAway");
    this.deadline = new Float64Array(n).fill(Infinity);
    this.tickGen = new Int32Array(n);
    this.radio = new Radio(options.topology, options.radio ?? {}, root.fork("radio"), (at, receiver, sender, bytes, sentAt) => {
      if (this.owned === undefined || this.owned[receiver] === 1) this.deliverFrom(at, receiver, sender, this.txNumber, sentAt, bytes);
      else (this.sendAway as SendAway)(at, receiver, sender, this.txNumber, sentAt, bytes);
    });
  }

  get now(): number {
    return this.clock;
  }

  /** Time of the next scheduled event (Infinity when none): lets a test step one instant at a time. */
  get nextEventAt(): number {
    let t = Infinity;
    for (const h of this.heads) t = Math.min(t, h);
    return t;
  }

  /** Time of band `b`'s next event (Infinity when none). */
  bandNextAt(b: number): number {
    return this.heads[b];
  }

  get bands(): number {
    return this.queues.length;
  }

  /** Queues the reception of frame number `txNumber` of `sender`, sent at `sentAt` (frames from another simulator). */
  deliverFrom(at: number, receiver: number, sender: number, txNumber: number, sentAt: number, bytes: Uint8Array): void {
    this.push(receiver, at, receiver * KINDS + DELIVER, sender * TX_SPAN + txNumber, sentAt, bytes);
  }

  /** Events still queued (including stale ticks). */
  get pending(): number {
    let size = 0;
    for (const q of this.queues) size += q.size;
    return size;
  }

  isOn(i: number): boolean {
    return this.on[i] === 1;
  }

  /** The running device, undefined while the node is off. */
  device(i: number): SimDevice | undefined {
    return this.devices[i];
  }

  /** The node's flash; exists (empty) before first boot and survives every reboot. */
  storage(i: number): MemoryStorage {
    return this.portsOf(i).storage;
  }

  /** Powers node i on at `at` (a no-op if it is already on then). */
  start(i: number, at = this.clock): void {
    this.schedule(i, at, POWER_ON);
  }

  startAll(at = this.clock): void {
    for (let i = 0; i < this.size; i++) this.start(i, at);
  }

  /** Powers node i off at `at`: its device (RAM) is dropped, its storage kept. */
  stop(i: number, at = this.clock): void {
    this.schedule(i, at, POWER_OFF);
  }

  /** Same as stop: a crash loses RAM and keeps flash. A separate name keeps scenarios readable. */
  crash(i: number, at = this.clock): void {
    this.schedule(i, at, POWER_OFF);
  }

  /** Crash at `at`, then boot a fresh device over the same storage `downMs` later. */
  reboot(i: number, at: number, downMs: number): void {
    if (!(downMs >= 0)) throw new RangeError(`reboot needs downMs ≥ 0, got ${downMs}`);
    this.schedule(i, at, POWER_OFF);
    this.schedule(i, at + downMs, POWER_ON);
  }

  /** Nodes in different `groups` can't hear each other during [from, to). */
  partition(groups: ArrayLike<number>, from: number, to: number): void {
    this.radio.partition(groups, from, to);
  }

  /**
   * Runs every event with time ≤ t, then sets the clock to t. Returns the number of events
   * processed. Throws if more than `maxSteps` events run, or too many run in one instant.
   */
  runUntil(t: number, maxSteps = Infinity): number {
    if (!(t >= this.clock)) throw new RangeError(`runUntil(${t}) is before now (${this.clock})`);
    this.limits.fill(t);
    const steps = this.runBands(this.limits, maxSteps);
    this.clock = t;
    return steps;
  }

  /**
   * Runs every event of band b with time ≤ limits[b], earliest first across bands; returns how many
   * ran. The clock is left at the last event's time. Events of different nodes closer in time than
   * the radio's latency can't affect each other, so bands given limits their nodes' inputs allow
   * may run out of step (hosts/sim/parallel-worker.ts); with equal limits this is runUntil.
   */
  runBands(limits: ArrayLike<number>, maxSteps = Infinity): number {
    const heads = this.heads;
    let steps = 0;
    let instant = NaN;
    let atInstant = 0;
    for (;;) {
      let band = -1;
      let first = Infinity;
      for (let b = 0; b < heads.length; b++) {
        const t = heads[b];
        if (t <= limits[b] && t < first) {
          first = t;
          band = b;
        }
      }
      if (band < 0) return steps;
      const q = this.queues[band];
      q.pop();
      heads[band] = q.peekTime();
      const now = q.time;
      if (now !== instant) {
        instant = now;
        atInstant = 0;
      }
      if (++atInstant > this.maxStepsPerInstant) {
        throw new Error(`livelock: over ${this.maxStepsPerInstant} events at t=${now} ms (last: kind ${q.rank % KINDS}, node ${Math.floor(q.rank / KINDS)})`);
      }
      if (++steps > maxSteps) throw new Error(`step bound: over ${maxSteps} events (now ${now} ms)`);
      this.clock = now;
      this.dispatch(q);
    }
  }

  private dispatch(q: EventQueue<Uint8Array>): void {
    const rank = q.rank;
    const i = Math.floor(rank / KINDS);
    switch (rank - i * KINDS) {
      case DELIVER: {
        const dev = this.devices[i];
        if (dev === undefined || q.aux < this.onSince[i]) return;
        dev.receive(q.payload as Uint8Array, Math.floor(q.order / TX_SPAN), this.clock);
        this.settle(i, dev);
        return;
      }
      case TICK: {
        if (q.order !== this.tickGen[i]) return;
        const dev = this.devices[i] as SimDevice;
        this.deadline[i] = Infinity;
        // The deadline may have moved later since this tick was queued; then just requeue.
        if (dev.nextTimeout() <= this.clock) dev.tick(this.clock);
        this.settle(i, dev);
        return;
      }
      case POWER_ON: {
        if (this.on[i] === 1) return;
        this.on[i] = 1;
        this.onSince[i] = this.clock;
        const dev = this.createDevice(i, this.portsOf(i));
        this.devices[i] = dev;
        dev.start(this.clock);
        this.settle(i, dev);
        return;
      }
      case POWER_OFF: {
        this.on[i] = 0;
        this.devices[i] = undefined;
        this.deadline[i] = Infinity;
        this.tickGen[i] = (this.tickGen[i] + 1) | 0;
        return;
      }
    }
  }

  /** Drains what the device produced and makes sure its next deadline has a tick queued. */
  private settle(i: number, dev: SimDevice): void {
    const now = this.clock;
    for (let tx = dev.pollTransmit(); tx !== undefined; tx = dev.pollTransmit()) this.send(i, tx, now);
    const onEvent = this.onEvent;
    for (let ev = dev.pollEvent(); ev !== undefined; ev = dev.pollEvent()) if (onEvent !== undefined) onEvent(i, ev, now);
    const due = dev.nextTimeout();
    if (due < this.deadline[i]) {
      const at = due > now ? Math.ceil(due) : now;
      this.deadline[i] = at;
      const gen = (this.tickGen[i] + 1) | 0;
      this.tickGen[i] = gen;
      this.push(i, at, i * KINDS + TICK, gen, 0);
    }
  }

  private send(i: number, tx: Transmit, now: number): void {
    const to = tx.to;
    if (to !== null && typeof to !== "number") throw new TypeError(`node ${i} sent to link ${String(to)}: sim links are node indices`);
    if (this.onTransmit !== undefined) this.onTransmit(i, tx.bytes, now);
    this.txNumber = this.txCount[i]++;
    this.radio.transmit(now, i, to, tx.bytes);
  }

  private schedule(i: number, at: number, kind: number): void {
    if (!(i >= 0 && i < this.size && Number.isInteger(i))) throw new RangeError(`no node ${i}`);
    if (!(at >= this.clock)) throw new RangeError(`can't schedule at ${at}: now is ${this.clock}`);
    if (this.owned !== undefined && this.owned[i] !== 1) throw new RangeError(`node ${i} is run by another simulator`);
    this.push(i, at, i * KINDS + kind, 0, 0);
  }

  /** Queues an event of node i (EventQueue.push) in its band's queue. */
  private push(i: number, at: number, rank: number, order: number, aux: number, payload?: Uint8Array): void {
    const b = this.bandOf[i];
    this.queues[b].push(at, rank, order, aux, payload);
    if (at < this.heads[b]) this.heads[b] = at;
  }

  private portsOf(i: number): DevicePorts & { storage: MemoryStorage } {
    let p = this.ports[i];
    if (p === undefined) {
      p = { random: this.deviceRng.fork(i), storage: new MemoryStorage() };
      this.ports[i] = p;
    }
    return p;
  }
}
