import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MeshEvent, Transmit } from "../modules/events.js";
import type { DevicePorts, SimDevice } from "../hosts/sim/device.js";
import { componentOf } from "../hosts/sim/graph.js";
import { Simulator } from "../hosts/sim/simulator.js";
import { randomGeometricGraph, type Topology } from "../hosts/sim/topology.js";
import { Trace } from "../hosts/sim/trace.js";

/**
 * Fake node: every period ± 100 ms (its own Random) it broadcasts its round counter; it
 * rebroadcasts, once, any counter higher than every counter it has seen or sent. Counts boots in
 * storage so reboots leave a mark in the frames.
 */
class Flood implements SimDevice {
  highest = 0;
  private round = 0;
  private next = Infinity;
  private boots = 0;
  private readonly out: Transmit[] = [];
  private readonly events: MeshEvent[] = [];

  constructor(private readonly ports: DevicePorts, private readonly periodMs: number) {}

  start(now: number): void {
    this.boots = (this.ports.storage.get("boots")?.[0] ?? 0) + 1;
    this.ports.storage.set("boots", new Uint8Array([this.boots]));
    this.next = now + this.delay();
  }
  receive(bytes: Uint8Array, link: unknown): void {
    const c = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    if (c <= this.highest) return;
    this.highest = c;
    this.out.push({ bytes, to: null }); // the shared buffer is passed on unmodified
    this.events.push({ type: "message", origin: String(link), seq: c, payload: bytes, hops: 0 });
  }
  tick(now: number): void {
    this.round++;
    this.highest = Math.max(this.highest, this.round);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, this.round);
    bytes[4] = this.boots;
    this.out.push({ bytes, to: null });
    this.next = now + this.delay();
  }
  nextTimeout(): number {
    return this.next;
  }
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollEvent(): MeshEvent | undefined {
    return this.events.shift();
  }
  private delay(): number {
    return this.periodMs - 100 + (this.ports.random.nextU32() % 201);
  }
}

interface Outcome {
  digest: string;
  frames: number;
  events: number;
  highest: number[];
}

function run(topology: Topology, seed: number, loss: number, chaos: boolean): Outcome {
  const trace = new Trace();
  let frames = 0;
  let events = 0;
  const sim = new Simulator({
    topology,
    seed,
    radio: { loss },
    createDevice: (_i, ports) => new Flood(ports, 1000),
    onTransmit: (i, bytes, now) => {
      frames++;
      trace.transmit(i, bytes, now);
    },
    onEvent: (i, event, now) => {
      events++;
      trace.event(i, event, now);
    },
  });
  for (let i = 0; i < sim.size; i++) sim.start(i, i % 50);
  if (chaos) {
    sim.reboot(3, 5000, 2000);
    sim.crash(4, 7000);
    sim.partition(Int32Array.from(topology.x, (x) => (x < topology.side / 2 ? 0 : 1)), 10_000, 15_000);
  }
  sim.runUntil(30_000);
  const highest = Array.from({ length: sim.size }, (_, i) => (sim.device(i) as Flood | undefined)?.highest ?? -1);
  return { digest: trace.digest(), frames, events, highest };
}

const topology = randomGeometricGraph({ nodes: 200, averageDegree: 8, seed: 1 });

test("same seed → identical trace digest; another seed → a different one", () => {
  for (const [loss, chaos] of [[0, false], [0.2, true]] as const) {
    const a = run(topology, 7, loss, chaos);
    const b = run(topology, 7, loss, chaos);
    const c = run(topology, 8, loss, chaos);
    assert.is(a.digest, b.digest);
    assert.equal(a, b);
    assert.is.not(a.digest, c.digest);
    assert.match(a.digest, /^[0-9a-f]{16}$/);
    assert.ok(a.frames > 200 * 29, `${a.frames} frames`); // at least every node's own beacons
  }
});

test("the flood reaches every connected node (loss 0)", () => {
  const a = run(topology, 7, 0, false);
  const component = componentOf(topology.neighbors, 0);
  assert.ok(component.length > 150, `component of ${component.length}`);
  const top = Math.max(...Array.from(component, (i) => a.highest[i]));
  assert.ok(top >= 29, `highest counter ${top}`);
  // every node in the component heard counters up to top - 1 (the last may be in flight)
  for (const i of component) assert.ok(a.highest[i] >= top - 1, `node ${i} stuck at ${a.highest[i]} of ${top}`);
  assert.ok(a.events > 0);
});

test("a node's random stream doesn't depend on how many other nodes exist", () => {
  const firstDraws = (n: number): number[] => {
    const draws: number[] = [];
    const sim = new Simulator({
      topology: randomGeometricGraph({ nodes: n, averageDegree: 4, seed: 1 }),
      seed: 99,
      createDevice: (i, ports) => {
        if (i === 5) for (let k = 0; k < 5; k++) draws.push(ports.random.nextU32());
        return new Flood(ports, 1000);
      },
    });
    sim.startAll();
    sim.runUntil(0);
    return draws;
  };
  assert.equal(firstDraws(10), firstDraws(1000));
});

test("trace digest is sensitive to bytes, time, sender and events", () => {
  const base = (): Trace => {
    const t = new Trace();
    t.transmit(1, new Uint8Array([1, 2, 3, 4, 5]), 10);
    return t;
  };
  const d0 = base().digest();
  assert.is(base().digest(), d0);
  const variants: ((t: Trace) => void)[] = [
    (t) => t.transmit(1, new Uint8Array([1, 2, 3, 4, 6]), 10),
    (t) => t.transmit(1, new Uint8Array([1, 2, 3, 4, 5]), 11),
    (t) => t.transmit(2, new Uint8Array([1, 2, 3, 4, 5]), 10),
    (t) => t.transmit(1, new Uint8Array([1, 2, 3, 4, 5, 0]), 10),
    (t) => t.event(1, { type: "revocation", serial: 1, count: 1 }, 10),
  ];
  const seen = new Set<string>([d0]);
  for (const v of variants) {
    const t = new Trace();
    v(t);
    seen.add(t.digest());
  }
  assert.is(seen.size, variants.length + 1);
  const ev = (type: "revocation" | "attributed"): string => {
    const t = new Trace();
    t.event(0, type === "revocation" ? { type, serial: 0, count: 0 } : { type, origin: "", seqs: [] }, 0);
    return t.digest();
  };
  assert.is.not(ev("revocation"), ev("attributed"));
});

test.run();
