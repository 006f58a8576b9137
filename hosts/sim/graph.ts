/**
 * Pure graph metrics over adjacency lists, used to judge protocol runs against what the topology
 * allows (hop distances, reachability, a near-minimal relay set). `up` (1 = powered) restricts
 * every metric to live nodes; a down source reaches nothing, not even itself.
 */

/** adj[i] lists i's neighbours; assumed symmetric. */
export type Adjacency = ReadonlyArray<ArrayLike<number>>;

/** Symmetric adjacency from an undirected edge list (for hand-made graphs). */
export function adjacencyFromEdges(n: number, edges: ReadonlyArray<readonly [number, number]>): Int32Array[] {
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    lists[a].push(b);
    lists[b].push(a);
  }
  return lists.map((l) => Int32Array.from(l).sort());
}

function isUp(up: Uint8Array | undefined, i: number): boolean {
  return up === undefined || up[i] !== 0;
}

/**
 * Hop distance from `source` to every node; -1 where unreachable (or down). `linked(u, v)`, when
 * given, can cut individual links (partitions).
 */
export function bfsDistances(adj: Adjacency, source: number, up?: Uint8Array, linked?: (u: number, v: number) => boolean): Int32Array {
  const dist = new Int32Array(adj.length).fill(-1);
  if (!isUp(up, source)) return dist;
  const queue = new Int32Array(adj.length);
  let head = 0;
  let tail = 0;
  dist[source] = 0;
  queue[tail++] = source;
  while (head < tail) {
    const u = queue[head++];
    const nbrs = adj[u];
    for (let k = 0; k < nbrs.length; k++) {
      const v = nbrs[k];
      if (dist[v] !== -1 || !isUp(up, v) || (linked && !linked(u, v))) continue;
      dist[v] = dist[u] + 1;
      queue[tail++] = v;
    }
  }
  return dist;
}

/** Largest hop distance from `source` within its component; -1 when the source is down. */
export function eccentricity(adj: Adjacency, source: number, up?: Uint8Array): number {
  const dist = bfsDistances(adj, source, up);
  let max = -1;
  for (let i = 0; i < dist.length; i++) if (dist[i] > max) max = dist[i];
  return max;
}

/** The live nodes reachable from `source`, ascending. */
export function componentOf(adj: Adjacency, source: number, up?: Uint8Array): Int32Array {
  const dist = bfsDistances(adj, source, up);
  let count = 0;
  for (let i = 0; i < dist.length; i++) if (dist[i] >= 0) count++;
  const out = new Int32Array(count);
  for (let i = 0, k = 0; i < dist.length; i++) if (dist[i] >= 0) out[k++] = i;
  return out;
}

/** Mean number of live neighbours over live nodes. */
export function meanDegree(adj: Adjacency, up?: Uint8Array): number {
  let nodes = 0;
  let links = 0;
  for (let i = 0; i < adj.length; i++) {
    if (!isUp(up, i)) continue;
    nodes++;
    const nbrs = adj[i];
    for (let k = 0; k < nbrs.length; k++) if (isUp(up, nbrs[k])) links++;
  }
  return nodes === 0 ? 0 : links / nodes;
}

/**
 * A connected dominating set of `source`'s component, containing `source` — the greedy of Guha &
 * Khuller (Algorithm I, without their pair look-ahead): colour the source black, its neighbours
 * gray, then repeatedly blacken the gray node with the most white neighbours (ties: lowest index).
 *
 * Rooted at the source rather than at the max-degree node because a broadcast from `source` has
 * the source as its first transmitter: the size approximates the fewest transmissions a flood from
 * `source` needs, the yardstick for relay counts. Returns the black nodes in the order chosen.
 */
export function greedyConnectedDominatingSet(adj: Adjacency, source: number, up?: Uint8Array): Int32Array {
  const n = adj.length;
  if (!isUp(up, source)) return new Int32Array(0);
  const inComponent = bfsDistances(adj, source, up);
  const WHITE = 0, GRAY = 1, BLACK = 2;
  const colour = new Uint8Array(n);
  // whiteCount[u]: live white neighbours of u; only ever decreases.
  const whiteCount = new Int32Array(n);
  let white = 0;
  for (let u = 0; u < n; u++) {
    if (inComponent[u] < 0) continue;
    white++;
    const nbrs = adj[u];
    for (let k = 0; k < nbrs.length; k++) if (inComponent[nbrs[k]] >= 0) whiteCount[u]++;
  }
  // Lazy max-heap of gray candidates keyed count·n + (n − 1 − index): larger count, then lower index.
  const heap: number[] = [];
  const pushKey = (key: number): void => {
    let i = heap.length;
    heap.push(key);
    while (i > 0 && heap[(i - 1) >> 1] < key) {
      heap[i] = heap[(i - 1) >> 1];
      i = (i - 1) >> 1;
    }
    heap[i] = key;
  };
  const popKey = (): number => {
    const top = heap[0];
    const last = heap.pop() as number;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= heap.length) break;
        if (c + 1 < heap.length && heap[c + 1] > heap[c]) c++;
        if (heap[c] <= last) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  const leaveWhite = (v: number): void => {
    white--;
    const nbrs = adj[v];
    for (let k = 0; k < nbrs.length; k++) whiteCount[nbrs[k]]--;
  };
  const blacken = (u: number): void => {
    colour[u] = BLACK;
    const nbrs = adj[u];
    for (let k = 0; k < nbrs.length; k++) {
      const v = nbrs[k];
      if (colour[v] !== WHITE || inComponent[v] < 0) continue;
      colour[v] = GRAY;
      leaveWhite(v);
      pushKey(whiteCount[v] * n + (n - 1 - v));
    }
  };

  const chosen: number[] = [source];
  leaveWhite(source);
  blacken(source);
  while (white > 0) {
    const key = popKey();
    const u = n - 1 - (key % n);
    const count = (key - (n - 1 - u)) / n;
    if (colour[u] !== GRAY) continue;
    // Counts only fall, so a stale key overestimates: requeue with the true count and retry.
    if (count !== whiteCount[u]) {
      if (whiteCount[u] > 0) pushKey(whiteCount[u] * n + (n - 1 - u));
      continue;
    }
    chosen.push(u);
    blacken(u);
  }
  return Int32Array.from(chosen);
}

