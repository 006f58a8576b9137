/**
 * How fast two threads of this machine run beside each other: one serial simulation on a thread
 * alone, then the same on two threads at once, each one's speed as a share of the first. Where the
 * two cores share caches and memory bandwidth (or a VM's two vCPUs share more), the share is well
 * under 1, and it bounds what the parallel simulator (hosts/sim/parallel-mesh.ts) can gain: two
 * threads of it run at most 2 × share as fast as one.
 */
import { Worker } from "node:worker_threads";

/**
 * The work: 200 nodes (two simulated minutes by default), each publishing every 12 s, so that each node
 * handles the traffic of a node of the 1,000-node scale run (one message per node per minute).
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.simulation).then(({ MeshSimulation, defaultScenario }) => {
  const sim = new MeshSimulation({ ...defaultScenario(), nodes: 200, durationMs: workerData.durationMs, publishPeriodMs: 12000, warmupMs: 5000,
    config: { hopLimit: 255 } });
  const started = performance.now();
  sim.run();
  parentPort.postMessage(performance.now() - started);
});
`;

export interface ThreadShare {
  /** The run on one thread alone, ms, in each round. */
  aloneMs: number[];
  /** The slower of the two runs side by side, ms, in each round. */
  pairMs: number[];
  /** The median over the rounds of alone / pair: each thread's speed beside another, as a share of its speed alone. */
  share: number;
}

/** Rounds measured by default: the machine's neighbors (a VM's) move single rounds by ±15 %. */
const ROUNDS = 3;
const DURATION_MS = 120_000;

function run(count: number, durationMs: number): Promise<number[]> {
  const simulation = new URL("../hosts/sim/mesh-simulation.js", import.meta.url).href;
  return Promise.all(Array.from({ length: count }, () => new Promise<number>((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { simulation, durationMs } });
    worker.once("message", (ms: number) => {
      resolve(ms);
      void worker.terminate();
    });
    worker.once("error", reject);
  })));
}

export async function measureThreadShare(rounds = ROUNDS, durationMs = DURATION_MS): Promise<ThreadShare> {
  const aloneMs: number[] = [];
  const pairMs: number[] = [];
  const shares: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const [alone] = await run(1, durationMs);
    const pair = Math.max(...(await run(2, durationMs)));
    aloneMs.push(alone);
    pairMs.push(pair);
    shares.push(alone / pair);
  }
  shares.sort((a, b) => a - b);
  return { aloneMs, pairMs, share: shares[rounds >> 1] };
}
