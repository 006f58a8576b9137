/**
 * One thread of a parallel run (parallel-mesh.ts): a SimulatedMesh that runs the nodes of its
 * strip, as far ahead as the other threads' bounds allow.
 *
 * A node's band is its hop distance (within the strip) to the strip's edge, the nodes with a
 * neighbor in another strip, capped at BANDS - 1. With H the least of the other threads' bounds (no
 * frame of theirs yet to be handed over arrives before H), an event of band b at time t is safe
 * when t < H + b × latency: a frame from outside reaches the edge at H at the earliest and each hop
 * inward takes a latency more. The loop: read H, then what the others handed over; run the safe
 * events of one slice, one latency past our earliest event (in edge time, t − b × latency); hand
 * over what we sent and publish our own bound, the least of H + latency (what a frame from outside
 * could make the edge send) and, per band, its next event + (b + 1) × latency; wait for news when
 * nothing was safe. Slices keep the bound moving while we work, so the others work alongside
 * instead of in turn; every exchange moves a bound on by a latency at least, so the threads never
 * wait on each other for good.
 *
 * A slice runs the edge band first, hands over and publishes the bound, and only then runs the inner
 * bands: the others wait on our edge alone, a tenth of the strip's work or so, not on the whole
 * slice. Band by band is as good as earliest first: a band's slice ends before the next band's
 * earliest event (a slice reaches one latency past our earliest event in edge time) and a frame
 * takes a latency at least, so nothing an inner band sends outward lands in the outer band's slice,
 * and what an outer band sends inward is queued before the inner band runs.
 *
 * Ring records (Int32 words, word-ring.ts):
 *   frame:       1, sender, txNumber, sentAt, byteLength, bytes (padded to words), count, (receiver, at) × count
 *   publication: 2, source, seq, at, origin length, origin char codes
 */
import { parentPort, workerData } from "node:worker_threads";
import { NODE_PLATFORM } from "./mesh-simulation.js";
import { SimulatedMesh } from "./simulated-mesh.js";
import { RingReader, RingWriter } from "./word-ring.js";
import { ABORT, ASLEEP, BOUND, CONTROL_STRIDE, DOORBELL, NEVER, type WorkerSetup, type WorkerShare } from "./parallel-mesh.js";

const FRAME = 1;
const PUBLICATION = 2;
/** Bands of a strip: deeper nodes share the last band (a smaller lead than theirs: still safe). */
const BANDS = 8;
/** Polls of the doorbell before sleeping on it: news often comes sooner than a futex wake-up. */
const SPIN = 2000;

const setup = workerData as WorkerSetup;
const { scenario, index, threads, strip, progressMs } = setup;
const { neighbors } = scenario.topology!;
const control = new Int32Array(setup.control);
const ringIndex = new Int32Array(setup.ringIndex);
const ringOf = (from: number, to: number): number => from * threads + to;
// Per other thread: the ring we write to it, the ring we read from it (undefined for ourselves).
const outbox = Array.from({ length: threads }, (_, t) =>
  t === index ? undefined : new RingWriter(setup.rings[ringOf(index, t)], ringIndex, 2 * ringOf(index, t)));
const inbox = Array.from({ length: threads }, (_, t) =>
  t === index ? undefined : new RingReader(setup.rings[ringOf(t, index)], ringIndex, 2 * ringOf(t, index)));

/** Each owned node's band: hops to the strip's edge, capped. */
function bands(): Uint8Array {
  const band = new Uint8Array(strip.length).fill(BANDS - 1);
  const queue: number[] = [];
  for (let i = 0; i < strip.length; i++) {
    if (strip[i] === index && neighbors[i].some((j) => strip[j] !== index)) {
      band[i] = 0;
      queue.push(i);
    }
  }
  for (let k = 0; k < queue.length; k++) {
    const i = queue[k];
    if (band[i] + 1 >= BANDS - 1) continue;
    for (const j of neighbors[i]) {
      if (strip[j] === index && band[j] > band[i] + 1) {
        band[j] = band[i] + 1;
        queue.push(j);
      }
    }
  }
  return band;
}

