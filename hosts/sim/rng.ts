/**
 * Seeded PRNG for the simulator: xoshiro128** (Blackman & Vigna), state expanded from the seed with
 * splitmix32. Satisfies the core's `Random` port.
 *
 * Streams are derived, not shared: `fork(label)` is a pure function of this stream's *initial* state
 * and the label, so node 7's stream is the same whether the network has 10 nodes or 10,000, and
 * drawing from (or forking) a parent never shifts a child.
 */
import type { Random } from "../../modules/ports.js";

const GOLDEN = 0x9e3779b9;

/** splitmix32's output function: a bijective 32-bit avalanche mix. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units; numbers are mixed directly so fork(3) and fork("3") differ. */
function labelHash(label: string | number): number {
  if (typeof label === "number") return mix32((label >>> 0) ^ GOLDEN);
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Initial state, kept so forks depend on identity only, never on how far this stream has run. */
  private readonly key: readonly [number, number, number, number];

  /** `seed`: any 32-bit integer, or four 32-bit words (the derived form `fork` uses). */
  constructor(seed: number | readonly [number, number, number, number]) {
    let w: [number, number, number, number];
    if (typeof seed === "number") {
      let s = seed >>> 0;
      const next = (): number => mix32((s = (s + GOLDEN) >>> 0));
      w = [next(), next(), next(), next()];
    } else {
      w = [seed[0] >>> 0, seed[1] >>> 0, seed[2] >>> 0, seed[3] >>> 0];
    }
    // xoshiro's one forbidden state.
    if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1;
    this.key = w;
    [this.a, this.b, this.c, this.d] = w;
  }

  nextU32(): number {
    const b = this.b;
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32 (bias below 2^-32 · n, irrelevant here). */
  int(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** An independent child stream; the same label always yields the same stream. */
  fork(label: string | number): Rng {
    const h = labelHash(label);
    const k = this.key;
    return new Rng([
      mix32(k[0] ^ h),
      mix32(k[1] ^ mix32(h + GOLDEN)),
      mix32(k[2] ^ mix32(h + 2 * GOLDEN)),
      mix32(k[3] ^ mix32(h + 3 * GOLDEN)),
    ]);
  }
}
