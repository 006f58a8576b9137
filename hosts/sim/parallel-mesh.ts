/**
 * A simulated mesh run on several threads (Node only: worker_threads), giving exactly the report
 * of the serial run (SimulatedMesh.run), trace digest included, whatever the thread count.
 *
 * The nodes are split into `threads` strips by x, of equal count. Each thread (parallel-worker.ts)
 * builds the same topology and identities and runs only its strip; a frame for a node of another
 * strip goes into a ring buffer from its strip to that one. Synchronisation is conservative and
 * asynchronous: each thread publishes a bound (no frame it has not yet handed over will arrive
 * before it) and runs what the others' bounds make safe, band by band: a node h hops from its
 * strip's edge can't be reached by another strip's frames sooner than h radio latencies after they
 * reach the edge, so the strip's interior runs ahead while its edge waits. Each node's events run
 * in an order of its own (simulator.ts), so every node does exactly what it does in a serial run.
 * A publication is announced to every thread the same way, so every thread's ledger knows every
 * broadcast; the per-thread counts, broadcast records and per-node trace lanes are summed at the
 * end into the serial report (reportOf).
 *
 * Supported: what the scale benchmarks need (periodic and explicit broadcasts, every node on from
 * 0 for good). Anything else is refused by `parallelUnsupported` rather than half-supported.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { mergeFlights } from "./broadcast-ledger.js";
import { addCounts, reportOf, type MeshShare, type Scenario, type SimulationReport } from "./simulated-mesh.js";
import { randomGeometricGraph, type Topology } from "./topology.js";
import { Trace, type TraceLanes } from "./trace.js";

/** What a worker needs (workerData). */
export interface WorkerSetup {
  scenario: Scenario;
  index: number;
  threads: number;
  /** Strip (thread) of every node. */
  strip: Int32Array;
  /** Int32 words: ABORT, then per thread its bound (ms), its doorbell (bumped when it is sent something) and whether it sleeps on it. */
  control: SharedArrayBuffer;
  /** rings[from * threads + to]: the frames and publications from one strip to another. */
  rings: SharedArrayBuffer[];
  /** Int32 words per ring: where its writer has handed over up to, where its reader has read up to. */
  ringIndex: SharedArrayBuffer;
  /** Worker 0 reports the simulated time this often (ms); 0: never. */
  progressMs: number;
}

/** What a worker hands back. */
export interface WorkerShare extends MeshShare {
  /** Real time from start to end of the run, ms (worker 0). */
  runMs: number;
}

/** Control words: ABORT, then BOUND, DOORBELL and ASLEEP + CONTROL_STRIDE * thread. */
export const ABORT = 0;
export const BOUND = 1;
export const DOORBELL = 2;
/** 1 while the thread waits on its doorbell: only then does ringing it call Atomics.notify (a lock and often a syscall). */
export const ASLEEP = 3;
export const CONTROL_STRIDE = 3;
/** A bound beyond any run (bounds are Int32 ms). */
export const NEVER = 0x7fffffff;
/** Words per ring by default: 4 MB, far more than crosses a strip edge before its reader catches up. */
export const RING_WORDS = 1 << 20;

/** Why `parallelRun` can't run `scenario`, or null when it can. */
export function parallelUnsupported(scenario: Scenario): string | null {
  const refused: [boolean, string][] = [
    [(scenario.reboots?.length ?? 0) > 0, "reboots"],
    [(scenario.stops?.length ?? 0) > 0, "stops"],
    [(scenario.starts?.length ?? 0) > 0, "late starts"],
    [(scenario.partitions?.length ?? 0) > 0, "partitions"],
    [(scenario.directMessages?.length ?? 0) > 0, "direct messages"],
    [(scenario.readingPeriodMs ?? 0) > 0, "readings"],
    [(scenario.roles?.length ?? 0) > 0, "roles"],
    // A broadcast at 0 could run before other nodes power on; its reach then depends on them.
    [scenario.publishPeriodMs > 0 && scenario.warmupMs <= 0, "publishing from time 0"],
    [(scenario.broadcasts ?? []).some((b) => b.at <= 0), "broadcasts at time 0"],
  ];
  const what = refused.filter(([on]) => on).map(([, name]) => name);
  return what.length ? `the parallel simulator does not support ${what.join(", ")} (run it serially: MeshSimulation)` : null;
}