/** The bound we published last: no frame we hand over from now on may arrive before it. */
let published = -1;

// Per destination: the frame record receptions are being added to (its count word; -1 none), and whose frame it is.
const openCount = new Int32Array(threads).fill(-1);
const openSender = new Int32Array(threads);
const openTx = new Float64Array(threads);

/** Room for `need` words in the ring to `to`, waiting for its reader if need be; returns where. */
function reserve(to: number, need: number): number {
  const ring = outbox[to] as RingWriter;
  for (let spins = 0; ; spins++) {
    const at = ring.reserve(need);
    if (at >= 0) return at;
    // The reader may be waiting on us: hand over what is complete and keep reading our own rings.
    if (spins === 0) handOver();
    readInboxes();
    if (Atomics.load(control, ABORT) !== 0) throw new Error("parallel simulator: another thread failed");
  }
}

/** Makes everything written so far readable by the other threads, and rings their doorbells. */
function handOver(): void {
  openCount.fill(-1);
  for (let to = 0; to < threads; to++) if (outbox[to]?.publish()) wake(to);
}

/**
 * Rings thread `to`'s doorbell, and wakes it if it sleeps on it. The bump comes before the look at
 * ASLEEP, and the sleeper sets ASLEEP before it looks at the bell (all sequentially consistent):
 * either we see it asleep and notify, or its Atomics.wait finds the bell already changed.
 */
function wake(to: number): void {
  Atomics.add(control, DOORBELL + CONTROL_STRIDE * to, 1);
  if (Atomics.load(control, ASLEEP + CONTROL_STRIDE * to) !== 0) Atomics.notify(control, DOORBELL + CONTROL_STRIDE * to);
}

const mesh = new SimulatedMesh(scenario, NODE_PLATFORM, {
  owned: Uint8Array.from(strip, (s) => (s === index ? 1 : 0)),
  bandOf: bands(),
  sendAway(at, receiver, sender, txNumber, sentAt, bytes) {
    // The others may have run past it already: a broken bound must not pass silently.
    if (at < published) throw new Error(`parallel simulator: a frame for ${at} ms after we promised none before ${published} ms`);
    const to = strip[receiver];
    const ring = outbox[to] as RingWriter;
    const words = ring.words;
    if (openCount[to] < 0 || openSender[to] !== sender || openTx[to] !== txNumber) {
      const padded = (bytes.length + 3) >> 2;
      // Room for every reception this frame can have in that strip, so they all go in one record.
      let receivers = 0;
      for (const j of neighbors[sender]) if (strip[j] === to) receivers++;
      let p = reserve(to, 6 + padded + 2 * receivers);
      words[p++] = FRAME;
      words[p++] = sender;
      words[p++] = txNumber;
      words[p++] = sentAt;
      words[p++] = bytes.length;
      ring.bytes.set(bytes, p * 4);
      p += padded;
      openCount[to] = p;
      openSender[to] = sender;
      openTx[to] = txNumber;
      words[p++] = 0;
      ring.end = p;
    }
    words[ring.end++] = receiver;
    words[ring.end++] = at;
    words[openCount[to]]++;
  },
  published(source, origin, seq, at) {
    for (let to = 0; to < threads; to++) {
      if (to === index) continue;
      const ring = outbox[to] as RingWriter;
      const words = ring.words;
      let p = reserve(to, 5 + origin.length);
      words[p++] = PUBLICATION;
      words[p++] = source;
      words[p++] = seq;
      words[p++] = at;
      words[p++] = origin.length;
      for (let k = 0; k < origin.length; k++) words[p++] = origin.charCodeAt(k);
      ring.end = p;
      openCount[to] = -1;
    }
  },
});
const sim = mesh.simulator;

