/**
 * SeenCache against a reference model: a Map for membership and an array for insertion order.
 * Keys are drawn from small pools so they repeat, and from pools built to collide in the index
 * (same home bucket, including the last bucket so probes wrap), which is where open addressing
 * with backward-shift deletion goes wrong if it does.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readU32, writeU32 } from "../modules/bytes.js";
import { messageHash, SeenCache } from "../modules/gossip/seen-cache.js";
import { TestRng } from "./helpers/prng.js";

interface Key {
  origin: Uint8Array;
  seq: number;
  name: string;
}

function key(a: number, b: number, seq: number): Key {
  const origin = new Uint8Array(8);
  writeU32(origin, 0, a);
  writeU32(origin, 4, b);
  return { origin, seq: seq >>> 0, name: `${a >>> 0}:${b >>> 0}:${seq >>> 0}` };
}

class Model {
  private readonly set = new Set<string>();
  /** Keys present, oldest first. */
  readonly order: Key[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.set.size;
  }

  has(k: Key): boolean {
    return this.set.has(k.name);
  }

  add(k: Key): boolean {
    if (this.set.has(k.name)) return false;
    if (this.order.length === this.capacity) this.set.delete(this.order.shift()!.name);
    this.order.push(k);
    this.set.add(k.name);
    return true;
  }

  get oldest(): Key | undefined {
    return this.order[0];
  }
}

/**
 * `perBucket` keys for each bucket in `buckets` under an index of `indexSize` slots, chosen with the
 * cache's own index hash so that they share home buckets.
 */
function collidingKeys(indexSize: number, buckets: number[], perBucket: number, rng: TestRng): Key[] {
  const want = new Map<number, number>(buckets.map((b) => [b, 0]));
  const total = want.size * perBucket;
  const out: Key[] = [];
  const origins = [[0x11111111, 0x22222222], [0xdeadbeef, 0x00000001], [rng.u32(), rng.u32()]];
  for (let seq = 1; out.length < total; seq++) {
    for (const [a, b] of origins) {
      const bucket = messageHash(a, b, seq) & (indexSize - 1);
      const got = want.get(bucket);
      if (got !== undefined && got < perBucket) {
        want.set(bucket, got + 1);
        out.push(key(a, b, seq));
      }
    }
  }
  return out;
}

function runAgainstModel(capacity: number, steps: number, seed: number): void {
  const rng = new TestRng(seed);
  const indexSize = capacity * 2;
  const pools: Key[][] = [
    // Hash collisions: three home buckets, the last one wrapping to slot 0.
    collidingKeys(indexSize, [0, 1, indexSize - 1], Math.max(4, capacity), rng),
    // Few origins, few sequence numbers: lots of repeats and exact duplicates.
    Array.from({ length: capacity * 3 }, (_, i) => key(0xa0000000 + (i % 3), 7, 1 + Math.floor(i / 3))),
    // Same seq, origins differing only in the second word; and origins differing only in the first.
    Array.from({ length: capacity }, (_, i) => key(5, i, 42)),
    Array.from({ length: capacity }, (_, i) => key(i, 5, 42)),
  ];
  const cache = new SeenCache(capacity);
  const model = new Model(capacity);
  let evictions = 0;
  for (let step = 0; step < steps; step++) {
    const k = rng.pick(rng.pick(pools));
    const where = `capacity ${capacity}, step ${step}, key ${k.name}`;
    if (rng.below(2) === 0) {
      const before = model.size;
      const oldest = model.oldest;
      const expected = model.add(k);
      assert.is(cache.add(k.origin, k.seq), expected, `add: ${where}`);
      if (expected && before === capacity) {
        evictions++;
        // The evicted key is the oldest inserted, and it is really gone.
        assert.not.ok(cache.has(oldest!.origin, oldest!.seq), `oldest ${oldest!.name} evicted: ${where}`);
      }
      // Every key the model holds is still findable. Checked after every add so that a broken
      // deletion is reported at once, before a corrupted index can make a later probe loop forever.
      for (const present of model.order) assert.ok(cache.has(present.origin, present.seq), `${present.name} lost: ${where}`);
    } else {
      assert.is(cache.has(k.origin, k.seq), model.has(k), `has: ${where}`);
    }
    assert.is(cache.size, model.size, `size: ${where}`);
    assert.ok(cache.size <= capacity, `size ${cache.size} > capacity: ${where}`);
  }
  assert.ok(evictions > steps / 20, `only ${evictions} evictions: the run did not exercise eviction`);
}

test("seen cache: identical answers to the reference model (capacity 64)", () => {
  runAgainstModel(64, 200_000, 1);
});

