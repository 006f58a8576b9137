/**
 * KeySet against a reference Set over many fills: keys drawn from a small pool (repeats), and keys
 * that share their low bits (one probe chain, wrapping past the last slot); a cleared set must not
 * answer for an earlier fill's keys.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KeySet } from "../modules/gossip/key-set.js";
import { TestRng } from "./helpers/prng.js";

test("KeySet agrees with a Set across 600 fills", () => {
  const rng = new TestRng(7);
  const set = new KeySet(16);
  for (let fill = 0; fill < 600; fill++) {
    set.clear();
    const model = new Set<number>();
    const n = rng.below(17);
    const colliding = fill % 3 === 0;
    for (let k = 0; k < n; k++) {
      // Colliding keys all have low bits 31 (the last slot of 32), so their probes wrap to slot 0.
      const key = colliding ? ((rng.below(64) << 5) | 31) >>> 0 : (rng.below(40) * 0x9e3779b1) & 0xffff;
      set.add(key);
      model.add(key);
    }
    for (let q = 0; q < 64; q++) {
      const key = colliding ? ((q << 5) | 31) >>> 0 : (q * 0x9e3779b1) & 0xffff;
      assert.is(set.has(key), model.has(key), `fill ${fill}, key ${key}`);
    }
  }
});

test("KeySet holds at most its capacity (1..255); a fresh set is empty", () => {
  assert.throws(() => new KeySet(0), RangeError);
  assert.throws(() => new KeySet(256), RangeError);
  const full = new KeySet(255);
  for (let k = 0; k < 300; k++) full.add((k * 0x01000193) & 0xffff);
  assert.ok(full.has((254 * 0x01000193) & 0xffff));
  assert.is(full.has((255 * 0x01000193) & 0xffff), false);
  const set = new KeySet(4);
  assert.is(set.has(0), false);
  for (let k = 1; k <= 6; k++) set.add(k);
  assert.equal([1, 2, 3, 4, 5, 6].map((k) => set.has(k)), [true, true, true, true, false, false]);
  set.clear();
  assert.is(set.has(1), false);
});

test.run();
