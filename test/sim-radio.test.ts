import { test } from "uvu";
import * as assert from "uvu/assert";
import { Radio, type RadioOptions } from "../hosts/sim/radio.js";
import { Rng } from "../hosts/sim/rng.js";
import { gridLayout, randomGeometricGraph, type Topology } from "../hosts/sim/topology.js";

interface Rx {
  at: number;
  receiver: number;
  sender: number;
  bytes: Uint8Array;
}

function setup(t: Topology, options: RadioOptions = {}, seed = 1): { radio: Radio; log: Rx[] } {
  const log: Rx[] = [];
  const radio = new Radio(t, options, new Rng(seed), (at, receiver, sender, bytes, sentAt) => {
    assert.ok(at >= sentAt + radio.latencyMs);
    log.push({ at, receiver, sender, bytes });
  });
  return { radio, log };
}

function inRange(t: Topology, i: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < t.x.length; j++) if (j !== i && Math.hypot(t.x[i] - t.x[j], t.y[i] - t.y[j]) <= t.range) out.push(j);
  return out;
}

test("loss 0: a broadcast reaches exactly the in-range nodes, once each, sharing one buffer", () => {
  const t = randomGeometricGraph({ nodes: 300, averageDegree: 8, seed: 2 });
  const { radio, log } = setup(t);
  const delays = new Set<number>();
  for (let i = 0; i < 300; i++) {
    log.length = 0;
    const bytes = new Uint8Array([i & 255]);
    const n = radio.transmit(1000, i, null, bytes);
    assert.is(n, log.length);
    assert.equal(log.map((r) => r.receiver).sort((a, b) => a - b), inRange(t, i));
    for (const r of log) {
      assert.is(r.sender, i);
      assert.is(r.bytes, bytes); // same object, not a copy
      delays.add(r.at - 1000);
    }
  }
  assert.equal([...delays].sort(), [2, 3, 4, 5]); // default 2 ms + 0..3 ms
});

test("unicast reaches only an in-range addressee", () => {
  const t = gridLayout(3, 1, 10, 10); // 0 - 1 - 2
  const { radio, log } = setup(t, { latencyMs: 7, jitterMs: 0 });
  assert.is(radio.transmit(0, 0, 1, new Uint8Array(1)), 1);
  assert.equal(log.map((r) => [r.at, r.receiver]), [[7, 1]]);
  assert.is(radio.transmit(0, 0, 2, new Uint8Array(1)), 0); // out of range
  assert.is(log.length, 1);
});

test("loss 0.3: observed loss rate within tolerance; per-link override", () => {
  const t = gridLayout(10, 10, 10, 10);
  const { radio, log } = setup(t, { loss: 0.3 }, 77);
  let offered = 0;
  for (let round = 0; round < 250; round++) {
    for (let i = 0; i < 100; i++) {
      radio.transmit(round, i, null, new Uint8Array(0));
      offered += t.neighbors[i].length;
    }
  }
  const rate = 1 - log.length / offered; // 90,000 offers: σ ≈ 0.0015
  assert.ok(Math.abs(rate - 0.3) < 0.01, `loss rate ${rate}`);

  const link = setup(gridLayout(2, 1, 10, 10), { loss: 0 });
  link.radio.setLinkLoss(0, 1, 1);
  for (let k = 0; k < 100; k++) {
    link.radio.transmit(k, 0, null, new Uint8Array(0));
    link.radio.transmit(k, 1, null, new Uint8Array(0));
  }
  assert.ok(link.log.every((r) => r.sender === 1));
  assert.is(link.log.length, 100);
});

test("partition blocks cross-group delivery only during [from, to)", () => {
  const t = gridLayout(4, 1, 10, 10); // 0 - 1 | 2 - 3
  const { radio, log } = setup(t);
  radio.partition([0, 0, 1, 1], 100, 200);
  const heardBy = (at: number, from: number): number[] => {
    log.length = 0;
    radio.transmit(at, from, null, new Uint8Array(0));
    return log.map((r) => r.receiver).sort();
  };
  assert.equal(heardBy(99, 1), [0, 2]);
  assert.equal(heardBy(100, 1), [0]);
  assert.equal(heardBy(150, 2), [3]);
  assert.equal(heardBy(199, 2), [3]);
  assert.equal(heardBy(200, 2), [1, 3]);
  // overlapping partitions: any one separating a pair blocks it
  radio.partition([0, 1, 1, 1], 300, 400);
  radio.partition([0, 0, 0, 1], 300, 400);
  assert.equal(heardBy(350, 1), [2]);
  assert.equal(heardBy(350, 2), [1]);
  assert.throws(() => radio.partition([0, 1], 0, 1), /4 group entries/);
});

test("each sender has its own random stream: other traffic doesn't shift its losses or jitter", () => {
  const t = gridLayout(5, 5, 10, 15);
  const run = (interleave: boolean): string => {
    const { radio, log } = setup(t, { loss: 0.4 }, 5);
    for (let k = 0; k < 200; k++) {
      if (interleave) radio.transmit(k, 7, null, new Uint8Array(0));
      radio.transmit(k, 12, null, new Uint8Array(0));
    }
    return JSON.stringify(log.filter((r) => r.sender === 12).map((r) => [r.at, r.receiver]));
  };
  assert.is(run(true), run(false));
  const other = setup(t, { loss: 0.4 }, 6);
  const base = setup(t, { loss: 0.4 }, 5);
  for (let k = 0; k < 50; k++) {
    other.radio.transmit(k, 12, null, new Uint8Array(0));
    base.radio.transmit(k, 12, null, new Uint8Array(0));
  }
  assert.not.equal(other.log.map((r) => r.at * 100 + r.receiver), base.log.map((r) => r.at * 100 + r.receiver));
});

test.run();
