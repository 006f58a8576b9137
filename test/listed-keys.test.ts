/**
 * listedPosition against a reference search over many HELLOs: keys drawn from a small pool
 * (repeats), the extremes 0 and 0xffff, empty and full lists, every start position in and around
 * the list; and a walk in nearly the list's reverse order, as repair makes it, finds each key.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { listedPosition } from "../modules/gossip/listed-keys.js";
import { decodeHello, encodeHello, MAX_RECENT_KEYS, newHelloView, type HelloView } from "../modules/wire/hello.js";
import { WireError } from "../modules/wire/errors.js";
import { TestRng } from "./helpers/prng.js";

function helloListing(keys: number[]): HelloView {
  const view = newHelloView();
  assert.is(decodeHello(encodeHello(1, 5000, 0, null, [], 15_000, keys), view), WireError.None);
  return view;
}

test("listedPosition finds a key exactly when the HELLO lists it, from any start, over 600 HELLOs", () => {
  const rng = new TestRng(7);
  for (let fill = 0; fill < 600; fill++) {
    const n = fill % 50 === 0 ? MAX_RECENT_KEYS : rng.below(17);
    const edges = fill % 3 === 0;
    const keys: number[] = [];
    for (let k = 0; k < n; k++) keys.push(edges ? [0, 1, 0xfffe, 0xffff][rng.below(4)] : (rng.below(40) * 0x9e3779b1) & 0xffff);
    const hello = helloListing(keys);
    const queries = [0, 1, 0xfffe, 0xffff];
    for (let q = 0; q < 40; q++) queries.push((q * 0x9e3779b1) & 0xffff);
    for (const key of queries) {
      for (const near of [-5, -1, 0, 1, n >> 1, n - 2, n - 1, n, n + 7]) {
        const at = listedPosition(hello, key, near);
        if (keys.includes(key)) assert.is(keys[at], key, `fill ${fill}, key ${key}, near ${near}`);
        else assert.is(at, -1, `fill ${fill}, key ${key}, near ${near}`);
      }
    }
  }
});

test("listedPosition follows a walk in nearly the list's reverse order, and names the first of repeated keys it meets", () => {
  const keys = Array.from({ length: 200 }, (_, k) => (k * 0x9e37 + 11) & 0xffff);
  const hello = helloListing(keys);
  // Oldest first, with neighbors swapped: each lookup starts just before the last key found.
  const walk = keys.map((_, k) => keys.length - 1 - (k ^ 1));
  let near = keys.length - 1;
  for (const k of walk) {
    const at = listedPosition(hello, keys[k], near);
    assert.is(at, k);
    near = at - 1;
  }
  const repeated = helloListing([5, 9, 5, 7, 5]);
  // Searched at near, near + 1, near - 1, near + 2, ...
  assert.is(listedPosition(repeated, 5, 3), 4);
  assert.is(listedPosition(repeated, 5, 1), 2);
  assert.is(listedPosition(repeated, 5, 0), 0);
  assert.is(listedPosition(helloListing([]), 5, 0), -1);
});

test.run();
