import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MeshEvent, Transmit } from "../modules/events.js";
import type { DevicePorts, SimDevice } from "../hosts/sim/device.js";
import { Simulator, type SimulatorOptions } from "../hosts/sim/simulator.js";
import { gridLayout, lineLayout } from "../hosts/sim/topology.js";

/** Scriptable device: logs everything the simulator does to it, sends what it is told to. */
class Probe implements SimDevice {
  readonly received: [number, number, number][] = []; // [now, from, first byte]
  readonly ticks: number[] = [];
  deadline = Infinity;
  readonly out: Transmit[] = [];
  readonly events: MeshEvent[] = [];
  /** Called on start and on each tick; may queue transmits and move the deadline. */
  onTick: (now: number) => void = () => {};
  onReceive: (bytes: Uint8Array, from: number, now: number) => void = () => {};

  constructor(readonly index: number, readonly ports: DevicePorts) {}
  start(now: number): void {
    this.onTick(now);
  }
  receive(bytes: Uint8Array, link: unknown, now: number): void {
    this.received.push([now, link as number, bytes[0]]);
    this.onReceive(bytes, link as number, now);
  }
  tick(now: number): void {
    this.ticks.push(now);
    this.onTick(now);
  }
  nextTimeout(): number {
    return this.deadline;
  }
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollEvent(): MeshEvent | undefined {
    return this.events.shift();
  }
}

function probeSim(
  options: Partial<SimulatorOptions> & Pick<SimulatorOptions, "topology">,
  setup: (p: Probe) => void = () => {},
): { sim: Simulator; all: Probe[] } {
  const all: Probe[] = [];
  const sim = new Simulator({
    seed: 1,
    createDevice: (index, ports) => {
      const p = new Probe(index, ports);
      setup(p);
      all.push(p);
      return p;
    },
    ...options,
  });
  return { sim, all };
}

/** Node 0 broadcasts its tick count every `period` ms starting at `period`. */
function beacon(period: number): (p: Probe) => void {
  return (p) => {
    if (p.index !== 0) return;
    let n = 0;
    p.onTick = (now) => {
      if (now > 0) p.out.push({ bytes: new Uint8Array([++n]), to: null });
      p.deadline = now + period;
    };
  };
}

test("ticks run at nextTimeout; a lowered deadline is honoured, a raised one doesn't fire early", () => {
  const { sim, all } = probeSim({ topology: lineLayout(2, 10, 10) }, (p) => {
    if (p.index === 0) {
      p.deadline = 1000;
      p.onTick = (now) => {
        if (now > 0) p.deadline = now >= 2000 ? Infinity : 2000;
      };
    } else {
      p.onTick = (now) => {
        if (now === 100) p.out.push({ bytes: new Uint8Array([1]), to: 0 });
        p.deadline = now < 100 ? 100 : Infinity;
      };
    }
    // node 0: a message lowers its deadline to 300, then the 300 tick raises it to 2000
    p.onReceive = (_b, _f, now) => {
      p.deadline = now + 200;
    };
  });
  sim.startAll(0);
  sim.runUntil(5000);
  assert.is(sim.now, 5000);
  const [zero, one] = all;
  assert.equal(one.ticks, [100]);
  assert.equal(zero.received.map((r) => r[1]), [1]);
  const arrived = zero.received[0][0];
  assert.ok(arrived >= 102 && arrived <= 105);
  // the stale 1000 tick is skipped (deadline then 2000), so no spurious tick call
  assert.equal(zero.ticks, [arrived + 200, 2000]);
  assert.is(sim.pending, 0);
});

test("a stopped node receives nothing; restarted it hears again; in-flight frames die with a reboot", () => {
  const { sim, all } = probeSim({ topology: lineLayout(3, 10, 10), radio: { latencyMs: 3, jitterMs: 0 } }, beacon(100));
  sim.startAll(0);
  sim.stop(1, 450);
  sim.start(1, 750);
  sim.reboot(2, 1001, 1); // node 0's frame of t=1000 lands at 1003, after the reboot
  sim.runUntil(1250);
  const firstOne = all[1];
  assert.equal(firstOne.received.map((r) => r[0]), [103, 203, 303, 403]);
  assert.is(sim.device(1), all.at(-2));
  assert.ok(sim.isOn(1));
  const secondOne = all.at(-2) as Probe;
  assert.equal(secondOne.received.map((r) => r[0]), [803, 903, 1003, 1103, 1203]);
  // node 2 is out of node 0's range: it only hears node 1 — and node 1 never transmits
  assert.equal(all[2].received, []);

  // in-flight drop, on a pair
  const pair = probeSim({ topology: lineLayout(2, 10, 10), radio: { latencyMs: 3, jitterMs: 0 } }, beacon(100));
  pair.sim.startAll(0);
  pair.sim.reboot(1, 201, 1);
  pair.sim.runUntil(400);
  assert.equal(pair.all[1].received.map((r) => r[0]), [103]);
  assert.equal(pair.all[2].received.map((r) => r[0]), [303]); // 203 was in flight across the reboot
});

