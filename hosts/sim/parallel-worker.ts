/**
 * One thread of a parallel run (parallel-mesh.ts): a SimulatedMesh that runs the nodes of its
 * strip, in lock-step rounds with the other threads.
 *
 * A round: barrier; read what the others wrote to us in the last round; LB = the earliest time any
 * thread published (its own next event or the earliest frame it sent); run up to LB + latency - 1,
 * writing frames for other strips into this round's outbox; publish min(our next event, the
 * earliest frame we sent). Outboxes and time slots alternate by round parity: one barrier per round
 * is then enough, since a buffer is rewritten two rounds later, after its readers passed a barrier.
 *
 * Channel records (Int32 words; word 0 of a buffer is its length in words):
 *   frame:       1, sender, txNumber, sentAt, byteLength, bytes (padded to words), count, (receiver, at) × count
 *   publication: 2, source, seq, at, origin length, origin char codes
 */
import { parentPort, workerData } from "node:worker_threads";
import { NODE_PLATFORM } from "./mesh-simulation.js";
import { SimulatedMesh } from "./simulated-mesh.js";
import { ABORT, CHANNEL_WORDS, COUNT, GENERATION, type WorkerSetup, type WorkerShare } from "./parallel-mesh.js";

const FRAME = 1;
const PUBLICATION = 2;
/** Polls of the barrier word before sleeping on it: a round is often shorter than a futex wake-up. */
const SPIN = 500;

const setup = workerData as WorkerSetup;
const { scenario, index, threads, strip, progressMs } = setup;
const control = new Int32Array(setup.control);
const next = new Float64Array(setup.next);
const outbox = (to: number, parity: number): SharedArrayBuffer => setup.channels[index * threads + to][parity];
const inbox = (from: number, parity: number): SharedArrayBuffer => setup.channels[from * threads + index][parity];
const words = (b: SharedArrayBuffer): Int32Array => new Int32Array(b);
const bytesOf = (b: SharedArrayBuffer): Uint8Array => new Uint8Array(b);
const outWords = [0, 1].map((p) => Array.from({ length: threads }, (_, t) => (t === index ? new Int32Array(0) : words(outbox(t, p)))));
const outBytes = [0, 1].map((p) => Array.from({ length: threads }, (_, t) => (t === index ? new Uint8Array(0) : bytesOf(outbox(t, p)))));
const inWords = [0, 1].map((p) => Array.from({ length: threads }, (_, t) => (t === index ? new Int32Array(0) : words(inbox(t, p)))));
const inBytes = [0, 1].map((p) => Array.from({ length: threads }, (_, t) => (t === index ? new Uint8Array(0) : bytesOf(inbox(t, p)))));

let parity = 0;
/** Earliest arrival among the frames sent to other strips this round. */
let minSent = Infinity;
// Per destination: the frame record receptions are being added to (its count word), and whose it is.
const openCount = new Int32Array(threads).fill(-1);
const openSender = new Int32Array(threads);
const openTx = new Float64Array(threads);

function room(to: number, need: number): Int32Array {
  const w = outWords[parity][to];
  if (w[0] + need > CHANNEL_WORDS) throw new Error(`parallel simulator: over ${CHANNEL_WORDS} words from strip ${index} to ${to} in one round`);
  return w;
}