/**
 * The transmissions a broadcast from `source` needs when every node knows beforehand which of its
 * neighbours its one transmission reaches (`reaches`, directed: one draw of the radio's losses),
 * and every node still gets its first copy over a shortest path of those links. Layer by layer of
 * that hop distance, a greedy set cover picks the fewest nodes d hops out whose transmissions reach
 * every node d + 1 hops out (ties: lowest index). The source counts; nodes `reaches` cannot reach
 * from it do not.
 *
 * No relay rule knows the losses before it sends, so this is a lower-bound estimate of what relaying
 * over lossy links costs at the hop latency of flooding (where the plain CDS of the whole graph says
 * what it costs without loss).
 */
export function hindsightRelays(reaches: Adjacency, source: number): number {
  const n = reaches.length;
  const dist = bfsDistances(reaches, source);
  // Nodes by layer, and per node whether it still needs a transmitter from the layer before.
  const byLayer: number[][] = [];
  for (let v = 0; v < n; v++) {
    if (dist[v] < 0) continue;
    (byLayer[dist[v]] ??= []).push(v);
  }
  const needs = new Uint8Array(n);
  let transmissions = 1;
  for (let d = 1; d + 1 < byLayer.length; d++) {
    let left = byLayer[d + 1].length;
    for (const v of byLayer[d + 1]) needs[v] = 1;
    const candidates = byLayer[d];
    while (left > 0) {
      const out = reaches[bestCover(candidates, reaches, needs)];
      for (let k = 0; k < out.length; k++) {
        left -= needs[out[k]];
        needs[out[k]] = 0;
      }
      transmissions++;
    }
  }
  return transmissions;
}

/**
 * The transmissions a broadcast from `source` needs with perfect, free feedback: in rounds, every node
 * knows exactly who holds the message, and a greedy set cover picks the fewest holders whose
 * transmissions reach every node next to a holder that still misses it (the holder with the most
 * such neighbors first; ties: lowest index). Each reception is lost with probability `loss`, drawn
 * from `random` as it happens; a node lost in one round is tried again in the next, until every
 * node the source can reach has it. The source's first transmission counts. With `coverage` below 1
 * it stops at the transmission after which that share of the reachable nodes holds it (a delivery
 * target's transmissions).
 *
 * No relay rule learns of a loss sooner or more exactly than this, nor pays nothing to learn it: a
 * limit on what retransmitting where a copy was lost can save over lossy links, whatever the
 * latency. A greedy is not the optimum: an estimate, not a proof.
 */
export function feedbackRelays(adj: Adjacency, source: number, loss: number, random: () => number, coverage = 1): number {
  const n = adj.length;
  const has = new Uint8Array(n);
  const needs = new Uint8Array(n);
  has[source] = 1;
  const wanted = Math.ceil(coverage * componentOf(adj, source).length);
  let holders = 1;
  let transmissions = 0;
  for (;;) {
    const candidates: number[] = [];
    let left = 0;
    for (let v = 0; v < n; v++) {
      if (has[v]) continue;
      const nbrs = adj[v];
      for (let k = 0; k < nbrs.length; k++) {
        if (!has[nbrs[k]]) continue;
        needs[v] = 1;
        left++;
        break;
      }
    }
    if (left === 0 || holders >= wanted) return transmissions;
    for (let u = 0; u < n; u++) {
      if (!has[u]) continue;
      const nbrs = adj[u];
      for (let k = 0; k < nbrs.length; k++) {
        if (needs[nbrs[k]]) {
          candidates.push(u);
          break;
        }
      }
    }
    const reached: number[] = [];
    while (left > 0) {
      const nbrs = adj[bestCover(candidates, adj, needs)];
      for (let k = 0; k < nbrs.length; k++) {
        const v = nbrs[k];
        if (!needs[v]) continue;
        needs[v] = 0;
        left--;
        if (random() >= loss) reached.push(v);
      }
      transmissions++;
      if (holders + reached.length >= wanted) return transmissions;
    }
    for (const v of reached) has[v] = 1;
    holders += reached.length;
  }
}

/** The greedy cover's pick: the candidate whose links reach the most nodes `needs` marks (the first of equals). Some must reach one. */
function bestCover(candidates: readonly number[], links: Adjacency, needs: Uint8Array): number {
  let best = -1;
  let bestGain = 0;
  for (const u of candidates) {
    let gain = 0;
    const out = links[u];
    for (let k = 0; k < out.length; k++) gain += needs[out[k]];
    if (gain > bestGain) {
      bestGain = gain;
      best = u;
    }
  }
  return best;
}

/** One draw of a lossy radio: each directed link of `adj` kept with probability 1 − `loss`. */
export function realizedLinks(adj: Adjacency, loss: number, random: () => number): Int32Array[] {
  return adj.map((nbrs) => Int32Array.from(Array.prototype.filter.call(nbrs, () => random() >= loss) as number[]));
}
