/**
 * A running 64-bit fingerprint of a run: every transmission (time, sender, length, bytes) and every
 * event (time, node, type). Two runs with equal digests behaved identically on the air, to within
 * hash collisions; tests compare digests to prove determinism.
 *
 * Two independent murmur3-style 32-bit lanes, fed a word at a time. Wire it to the simulator with
 * `onTransmit: (i, b, t) => trace.transmit(i, b, t)` and `onEvent: (i, e, t) => trace.event(i, e, t)`.
 */
import type { MeshEvent } from "../../modules/events.js";

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Trace {
  private h1 = 0x12345678;
  private h2 = 0x9abcdef0;

  transmit(index: number, bytes: Uint8Array, now: number): void {
    this.word(0x54580000); // "TX" tag: a frame can't collide with an event record
    this.word(now);
    this.word(index);
    this.word(bytes.length);
    const whole = bytes.length & ~3;
    for (let i = 0; i < whole; i += 4) {
      this.word(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    }
    for (let i = whole; i < bytes.length; i++) this.word(bytes[i]);
  }

  event(index: number, event: MeshEvent, now: number): void {
    this.word(0x45560000); // "EV"
    this.word(now);
    this.word(index);
    const type = event.type;
    for (let i = 0; i < type.length; i++) this.word(type.charCodeAt(i));
  }

  /** 16 hex digits; doesn't disturb the running state. */
  digest(): string {
    const hex = (v: number): string => fmix32(v).toString(16).padStart(8, "0");
    return hex(this.h1) + hex(this.h2 ^ this.h1);
  }

  private word(k: number): void {
    let a = Math.imul(k, 0xcc9e2d51);
    a = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
    let h = this.h1 ^ a;
    h = (h << 13) | (h >>> 19);
    this.h1 = (Math.imul(h, 5) + 0xe6546b64) | 0;

    let b = Math.imul(k, 0x85ebca6b);
    b = Math.imul((b << 17) | (b >>> 15), 0xc2b2ae35);
    let g = this.h2 ^ b;
    g = (g << 15) | (g >>> 17);
    this.h2 = (Math.imul(g, 5) + 0x7b7d159c) | 0;
  }
}
