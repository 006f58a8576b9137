/**
 * A 64-bit fingerprint of a run: every transmission (time, sender, length, bytes) and every event
 * (time, node, type). Two runs with equal digests behaved identically on the air, to within hash
 * collisions; tests compare digests to prove determinism.
 *
 * One running hash per node over its own transmissions and events, in its order; the digest
 * combines them in node order. A node's order is its own (hosts/sim/simulator.ts), so threads that
 * each ran some of the nodes give the same digest once their lanes are put together (`lanes`,
 * `Trace.fromLanes`).
 *
 * Two independent murmur3-style 32-bit lanes, fed a word at a time. Wire it to the simulator with
 * `onTransmit: (i, b, t) => trace.transmit(i, b, t)` and `onEvent: (i, e, t) => trace.event(i, e, t)`.
 */
import type { MeshEvent } from "../../modules/events.js";

const SEED1 = 0x12345678;
const SEED2 = 0x9abcdef0;

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mix1(h: number, k: number): number {
  let a = Math.imul(k, 0xcc9e2d51);
  a = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
  h ^= a;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mix2(g: number, k: number): number {
  let b = Math.imul(k, 0x85ebca6b);
  b = Math.imul((b << 17) | (b >>> 15), 0xc2b2ae35);
  g ^= b;
  g = (g << 15) | (g >>> 17);
  return (Math.imul(g, 5) + 0x7b7d159c) | 0;
}

/** Per node: both lanes, and whether anything was hashed (untouched nodes stay out of the digest). */
export interface TraceLanes {
  h1: Int32Array;
  h2: Int32Array;
  touched: Uint8Array;
}

export class Trace {
  private h1: Int32Array;
  private h2: Int32Array;
  private touched: Uint8Array;
  // The node being fed and its lanes, between begin() and end().
  private node = 0;
  private a = 0;
  private b = 0;

  constructor(nodes = 0) {
    this.h1 = new Int32Array(nodes);
    this.h2 = new Int32Array(nodes);
    this.touched = new Uint8Array(nodes);
  }

  /** A trace made of lanes, e.g. each node's taken from the thread that ran it. */
  static fromLanes(lanes: TraceLanes): Trace {
    const t = new Trace();
    t.h1 = lanes.h1;
    t.h2 = lanes.h2;
    t.touched = lanes.touched;
    return t;
  }

  transmit(index: number, bytes: Uint8Array, now: number): void {
    this.begin(index);
    this.word(0x54580000); // "TX" tag: a frame can't collide with an event record
    this.word(now);
    this.word(index);
    this.word(bytes.length);
    const whole = bytes.length & ~3;
    for (let i = 0; i < whole; i += 4) {
      this.word(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    }
    for (let i = whole; i < bytes.length; i++) this.word(bytes[i]);
    this.end();
  }

  event(index: number, event: MeshEvent, now: number): void {
    this.begin(index);
    this.word(0x45560000); // "EV"
    this.word(now);
    this.word(index);
    const type = event.type;
    for (let i = 0; i < type.length; i++) this.word(type.charCodeAt(i));
    this.end();
  }

  /** The per-node lanes (live views, not copies). */
  lanes(): TraceLanes {
    return { h1: this.h1, h2: this.h2, touched: this.touched };
  }

  /** 16 hex digits: every touched node's lanes, in node order; doesn't disturb the running state. */
  digest(): string {
    let h1 = SEED1;
    let h2 = SEED2;
    for (let i = 0; i < this.touched.length; i++) {
      if (this.touched[i] === 0) continue;
      for (const k of [i, this.h1[i], this.h2[i]]) {
        h1 = mix1(h1, k);
        h2 = mix2(h2, k);
      }
    }
    const hex = (v: number): string => fmix32(v).toString(16).padStart(8, "0");
    return hex(h1) + hex(h2 ^ h1);
  }

  private begin(index: number): void {
    if (index >= this.touched.length) this.widen(index + 1);
    this.node = index;
    if (this.touched[index] === 0) {
      this.touched[index] = 1;
      this.a = SEED1;
      this.b = SEED2;
    } else {
      this.a = this.h1[index];
      this.b = this.h2[index];
    }
  }

  private end(): void {
    this.h1[this.node] = this.a;
    this.h2[this.node] = this.b;
  }

  private word(k: number): void {
    this.a = mix1(this.a, k);
    this.b = mix2(this.b, k);
  }

  private widen(n: number): void {
    const size = Math.max(n, this.touched.length * 2);
    const grow = <A extends Int32Array | Uint8Array>(src: A, dst: A): A => {
      dst.set(src);
      return dst;
    };
    this.h1 = grow(this.h1, new Int32Array(size));
    this.h2 = grow(this.h2, new Int32Array(size));
    this.touched = grow(this.touched, new Uint8Array(size));
  }
}
