/**
 * ListedKeys against a reference Set over many fills: keys drawn from a small pool (repeats), the
 * extremes 0 and 0xffff, full lists; a cleared list must not answer for an earlier fill's keys.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ListedKeys } from "../modules/gossip/listed-keys.js";
import { TestRng } from "./helpers/prng.js";

test("ListedKeys agrees with a Set across 600 fills", () => {
  const rng = new TestRng(7);
  const list = new ListedKeys(16);
  for (let fill = 0; fill < 600; fill++) {
    list.clear();
    const model = new Set<number>();
    const n = rng.below(17);
    const edges = fill % 3 === 0;
    for (let k = 0; k < n; k++) {
      const key = edges ? [0, 1, 0xfffe, 0xffff][rng.below(4)] : (rng.below(40) * 0x9e3779b1) & 0xffff;
      list.add(key);
      model.add(key);
    }
    list.sort();
    for (let q = 0; q < 40; q++) {
      const key = (q * 0x9e3779b1) & 0xffff;
      assert.is(list.has(key), model.has(key), `fill ${fill}, key ${key}`);
    }
    for (const key of [0, 1, 0xfffe, 0xffff]) assert.is(list.has(key), model.has(key), `fill ${fill}, edge ${key}`);
  }
});

test("ListedKeys holds at most its capacity (1..255); a fresh or cleared list is empty", () => {
  assert.throws(() => new ListedKeys(0), RangeError);
  assert.throws(() => new ListedKeys(256), RangeError);
  const full = new ListedKeys(255);
  for (let k = 0; k < 300; k++) full.add((k * 403) & 0xffff);
  full.sort();
  assert.ok(full.has((254 * 403) & 0xffff));
  assert.is(full.has((255 * 403) & 0xffff), false);
  const list = new ListedKeys(4);
  list.sort();
  assert.is(list.has(0xffff), false, "unused places hold 0xffff, but do not count");
  for (let k = 1; k <= 6; k++) list.add(k);
  list.sort();
  assert.equal([1, 2, 3, 4, 5, 6].map((k) => list.has(k)), [true, true, true, true, false, false]);
  list.clear();
  list.sort();
  assert.is(list.has(1), false);
});

test.run();
