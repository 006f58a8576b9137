import { test } from "uvu";
import * as assert from "uvu/assert";
import { EventQueue } from "../hosts/sim/event-queue.js";
import { Rng } from "../hosts/sim/rng.js";

interface Ev {
  time: number;
  rank: number;
  order: number;
  /** Push number: the last tie-break. */
  pushed: number;
}

function drain(q: EventQueue<Ev>): Ev[] {
  const out: Ev[] = [];
  while (q.pop()) {
    const p = q.payload as Ev;
    assert.is(q.time, p.time);
    assert.is(q.rank, p.rank);
    assert.is(q.order, p.order);
    assert.is(q.aux, -p.pushed);
    out.push(p);
  }
  return out;
}

const byKeys = (x: Ev, y: Ev): number => x.time - y.time || x.rank - y.rank || x.order - y.order || x.pushed - y.pushed;

/** Ranks and orders from small ranges, so that many events tie on some keys but not others. */
function event(rng: Rng, time: number, pushed: number): Ev {
  return { time, rank: rng.int(5), order: rng.int(3) * 2 ** 32 + rng.int(3), pushed };
}

test("pops in (time, rank, order, push) order under random pushes with many ties", () => {
  const rng = new Rng(5);
  for (const [count, spread] of [[1, 1], [10, 3], [1000, 20], [20_000, 500]]) {
    const q = new EventQueue<Ev>(4); // small start forces growth
    const evs: Ev[] = [];
    for (let pushed = 0; pushed < count; pushed++) {
      const e = event(rng, rng.int(spread), pushed);
      evs.push(e);
      q.push(e.time, e.rank, e.order, -pushed, e);
    }
    assert.is(q.size, count);
    assert.equal(drain(q), [...evs].sort(byKeys));
    assert.is(q.size, 0);
    assert.is(q.pop(), false);
  }
});

// Times like the simulator's (a few ms ahead, never before the last pop), then ones that cross the
// calendar's edges: beyond its span, fractional, and before the last popped time (heap-only paths).
const schedules: [string, (rng: Rng, clock: number) => number][] = [
  ["near, integer", (rng, clock) => clock + rng.int(10)],
  ["mixed: far, fractional, earlier", (rng, clock) => {
    const r = rng.float();
    const ms = Math.ceil(clock); // a fractional pop leaves the clock between whole ms
    if (r < 0.4) return ms + rng.int(10);
    if (r < 0.6) return ms + 8000 + rng.int(400); // straddles the 8,192 ms calendar
    if (r < 0.8) return clock + rng.float() * 30;
    return Math.max(0, ms - rng.int(5));
  }],
];

for (const [name, next] of schedules) {
  test(`interleaved pushes and pops match a reference (${name})`, () => {
    const rng = new Rng(11);
    const q = new EventQueue<Ev>(2);
    let ref: Ev[] = [];
    let pushed = 0;
    let clock = 0;
    for (let step = 0; step < 20_000; step++) {
      if (rng.float() < 0.55) {
        const e = event(rng, next(rng, clock), pushed++);
        ref.push(e);
        q.push(e.time, e.rank, e.order, -e.pushed, e);
      } else if (ref.length > 0) {
        ref.sort(byKeys);
        const expect = ref.shift() as Ev;
        assert.ok(q.pop());
        assert.is(q.payload, expect);
        clock = q.time;
      }
      assert.is(q.size, ref.length);
      if (step % 97 === 0) assert.is(q.peekTime(), ref.reduce((m, e) => Math.min(m, e.time), Infinity));
    }
    ref = ref.sort(byKeys);
    assert.equal(drain(q), ref);
  });
}

test("payload is released on pop", () => {
  const q = new EventQueue<object>();
  q.push(5, 0, 0, 0, {});
  q.push(5, 0, 0, 0);
  assert.ok(q.pop());
  assert.ok(q.pop());
  assert.is(q.payload, undefined);
  assert.is(q.pop(), false);
});

test.run();
