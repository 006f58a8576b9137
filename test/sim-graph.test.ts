import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  adjacencyFromEdges,
  bfsDistances,
  componentOf,
  eccentricity,
  feedbackRelays,
  greedyConnectedDominatingSet,
  hindsightRelays,
  meanDegree,
  realizedLinks,
  type Adjacency,
} from "../hosts/sim/graph.js";
import { Rng } from "../hosts/sim/rng.js";
import { randomGeometricGraph } from "../hosts/sim/topology.js";

const path5 = adjacencyFromEdges(5, [[0, 1], [1, 2], [2, 3], [3, 4]]);
const star5 = adjacencyFromEdges(5, [[0, 1], [0, 2], [0, 3], [0, 4]]);
const cycle6 = adjacencyFromEdges(6, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]]);
/** 3×3 grid, row-major. */
const grid3 = adjacencyFromEdges(9, [[0, 1], [1, 2], [3, 4], [4, 5], [6, 7], [7, 8], [0, 3], [3, 6], [1, 4], [4, 7], [2, 5], [5, 8]]);
/** Node 0 linked to 1 only; 2..4 apart from them. */
const mask5 = (): Adjacency => adjacencyFromEdges(5, [[0, 1], [2, 3], [3, 4]]);
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

test("hindsight relays: the fewest transmitters per hop layer that reach the next layer", () => {
  assert.is(hindsightRelays(path5, 0), 4, "a path: every node but the last transmits");
  assert.is(hindsightRelays(star5, 0), 1, "the source alone");
  assert.is(hindsightRelays(star5, 1), 2, "a leaf, then the hub");
  // Directed links that worked: 0 reaches 1 and 2; 1 reaches 3 and 4; 2 reaches 4 and 5; 6 is never reached.
  const drawn: Int32Array[] = [[1, 2], [3, 4], [4, 5], [], [], [], [0]].map((l) => Int32Array.from(l));
  assert.is(hindsightRelays(drawn, 0), 3, "both of layer 1 are needed for layer 2");
  drawn[2] = Int32Array.of(3, 4, 5);
  assert.is(hindsightRelays(drawn, 0), 2, "one of layer 1 reaches all of layer 2");
  drawn[3] = Int32Array.of(6);
  assert.is(hindsightRelays(drawn, 0), 3, "node 6, now reached by 3 alone, needs 3 to transmit");
});

test("feedback relays: rounds of greedy covers, each lost reception tried again in the next round", () => {
  const never = () => 1;
  assert.is(feedbackRelays(path5, 0, 0, never), 4, "no loss, a path: every node but the last transmits");
  assert.is(feedbackRelays(star5, 1, 0, never), 2, "a leaf, then the hub");
  assert.is(feedbackRelays(grid3, 4, 0, never), 3, "the centre, then two covers for the four corners");
  // Receptions drawn in order: the first of the centre's four is lost, so a second round tries that neighbor again.
  const draws = [0, 0.5, 0.5, 0.5];
  let k = 0;
  const scripted = () => (k < draws.length ? draws[k++] : 0.5);
  assert.is(feedbackRelays(adjacencyFromEdges(5, [[0, 1], [0, 2], [0, 3], [0, 4]]), 0, 0.3, scripted), 2, "the hub again, for the one it missed");
  assert.is(feedbackRelays(mask5(), 0, 0, never), 1, "nodes the source cannot reach are not waited for");
  assert.is(feedbackRelays(path5, 0, 0, never, 0.6), 2, "a path, three of five nodes wanted: the source and the next");
  assert.is(feedbackRelays(path5, 0, 0, never, 0.61), 3, "four of five wanted: one more");
  const t = randomGeometricGraph({ nodes: 300, averageDegree: 8, seed: 4 });
  const rng = new Rng(9);
  const lossless = feedbackRelays(t.neighbors, 0, 0, never);
  assert.ok(lossless >= greedyConnectedDominatingSet(t.neighbors, 0).length * 0.8, "without loss about a dominating set");
  assert.ok(feedbackRelays(t.neighbors, 0, 0.3, () => rng.float()) > lossless, "losses cost transmissions");
  const [first, second] = [new Rng(5), new Rng(5)];
  const all = feedbackRelays(t.neighbors, 0, 0.3, () => first.float());
  const most = feedbackRelays(t.neighbors, 0, 0.3, () => second.float(), 0.98);
  assert.ok(most < all, `the last 2 % cost transmissions (${most} < ${all})`);
});

test("realizedLinks keeps each directed link with probability 1 − loss, from the stream it is given", () => {
  const t = randomGeometricGraph({ nodes: 500, averageDegree: 8, seed: 3 });
  assert.equal(realizedLinks(t.neighbors, 0, () => 0.5).map((l) => [...l]), t.neighbors.map((l) => [...l]), "no loss: every link");
  assert.ok(realizedLinks(t.neighbors, 1, () => 0.5).every((l) => l.length === 0), "total loss: none");
  const a = new Rng(7), b = new Rng(7);
  const once = realizedLinks(t.neighbors, 0.3, () => a.float());
  assert.equal(realizedLinks(t.neighbors, 0.3, () => b.float()).map((l) => [...l]), once.map((l) => [...l]), "the same stream, the same draw");
  const kept = once.reduce((sum, l) => sum + l.length, 0) / t.neighbors.reduce((sum, l) => sum + l.length, 0);
  assert.ok(kept > 0.67 && kept < 0.73, `kept ${kept}`);
  // With losses a broadcast needs more transmitters than without.
  const lossless = hindsightRelays(t.neighbors, 0);
  assert.ok(hindsightRelays(once, 0) > lossless, "losses cost transmissions");
});

test.run();