test("crash loses RAM, storage persists across reboot and stop/start", () => {
  const boots = (p: Probe): number => p.ports.storage.get("boots")?.[0] ?? 0;
  const { sim, all } = probeSim({ topology: lineLayout(2, 10, 10) }, (p) => {
    p.onTick = (now) => {
      if (now === p.ticks[0] || p.ticks.length === 0) p.ports.storage.set("boots", new Uint8Array([boots(p) + 1]));
    };
  });
  assert.equal(sim.storage(0).keys(), []);
  sim.start(0, 10);
  sim.runUntil(20);
  const first = sim.device(0) as Probe;
  first.received.push([0, 0, 0]); // "RAM"
  sim.reboot(0, 30, 5);
  sim.runUntil(32);
  assert.is(sim.device(0), undefined);
  assert.not.ok(sim.isOn(0));
  sim.runUntil(40);
  const second = sim.device(0) as Probe;
  assert.is.not(second, first);
  assert.equal(second.received, []);
  assert.is(boots(second), 2);
  assert.is(second.ports.storage, first.ports.storage);
  assert.is(second.ports.random, first.ports.random);
  sim.crash(0, 50);
  sim.start(0, 60);
  sim.stop(0, 70);
  sim.start(0, 80);
  sim.start(0, 80); // already on: no-op
  sim.runUntil(100);
  assert.is(boots(sim.device(0) as Probe), 4);
  assert.is(all.length, 4);
  assert.equal(sim.storage(0).keys(), ["boots"]);
  assert.is(sim.storage(1).keys().length, 0); // node 1 never booted
});

test("hooks see every frame and event; unicast goes to one neighbour; bad links throw", () => {
  const frames: [number, number, number][] = [];
  const events: [number, string, number][] = [];
  const { sim, all } = probeSim(
    {
      topology: gridLayout(3, 1, 10, 10),
      onTransmit: (i, bytes, now) => frames.push([i, bytes.length, now]),
      onEvent: (i, e, now) => events.push([i, e.type, now]),
    },
    (p) => {
      // at t=0 not every node is on yet (power-on order), so act at t=1
      p.onTick = (now) => {
        p.deadline = now === 0 ? 1 : Infinity;
        if (p.index === 1 && now === 1) {
          p.out.push({ bytes: new Uint8Array([9, 9]), to: 2 }, { bytes: new Uint8Array([8]), to: null });
          p.events.push({ type: "revocation", serial: 1, count: 0 });
        }
      };
    },
  );
  sim.startAll();
  sim.runUntil(10);
  assert.equal(frames, [[1, 2, 1], [1, 1, 1]]);
  assert.equal(events, [[1, "revocation", 1]]);
  assert.equal(all[0].received.map((r) => r[2]), [8]);
  assert.equal(all[2].received.map((r) => r[2]).sort(), [8, 9]);

  const bad = probeSim({ topology: lineLayout(2, 10, 10) }, (p) => {
    p.onTick = () => p.out.push({ bytes: new Uint8Array(1), to: "peer" });
  });
  bad.sim.start(0);
  assert.throws(() => bad.sim.runUntil(1), /sim links are node indices/);
});

test("step bounds: a device that never lets time advance is caught; maxSteps caps a run", () => {
  const stuck = probeSim({ topology: lineLayout(2, 10, 10), maxStepsPerInstant: 1000 }, (p) => {
    p.deadline = 0; // always overdue
  });
  stuck.sim.start(0, 5);
  assert.throws(() => stuck.sim.runUntil(100), /livelock: over 1000 events at t=5 ms/);

  const busy = probeSim({ topology: lineLayout(2, 10, 10) }, (p) => {
    p.onTick = (now) => (p.deadline = now + 1);
  });
  busy.sim.start(0);
  assert.is(busy.sim.runUntil(100), 101); // power-on (start) at 0, then ticks 1..100
  assert.throws(() => busy.sim.runUntil(1000, 500), /step bound: over 500 events/);
});

test("scheduling validation", () => {
  const { sim } = probeSim({ topology: lineLayout(2, 10, 10) });
  sim.runUntil(100);
  assert.throws(() => sim.start(0, 50), /now is 100/);
  assert.throws(() => sim.start(2, 200), /no node 2/);
  assert.throws(() => sim.runUntil(99), /before now/);
  assert.throws(() => sim.reboot(0, 200, -1), /downMs/);
  assert.is(sim.runUntil(100), 0);
});

test.run();
