/**
 * Small seeded PRNG for tests (mulberry32): deterministic across runs, so a failure reproduces.
 * Independent of hosts/sim so that decoder and cache tests do not depend on simulator code.
 */
export class TestRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

/** An 8-byte node id whose bytes derive from `n` (distinct for distinct n < 2^32). */
export function testId(n: number): Uint8Array {
  const id = new Uint8Array(8);
  id[0] = 0xa0;
  id[1] = 0x5e;
  id[4] = n >>> 24;
  id[5] = n >>> 16;
  id[6] = n >>> 8;
  id[7] = n;
  return id;
}
