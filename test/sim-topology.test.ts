import { test } from "uvu";
import * as assert from "uvu/assert";
import { meanDegree } from "../hosts/sim/graph.js";
import { fromPositions, gridLayout, lineLayout, randomGeometricGraph, rangeForDegree, type Topology } from "../hosts/sim/topology.js";

function bruteNeighbors(t: Topology): number[][] {
  const n = t.x.length;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const l: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j !== i && Math.hypot(t.x[i] - t.x[j], t.y[i] - t.y[j]) <= t.range) l.push(j);
    }
    out.push(l);
  }
  return out;
}

const lists = (t: Topology): number[][] => t.neighbors.map((l) => Array.from(l));

test("N=1000, degree 8: mean degree within ±15% of target (and the mean over seeds within ±3%)", () => {
  let sum = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const t = randomGeometricGraph({ nodes: 1000, averageDegree: 8, seed });
    const d = meanDegree(t.neighbors);
    assert.ok(Math.abs(d - 8) <= 8 * 0.15, `seed ${seed}: mean degree ${d}`);
    sum += d;
  }
  assert.ok(Math.abs(sum / 5 - 8) <= 8 * 0.03, `mean over seeds ${sum / 5}`);
});

test("grid adjacency equals brute force (random and degenerate layouts)", () => {
  for (const t of [
    randomGeometricGraph({ nodes: 300, averageDegree: 6, seed: 3 }),
    randomGeometricGraph({ nodes: 200, averageDegree: 30, seed: 4, side: 1 }),
    randomGeometricGraph({ nodes: 50, averageDegree: 100, seed: 5 }), // complete graph
    fromPositions([0, 0, 0, 5, -3], [0, 0, 1, 5, -4], 5), // duplicates, negatives, exactly-at-range
    fromPositions([0, 1000, 2000], [0, 0, 0], 0.5), // tiny range, huge extent
  ]) {
    assert.equal(lists(t), bruteNeighbors(t));
  }
});

test("same seed, same placement; the 10,000-node graph builds with the right degree", () => {
  const a = randomGeometricGraph({ nodes: 100, averageDegree: 8, seed: 9 });
  const b = randomGeometricGraph({ nodes: 100, averageDegree: 8, seed: 9 });
  const c = randomGeometricGraph({ nodes: 100, averageDegree: 8, seed: 10 });
  assert.equal(Array.from(a.x), Array.from(b.x));
  assert.not.equal(Array.from(a.x), Array.from(c.x));
  const big = randomGeometricGraph({ nodes: 10_000, averageDegree: 8, seed: 1 });
  assert.ok(Math.abs(meanDegree(big.neighbors) - 8) < 0.4);
  assert.ok(big.x.every((v) => v >= 0 && v < big.side));
});

test("range solves the boundary-corrected degree equation", () => {
  // Far from the border the disc formula r = sqrt(deg·A/(π·N)) holds.
  const plain = Math.sqrt((8 * 1e12) / (Math.PI * 1e7));
  const r = rangeForDegree(1e7 + 1, 8, 1e6);
  assert.ok(Math.abs(r / plain - 1) < 0.002, `${r} vs ${plain}`);
  // Border losses need a larger range for small N.
  assert.ok(rangeForDegree(100, 8, 1) > Math.sqrt(8 / (Math.PI * 99)) * 1.05);
  assert.is(rangeForDegree(10, 9, 1), Math.SQRT2);
  assert.is(rangeForDegree(1, 8, 1), 0);
});

test("grid and line layouts have the lattice degrees", () => {
  const g = gridLayout(4, 3, 10, 10);
  assert.equal(Array.from(g.neighbors[0]), [1, 4]);
  assert.equal(Array.from(g.neighbors[5]), [1, 4, 6, 9]);
  assert.equal(Array.from(g.neighbors[11]), [7, 10]);
  const diag = gridLayout(3, 3, 10, 15);
  assert.is(diag.neighbors[4].length, 8);
  const line = lineLayout(5, 10, 25);
  assert.equal(lists(line), [[1, 2], [0, 2, 3], [0, 1, 3, 4], [1, 2, 4], [2, 3]]);
  assert.is(line.side, 40);
});

test.run();