const owned = Uint8Array.from(strip, (s) => (s === index ? 1 : 0));
const mesh = new SimulatedMesh(scenario, NODE_PLATFORM, {
  owned,
  sendAway(at, receiver, sender, txNumber, sentAt, bytes) {
    const to = strip[receiver];
    if (at < minSent) minSent = at;
    let w: Int32Array;
    if (openCount[to] < 0 || openSender[to] !== sender || openTx[to] !== txNumber) {
      const padded = (bytes.length + 3) >> 2;
      w = room(to, 7 + padded);
      let p = w[0];
      w[p++] = FRAME;
      w[p++] = sender;
      w[p++] = txNumber;
      w[p++] = sentAt;
      w[p++] = bytes.length;
      outBytes[parity][to].set(bytes, p * 4);
      p += padded;
      openCount[to] = p;
      openSender[to] = sender;
      openTx[to] = txNumber;
      w[p++] = 0;
      w[0] = p;
    } else {
      w = room(to, 2);
    }
    let p = w[0];
    w[p++] = receiver;
    w[p++] = at;
    w[0] = p;
    w[openCount[to]]++;
  },
  published(source, origin, seq, at) {
    for (let to = 0; to < threads; to++) {
      if (to === index) continue;
      const w = room(to, 5 + origin.length);
      let p = w[0];
      w[p++] = PUBLICATION;
      w[p++] = source;
      w[p++] = seq;
      w[p++] = at;
      w[p++] = origin.length;
      for (let k = 0; k < origin.length; k++) w[p++] = origin.charCodeAt(k);
      w[0] = p;
      openCount[to] = -1;
    }
  },
});
const sim = mesh.simulator;

function readInbox(from: number, p: number): void {
  const w = inWords[p][from];
  const b = inBytes[p][from];
  const end = w[0];
  let k = 1;
  while (k < end) {
    if (w[k] === FRAME) {
      const sender = w[k + 1], txNumber = w[k + 2], sentAt = w[k + 3], length = w[k + 4];
      k += 5;
      const bytes = b.slice(k * 4, k * 4 + length);
      k += (length + 3) >> 2;
      const count = w[k++];
      for (let r = 0; r < count; r++, k += 2) sim.deliverFrom(w[k + 1], w[k], sender, txNumber, sentAt, bytes);
    } else {
      const source = w[k + 1], seq = w[k + 2], at = w[k + 3], length = w[k + 4];
      k += 5;
      mesh.heardOf(source, String.fromCharCode(...w.subarray(k, k + length)), seq, at);
      k += length;
    }
  }
}

function barrier(): void {
  const generation = Atomics.load(control, GENERATION);
  if (Atomics.add(control, COUNT, 1) === threads - 1) {
    Atomics.store(control, COUNT, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    return;
  }
  for (let spin = 0; spin < SPIN; spin++) if (Atomics.load(control, GENERATION) !== generation) return;
  while (Atomics.load(control, GENERATION) === generation) {
    if (Atomics.load(control, ABORT) !== 0) throw new Error("parallel simulator: another thread failed");
    Atomics.wait(control, GENERATION, generation, 100);
  }
}

const latency = sim.radio.latencyMs;
if (!(Number.isInteger(latency) && latency >= 1)) throw new RangeError(`the parallel simulator needs an integer radio latency ≥ 1 ms, got ${latency}`);
const end = scenario.durationMs;
let started = 0;
let nextProgress = progressMs;
next[index * 2 + 1] = sim.nextEventAt;
for (let round = 0; ; round++) {
  parity = round & 1;
  barrier();
  if (round === 0) started = performance.now();
  if (round > 0) for (let from = 0; from < threads; from++) if (from !== index) readInbox(from, parity ^ 1);
  let lb = Infinity;
  for (let t = 0; t < threads; t++) lb = Math.min(lb, next[t * 2 + (parity ^ 1)]);
  if (lb > end) break;
  const hi = Math.min(lb + latency - 1, end);
  for (let to = 0; to < threads; to++) if (to !== index) outWords[parity][to][0] = 1;
  openCount.fill(-1);
  minSent = Infinity;
  sim.runUntil(hi);
  next[index * 2 + parity] = Math.min(sim.nextEventAt, minSent);
  if (index === 0 && progressMs > 0) {
    for (; nextProgress <= hi && nextProgress < end; nextProgress += progressMs) parentPort?.postMessage({ progress: nextProgress });
  }
}
sim.runUntil(end);
const share: WorkerShare = { ...mesh.share(), runMs: performance.now() - started };
parentPort?.postMessage({ share });
