import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  adjacencyFromEdges,
  bfsDistances,
  componentOf,
  eccentricity,
  greedyConnectedDominatingSet,
  meanDegree,
  type Adjacency,
} from "../hosts/sim/graph.js";
import { randomGeometricGraph } from "../hosts/sim/topology.js";

const path5 = adjacencyFromEdges(5, [[0, 1], [1, 2], [2, 3], [3, 4]]);
const star5 = adjacencyFromEdges(5, [[0, 1], [0, 2], [0, 3], [0, 4]]);
const cycle6 = adjacencyFromEdges(6, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]]);
/** 3×3 grid, row-major. */
const grid3 = adjacencyFromEdges(9, [[0, 1], [1, 2], [3, 4], [4, 5], [6, 7], [7, 8], [0, 3], [3, 6], [1, 4], [4, 7], [2, 5], [5, 8]]);
const mask = (n: number, down: number[]): Uint8Array => {
  const up = new Uint8Array(n).fill(1);
  for (const d of down) up[d] = 0;
  return up;
};

test("bfsDistances / eccentricity", () => {
  const cases: [string, Adjacency, number, Uint8Array | undefined, number[], number][] = [
    ["path from end", path5, 0, undefined, [0, 1, 2, 3, 4], 4],
    ["path from middle", path5, 2, undefined, [2, 1, 0, 1, 2], 2],
    ["path cut at 2", path5, 0, mask(5, [2]), [0, 1, -1, -1, -1], 1],
    ["star from leaf", star5, 3, undefined, [1, 2, 2, 0, 2], 2],
    ["cycle", cycle6, 0, undefined, [0, 1, 2, 3, 2, 1], 3],
    ["cycle with 1 down", cycle6, 0, mask(6, [1]), [0, -1, 4, 3, 2, 1], 4],
    ["grid corner", grid3, 0, undefined, [0, 1, 2, 1, 2, 3, 2, 3, 4], 4],
    ["source down", star5, 0, mask(5, [0]), [-1, -1, -1, -1, -1], -1],
  ];
  for (const [name, adj, src, up, dist, ecc] of cases) {
    assert.equal(Array.from(bfsDistances(adj, src, up)), dist, name);
    assert.is(eccentricity(adj, src, up), ecc, name);
  }
});

test("componentOf and meanDegree respect the up mask", () => {
  assert.equal(Array.from(componentOf(path5, 4)), [0, 1, 2, 3, 4]);
  assert.equal(Array.from(componentOf(path5, 4, mask(5, [2]))), [3, 4]);
  assert.equal(Array.from(componentOf(star5, 1, mask(5, [0]))), [1]);
  assert.equal(Array.from(componentOf(star5, 1, mask(5, [1]))), []);
  assert.is(meanDegree(star5), 8 / 5);
  assert.is(meanDegree(star5, mask(5, [0])), 0);
  assert.is(meanDegree(cycle6, mask(6, [0])), 8 / 5);
});

test("greedy CDS on hand-made graphs", () => {
  const cases: [string, Adjacency, number, Uint8Array | undefined, number[]][] = [
    ["path from end", path5, 0, undefined, [0, 1, 2, 3]],
    ["path from middle", path5, 2, undefined, [2, 1, 3]],
    ["star from centre", star5, 0, undefined, [0]],
    ["star from leaf", star5, 2, undefined, [2, 0]],
    ["cycle", cycle6, 0, undefined, [0, 1, 2, 3]],
    ["grid centre", grid3, 4, undefined, [4, 1, 7]],
    ["grid corner", grid3, 0, undefined, [0, 1, 4, 7]],
    ["isolated by mask", star5, 3, mask(5, [0]), [3]],
    ["down source", star5, 0, mask(5, [0]), []],
  ];
  for (const [name, adj, src, up, set] of cases) {
    assert.equal(Array.from(greedyConnectedDominatingSet(adj, src, up)), set, name);
  }
});

/** Black set is connected, contains the source, and dominates the source's component. */
function assertCds(adj: Adjacency, source: number, set: Int32Array, up?: Uint8Array): void {
  const comp = componentOf(adj, source, up);
  const inSet = new Uint8Array(adj.length);
  for (const v of set) inSet[v] = 1;
  assert.is(inSet[source], 1);
  for (const v of comp) assert.ok(inSet[v] || Array.from(adj[v]).some((u) => inSet[u]), `node ${v} not dominated`);
  const setUp = new Uint8Array(adj.length);
  for (const v of set) setUp[v] = 1;
  assert.is(componentOf(adj, source, setUp).length, set.length, "set is connected");
  assert.is(new Set(set).size, set.length);
}

test("greedy CDS is a connected dominating set on random graphs, with and without failures", () => {
  for (let seed = 1; seed <= 4; seed++) {
    const t = randomGeometricGraph({ nodes: 2000, averageDegree: 8, seed });
    const up = new Uint8Array(2000).fill(1);
    for (let i = seed; i < 2000; i += 7) up[i] = 0;
    for (const u of [undefined, up]) {
      const source = 0;
      const set = greedyConnectedDominatingSet(t.neighbors, source, u);
      assertCds(t.neighbors, source, set, u);
      // a useful relay set is much smaller than the component
      assert.ok(set.length < 0.6 * componentOf(t.neighbors, source, u).length);
    }
  }
});

test.run();