/** Per other thread: takes in its record at word `k` of its ring to us; returns where the next starts. */
const takeRecord = inbox.map((ring) => ring && ((k: number): number => {
  const w = ring.words;
  if (w[k] === FRAME) {
    const sender = w[k + 1], txNumber = w[k + 2], sentAt = w[k + 3], length = w[k + 4];
    k += 5;
    const bytes = ring.bytes.slice(k * 4, k * 4 + length);
    k += (length + 3) >> 2;
    const count = w[k++];
    for (let r = 0; r < count; r++, k += 2) sim.deliverFrom(w[k + 1], w[k], sender, txNumber, sentAt, bytes);
    return k;
  }
  const source = w[k + 1], seq = w[k + 2], at = w[k + 3], length = w[k + 4];
  k += 5;
  mesh.heardOf(source, String.fromCharCode(...w.subarray(k, k + length)), seq, at);
  return k + length;
}));

/** Takes in everything the other threads have handed over to us. */
function readInboxes(): void {
  for (let from = 0; from < threads; from++) inbox[from]?.read(takeRecord[from] as (k: number) => number);
}

const latency = sim.radio.latencyMs;
if (!(Number.isInteger(latency) && latency >= 1)) throw new RangeError(`the parallel simulator needs an integer radio latency ≥ 1 ms, got ${latency}`);
const end = scenario.durationMs;
if (!(end < NEVER - BANDS * latency)) throw new RangeError(`the parallel simulator runs up to ${NEVER - BANDS * latency} ms, not ${end}`);
const limits = new Float64Array(sim.bands);
/** The edge band's limit alone (the others' -Infinity): the first half of a slice. */
const edgeLimits = new Float64Array(sim.bands).fill(-Infinity);
const started = performance.now();
let nextProgress = progressMs;

/** Publishes our bound, given the others' least bound `h`, if it moved on; wakes the others then. */
function publishBound(h: number): void {
  let bound = h + latency;
  for (let b = 0; b < limits.length; b++) bound = Math.min(bound, sim.bandNextAt(b) + (b + 1) * latency);
  if (bound <= published) return;
  published = Math.min(bound, NEVER);
  Atomics.store(control, BOUND + CONTROL_STRIDE * index, published);
  for (let t = 0; t < threads; t++) if (t !== index) wake(t);
}

for (;;) {
  const bell = Atomics.load(control, DOORBELL + CONTROL_STRIDE * index);
  let h = NEVER;
  for (let t = 0; t < threads; t++) if (t !== index) h = Math.min(h, Atomics.load(control, BOUND + CONTROL_STRIDE * t));
  readInboxes();
  // One slice of one latency past our earliest event due (edge time: band b's events count b
  // latencies earlier), so that our bound moves on, and the others work on what it allows, while we go on.
  let edge = NEVER;
  for (let b = 0; b < limits.length; b++) {
    const next = sim.bandNextAt(b);
    if (next <= end) edge = Math.min(edge, next - b * latency);
  }
  const cap = Math.min(h, edge + latency);
  for (let b = 0; b < limits.length; b++) limits[b] = Math.min(cap + b * latency - 1, end);
  edgeLimits[0] = limits[0];
  let steps = sim.runBands(edgeLimits);
  handOver();
  publishBound(h);
  steps += sim.runBands(limits);
  handOver();
  publishBound(h);
  const done = Math.min(h, sim.nextEventAt);
  if (index === 0 && progressMs > 0) {
    for (; nextProgress < done && nextProgress < end; nextProgress += progressMs) parentPort?.postMessage({ progress: nextProgress });
  }
  if (done > end) break;
  if (steps > 0) continue;
  // Nothing was safe: wait for a bound or frames from another thread.
  for (let spin = 0; spin < SPIN && Atomics.load(control, DOORBELL + CONTROL_STRIDE * index) === bell; spin++);
  Atomics.store(control, ASLEEP + CONTROL_STRIDE * index, 1);
  while (Atomics.load(control, DOORBELL + CONTROL_STRIDE * index) === bell) {
    if (Atomics.load(control, ABORT) !== 0) throw new Error("parallel simulator: another thread failed");
    Atomics.wait(control, DOORBELL + CONTROL_STRIDE * index, bell, 100);
  }
  Atomics.store(control, ASLEEP + CONTROL_STRIDE * index, 0);
}
sim.runUntil(end);
const share: WorkerShare = { ...mesh.share(), runMs: performance.now() - started };
parentPort?.postMessage({ share });
