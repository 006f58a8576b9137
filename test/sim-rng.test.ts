import { test } from "uvu";
import * as assert from "uvu/assert";
import { Rng } from "../hosts/sim/rng.js";

function draw(rng: Rng, k: number): number[] {
  return Array.from({ length: k }, () => rng.nextU32());
}

test("same seed gives the same stream, different seeds differ", () => {
  assert.equal(draw(new Rng(42), 50), draw(new Rng(42), 50));
  assert.not.equal(draw(new Rng(42), 50), draw(new Rng(43), 50));
  for (const v of draw(new Rng(0), 1000)) assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
});

test("fork is pure: independent of parent draws and of other forks", () => {
  const parent = new Rng(7);
  const before = draw(parent.fork("node").fork(5), 20);
  draw(parent, 1000);
  parent.fork(4);
  assert.equal(draw(parent.fork("node").fork(5), 20), before);
  // forking doesn't consume from the parent
  const a = new Rng(9);
  const b = new Rng(9);
  a.fork("x");
  assert.equal(draw(a, 10), draw(b, 10));
});

test("forks with different labels are different streams", () => {
  const root = new Rng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) seen.add(root.fork(i).nextU32());
  assert.ok(seen.size > 9_980, `only ${seen.size} distinct first draws`);
  assert.not.equal(draw(root.fork(3), 5), draw(root.fork("3"), 5));
});

test("float is in [0, 1) with mean ≈ 0.5; int(n) is uniform over [0, n)", () => {
  const rng = new Rng(123);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const f = rng.float();
    assert.ok(f >= 0 && f < 1);
    sum += f;
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.005);
  const counts = new Array<number>(10).fill(0);
  const draws = 100_000;
  for (let i = 0; i < draws; i++) counts[rng.int(10)]++;
  // chi-square, 9 degrees of freedom: 99.9th percentile is 27.9
  const expected = draws / 10;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 27.9, `chi2 ${chi2}`);
  for (let i = 0; i < 1000; i++) assert.is(new Rng(i).int(1), 0);
});

test.run();
