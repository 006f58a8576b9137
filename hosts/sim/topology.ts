/**
 * Where the nodes are and who can hear whom: points on a plane, a disc radio range, and the
 * resulting symmetric adjacency (unit-disc graph, distance ≤ range inclusive).
 *
 * Adjacency is built with a uniform grid of cells at least `range` wide, so each node only
 * compares against the 3×3 cells around it: O(N·degree), not O(N²).
 */
import { adjacencyFromEdges } from "./graph.js";
import { Rng } from "./rng.js";

export interface Topology {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Radio range, same unit as the coordinates. */
  readonly range: number;
  /** Side of the square the nodes were placed in (for explicit layouts: the largest coordinate). */
  readonly side: number;
  /** neighbors[i]: ascending indices within range of i. Views into one shared buffer. */
  readonly neighbors: Int32Array[];
}

export interface RandomGeometricOptions {
  nodes: number;
  /** Target expected degree; the range is solved for it. */
  averageDegree: number;
  seed: number;
  /** Default: 100·√nodes, i.e. one node per 100 × 100 area on average (think metres). */
  side?: number;
}

/** N points uniform in a square, with the range whose expected degree is `averageDegree`. */
export function randomGeometricGraph(options: RandomGeometricOptions): Topology {
  const { nodes, averageDegree, seed } = options;
  const side = options.side ?? 100 * Math.sqrt(nodes);
  const rng = new Rng(seed).fork("topology");
  const x = new Float64Array(nodes);
  const y = new Float64Array(nodes);
  for (let i = 0; i < nodes; i++) {
    x[i] = rng.float() * side;
    y[i] = rng.float() * side;
  }
  const range = rangeForDegree(nodes, averageDegree, side);
  return { x, y, range, side, neighbors: buildNeighbors(x, y, range) };
}

/**
 * P(two uniform points in the unit square are within distance d): the exact distance CDF, so
 * edge effects (nodes near the border have fewer neighbours) are accounted for, not approximated.
 */
function closeProbability(d: number): number {
  if (d <= 0) return 0;
  if (d <= 1) return Math.PI * d * d - (8 / 3) * d * d * d + 0.5 * d ** 4;
  if (d >= Math.SQRT2) return 1;
  const d2 = d * d;
  return (
    1 / 3 - 2 * d2 - 0.5 * d2 * d2 + (4 / 3) * (2 * d2 + 1) * Math.sqrt(d2 - 1) + 2 * d2 * (Math.asin(1 / d) - Math.acos(1 / d))
  );
}

/** Range giving expected degree (nodes − 1)·P(d ≤ range/side) = degree, by bisection. */
export function rangeForDegree(nodes: number, degree: number, side: number): number {
  if (nodes < 2 || degree <= 0) return 0;
  const target = degree / (nodes - 1);
  if (target >= 1) return side * Math.SQRT2;
  let lo = 0;
  let hi = Math.SQRT2;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (closeProbability(mid) < target) lo = mid;
    else hi = mid;
  }
  return hi * side;
}

/** Explicit positions, for hand-made test layouts. */
export function fromPositions(xs: ArrayLike<number>, ys: ArrayLike<number>, range: number): Topology {
  if (xs.length !== ys.length) throw new RangeError("x and y must have the same length");
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  let side = 0;
  for (let i = 0; i < x.length; i++) side = Math.max(side, x[i], y[i]);
  return { x, y, range, side, neighbors: buildNeighbors(x, y, range) };
}

/** cols × rows lattice, row-major indices (i = row·cols + col), `spacing` apart. */
export function gridLayout(cols: number, rows: number, spacing: number, range: number): Topology {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      xs.push(c * spacing);
      ys.push(r * spacing);
    }
  }
  return fromPositions(xs, ys, range);
}

/** Who hears whom from an undirected edge list, for hand-made test meshes (positions unused: all at 0, range 1). */
export function fromEdges(n: number, edges: ReadonlyArray<readonly [number, number]>): Topology {
  return { x: new Float64Array(n), y: new Float64Array(n), range: 1, side: 1, neighbors: adjacencyFromEdges(n, edges) };
}

/** n nodes on a line, `spacing` apart. */
export function lineLayout(n: number, spacing: number, range: number): Topology {
  return gridLayout(n, 1, spacing, range);
}

function buildNeighbors(x: Float64Array, y: Float64Array, range: number): Int32Array[] {
  const n = x.length;
  if (n === 0) return [];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, x[i]);
    maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, y[i]);
    maxY = Math.max(maxY, y[i]);
  }
  // Cells at least `range` wide (so 3×3 suffices) but no more than ~N of them (tiny ranges).
  const extent = Math.max(maxX - minX, maxY - minY);
  const perSide = Math.max(1, Math.ceil(Math.sqrt(n)));
  const cell = Math.max(range, extent / perSide) || 1;
  const cols = Math.floor((maxX - minX) / cell) + 1;
  const rows = Math.floor((maxY - minY) / cell) + 1;

  // Counting sort of nodes by cell.
  const cellOf = new Int32Array(n);
  const start = new Int32Array(cols * rows + 1);
  for (let i = 0; i < n; i++) {
    const c = Math.floor((y[i] - minY) / cell) * cols + Math.floor((x[i] - minX) / cell);
    cellOf[i] = c;
    start[c + 1]++;
  }
  for (let c = 0; c < cols * rows; c++) start[c + 1] += start[c];
  const members = new Int32Array(n);
  const fill = start.slice(0, cols * rows);
  for (let i = 0; i < n; i++) members[fill[cellOf[i]]++] = i;

  const r2 = range * range;
  const offsets = new Int32Array(n + 1);
  let flat = new Int32Array(Math.max(16, n * 8));
  let used = 0;
  for (let i = 0; i < n; i++) {
    const cx = cellOf[i] % cols;
    const cy = (cellOf[i] - cx) / cols;
    for (let yy = Math.max(0, cy - 1); yy <= Math.min(rows - 1, cy + 1); yy++) {
      for (let xx = Math.max(0, cx - 1); xx <= Math.min(cols - 1, cx + 1); xx++) {
        const c = yy * cols + xx;
        for (let k = start[c]; k < start[c + 1]; k++) {
          const j = members[k];
          if (j === i) continue;
          const dx = x[j] - x[i];
          const dy = y[j] - y[i];
          if (dx * dx + dy * dy > r2) continue;
          if (used === flat.length) {
            const bigger = new Int32Array(flat.length * 2);
            bigger.set(flat);
            flat = bigger;
          }
          flat[used++] = j;
        }
      }
    }
    offsets[i + 1] = used;
  }
  const neighbors = new Array<Int32Array>(n);
  // With a comparator: xsnap's XS 13.3 sorts the wrong bytes of a subarray that does not start at
  // byte 0 when none is given (the board's XS 17.9 does not).
  for (let i = 0; i < n; i++) neighbors[i] = flat.subarray(offsets[i], offsets[i + 1]).sort((a, b) => a - b);
  return neighbors;
}