test("seen cache: identical answers to the reference model (capacities 1, 2, 4, 16, 256)", () => {
  for (const capacity of [1, 2, 4, 16, 256]) runAgainstModel(capacity, 40_000, capacity * 7 + 3);
});

test("seen cache: after a long run, exactly the last `capacity` distinct keys are present", () => {
  const capacity = 64;
  const rng = new TestRng(99);
  const cache = new SeenCache(capacity);
  const model = new Model(capacity);
  const pool = collidingKeys(capacity * 2, [0, 5, capacity * 2 - 1], 100, rng);
  for (let i = 0; i < 50_000; i++) {
    const k = rng.pick(pool);
    assert.is(cache.add(k.origin, k.seq), model.add(k));
  }
  for (const k of pool) assert.is(cache.has(k.origin, k.seq), model.has(k), k.name);
  assert.is(cache.size, capacity);
});

test("seen cache: oldest evicted first; a repeated add does not refresh age", () => {
  const cache = new SeenCache(64);
  const k = (i: number) => key(1, 2, i + 1);
  for (let i = 0; i < 64; i++) assert.ok(cache.add(k(i).origin, k(i).seq));
  assert.is(cache.size, 64);
  for (let i = 0; i < 64; i++) assert.ok(cache.has(k(i).origin, k(i).seq), `has ${i}`);
  assert.not.ok(cache.add(k(0).origin, k(0).seq), "duplicate add");
  assert.ok(cache.add(k(64).origin, k(64).seq));
  assert.not.ok(cache.has(k(0).origin, k(0).seq), "0 evicted despite the repeated add");
  assert.ok(cache.has(k(1).origin, k(1).seq));
  assert.ok(cache.add(k(65).origin, k(65).seq));
  assert.not.ok(cache.has(k(1).origin, k(1).seq));
  assert.ok(cache.has(k(2).origin, k(2).seq));
  assert.is(cache.size, 64);
  // An evicted key can be added again, as new.
  assert.ok(cache.add(k(0).origin, k(0).seq));
  assert.not.ok(cache.has(k(2).origin, k(2).seq));
});

test("seen cache: origin bytes and seq both distinguish keys", () => {
  const cache = new SeenCache(64);
  const base = key(0x01020304, 0x05060708, 9);
  cache.add(base.origin, base.seq);
  assert.ok(cache.has(base.origin, 9));
  assert.not.ok(cache.has(base.origin, 10));
  for (let i = 0; i < 8; i++) {
    const other = base.origin.slice();
    other[i] ^= 1;
    assert.not.ok(cache.has(other, 9), `origin byte ${i}`);
  }
  assert.is(readU32(base.origin, 0), 0x01020304);
  // Only the first 8 bytes of the origin count.
  const longer = new Uint8Array(12);
  longer.set(base.origin);
  longer[10] = 0xff;
  assert.ok(cache.has(longer, 9));
  // Seq is a full u32.
  assert.ok(cache.add(base.origin, 0xffffffff));
  assert.ok(cache.has(base.origin, 0xffffffff));
  assert.not.ok(cache.has(base.origin, 0x7fffffff));
});

test("seen cache: constructor accepts powers of two 1..32768, rejects others", () => {
  for (const c of [1, 2, 64, 1024, 32768]) assert.is(new SeenCache(c).capacity, c);
  for (const c of [0, -1, 3, 6, 63, 65, 100, 65536, 40000]) {
    assert.throws(() => new SeenCache(c), (e: unknown) => e instanceof RangeError, `capacity ${c}`);
  }
});

test("seen cache: constructor rejects NaN and non-integer capacities", () => {
  // Both pass the checks today: NaN fails no comparison and (NaN & NaN) === 0; for 1.5 the bitwise
  // test sees 1 & 0. Typed-array lengths truncate, so the cache is built broken (capacity 1.5 with
  // a 1-slot ring and a 3-slot index with mask 2; NaN with empty rings and a NaN mask).
  for (const c of [NaN, 1.5, 64.5]) {
    assert.throws(() => new SeenCache(c), (e: unknown) => e instanceof RangeError, `capacity ${c}`);
  }
});

test("seen cache: the largest capacity fills and evicts correctly", () => {
  const capacity = 32768;
  const cache = new SeenCache(capacity);
  const k = (i: number) => key(i * 2654435761, 3, i + 1);
  for (let i = 0; i < capacity + 100; i++) assert.ok(cache.add(k(i).origin, k(i).seq), `add ${i}`);
  assert.is(cache.size, capacity);
  for (let i = 0; i < 100; i++) assert.not.ok(cache.has(k(i).origin, k(i).seq), `evicted ${i}`);
  for (let i = 100; i < capacity + 100; i += 97) assert.ok(cache.has(k(i).origin, k(i).seq), `kept ${i}`);
});

test.run();