/** Node i's strip: nodes sorted by (x, index), cut into `threads` runs of equal count. */
export function strips(topology: Topology, threads: number): Int32Array {
  const n = topology.x.length;
  const byX = Array.from({ length: n }, (_, i) => i).sort((a, b) => topology.x[a] - topology.x[b] || a - b);
  const strip = new Int32Array(n);
  byX.forEach((node, k) => (strip[node] = Math.floor((k * threads) / n)));
  return strip;
}

export interface ParallelOptions {
  /** Default: the machine's available parallelism. */
  threads?: number;
  /** Called every `stepMs` simulated ms (from worker 0) with the simulated and the real time. */
  progress?: { stepMs: number; onStep(now: number, wallMs: number): void };
  /** Words per ring (default RING_WORDS); small ones make writers wait for readers (tests). */
  ringWords?: number;
}

/** The report of `scenario` run on `threads` threads (the same as MeshSimulation's, wall time aside). */
export async function parallelRun(scenario: Scenario, options: ParallelOptions = {}): Promise<SimulationReport> {
  const why = parallelUnsupported(scenario);
  if (why) throw new RangeError(why);
  const threads = options.threads ?? availableParallelism();
  const ringWords = options.ringWords ?? RING_WORDS;
  if (!(Number.isInteger(ringWords) && ringWords >= 512)) throw new RangeError(`ringWords must be an integer ≥ 512, got ${ringWords}`);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const started = performance.now();
  const topology = scenario.topology ?? randomGeometricGraph({ nodes: scenario.nodes, averageDegree: scenario.averageDegree, seed: scenario.seed });
  const strip = strips(topology, threads);
  const control = new SharedArrayBuffer(4 * (1 + CONTROL_STRIDE * threads));
  const rings = Array.from({ length: threads * threads }, (_, k) =>
    new SharedArrayBuffer(Math.floor(k / threads) === k % threads ? 0 : 4 * ringWords));
  const ringIndex = new SharedArrayBuffer(4 * 2 * threads * threads);
  const stepMs = options.progress?.stepMs ?? 0;
  const workers: Worker[] = [];
  const shares = await new Promise<WorkerShare[]>((resolve, reject) => {
    const out: WorkerShare[] = [];
    let done = 0;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      Atomics.store(new Int32Array(control), ABORT, 1);
      for (const w of workers) void w.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    for (let index = 0; index < threads; index++) {
      const setup: WorkerSetup = { scenario: { ...scenario, topology }, index, threads, strip, control, rings, ringIndex, progressMs: stepMs };
      const worker = new Worker(new URL("./parallel-worker.js", import.meta.url), { workerData: setup });
      workers.push(worker);
      worker.on("message", (m: { progress?: number; share?: WorkerShare }) => {
        if (m.progress !== undefined) options.progress?.onStep(m.progress, performance.now() - started);
        if (m.share) {
          out[index] = m.share;
          if (++done === threads) resolve(out);
        }
      });
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (out[index] === undefined) fail(new Error(`simulator thread ${index} exited (${code}) before it finished`));
      });
    }
  });
  const n = topology.x.length;
  const lanes: TraceLanes = { h1: new Int32Array(n), h2: new Int32Array(n), touched: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const own = shares[strip[i]].lanes;
    if (i >= own.touched.length || own.touched[i] === 0) continue;
    lanes.h1[i] = own.h1[i];
    lanes.h2[i] = own.h2[i];
    lanes.touched[i] = 1;
  }
  const counts = addCounts(shares.map((s) => s.counts));
  return reportOf(scenario, topology, counts, mergeFlights(shares.map((s) => s.flights), shares.map((s) => s.latencies)), Trace.fromLanes(lanes).digest(), shares[0].runMs);
}
