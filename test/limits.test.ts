/** Rate limits: token buckets in one table, the per-origin relay budget's and the open budget's bounded memory. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { OpenBudget } from "../modules/limits/open-budget.js";
import { CERTIFICATE_RELAY_GAP_MS, OriginLimiter } from "../modules/limits/origin-limiter.js";
import { heldIn, resetIn, takeFrom } from "../modules/limits/token-bucket.js";

function origin(n: number): Uint8Array {
  return Uint8Array.of(0xa0, 0, 0, 0, 0, 0, 0, n);
}

/** Two buckets at 2 tokens a second, bursts of 3, kept in one array three words apart (as node.ts keeps a row's). */
function buckets(): { take(i: number, now: number): boolean; held(i: number, now: number): number; reset(i: number, now: number, tokens?: number): void } {
  const f64 = new Float64Array(6);
  return {
    take: (i, now) => takeFrom(f64, 3 * i + 1, 2, 3, now),
    held: (i, now) => heldIn(f64, 3 * i + 1, 2, 3, now),
    reset: (i, now, tokens = 3) => resetIn(f64, 3 * i + 1, tokens, now),
  };
}

test("token buckets: a burst, then the rate; buckets are independent", () => {
  const b = buckets();
  b.reset(0, 0);
  b.reset(1, 0);
  for (let i = 0; i < 3; i++) assert.ok(b.take(0, 0), `burst ${i}`);
  assert.not.ok(b.take(0, 0));
  assert.ok(b.take(1, 0), "the other bucket is full");
  assert.not.ok(b.take(0, 400), "0.8 of a token");
  assert.ok(b.take(0, 500), "one token after 500 ms at 2/s");
  assert.not.ok(b.take(0, 500));
  for (let i = 0; i < 3; i++) assert.ok(b.take(0, 60_000), `refilled to the burst, not beyond: ${i}`);
  assert.not.ok(b.take(0, 60_000));
});

test("origin limiter: each origin its own budget; when full the least recently active is forgotten", () => {
  const limiter = new OriginLimiter(60, 2, 2); // 1 per second, bursts of 2, two origins remembered
  assert.ok(limiter.allow(origin(1), 0));
  assert.ok(limiter.allow(origin(1), 0));
  assert.not.ok(limiter.allow(origin(1), 0), "origin 1 spent its burst");
  assert.ok(limiter.allow(origin(2), 0), "origin 2 has its own");
  assert.not.ok(limiter.allow(origin(1), 10), "1 is the most recent now");
  assert.ok(limiter.allow(origin(3), 10), "3 takes the place of 2, the least recent");
  assert.is(limiter.size, 2);
  assert.not.ok(limiter.allow(origin(1), 20), "1 was kept, still spent");
  assert.ok(limiter.allow(origin(2), 20), "2 was forgotten: a full burst again");
});

test("token buckets: held counts the refill without taking", () => {
  const b = buckets();
  b.reset(0, 0, 1);
  assert.is(b.held(0, 0), 1);
  assert.is(b.held(0, 250), 1.5, "half a token after 250 ms at 2/s");
  assert.is(b.held(0, 60_000), 3, "at most the burst");
  assert.ok(b.take(0, 250));
  assert.is(b.held(0, 250), 0.5, "held took nothing: the take found 1.5");
});

test("origin limiter: spare is what allow would find, and takes nothing", () => {
  const limiter = new OriginLimiter(60, 4, 2); // 1 per second, bursts of 4, two origins remembered
  assert.is(limiter.spare(origin(1), 0), 2, "an origin met anew starts with 2 tokens");
  assert.is(limiter.size, 0, "spare remembers nothing");
  assert.ok(limiter.allow(origin(1), 0));
  assert.is(limiter.spare(origin(1), 0), 1);
  assert.is(limiter.spare(origin(1), 500), 1.5);
  assert.ok(limiter.allow(origin(1), 0));
  assert.ok(limiter.spare(origin(1), 0) < 1, "spent: no repair of its messages may be scheduled");
  assert.not.ok(limiter.allow(origin(1), 0), "and allow agrees");
});

test("origin limiter: a gateway's certificate has a budget of its own, one per gap, and leaves the tokens as they would be without it", () => {
  const limiter = new OriginLimiter(60, 4, 2); // 1 per second, bursts of 4, two origins remembered
  assert.ok(limiter.allowCertificate(origin(1), 0), "an origin met anew: its first certificate goes");
  assert.is(limiter.size, 1, "in the origin's row");
  assert.is(limiter.spare(origin(1), 10_000), 2, "its bucket not started by the certificate: 2 tokens at its first message, not 2 and 10 s of refill");
  assert.ok(limiter.allow(origin(1), 10_000));
  assert.ok(limiter.allow(origin(1), 10_000), "both its tokens for its data");
  assert.not.ok(limiter.allow(origin(1), 10_000));
  assert.not.ok(limiter.allowCertificate(origin(1), CERTIFICATE_RELAY_GAP_MS - 1), "a second certificate within the gap, whatever its bytes");
  assert.is(limiter.spare(origin(1), CERTIFICATE_RELAY_GAP_MS - 1), 4, "refused or relayed, a certificate takes no token");
  assert.ok(limiter.allowCertificate(origin(1), CERTIFICATE_RELAY_GAP_MS), "the gap over");
  assert.is(limiter.spare(origin(1), CERTIFICATE_RELAY_GAP_MS), 4);
  assert.ok(limiter.allowCertificate(origin(2), CERTIFICATE_RELAY_GAP_MS), "each origin its own");
  assert.ok(limiter.allowCertificate(origin(3), CERTIFICATE_RELAY_GAP_MS), "3 takes the place of 1, the least recent");
  assert.ok(limiter.allowCertificate(origin(1), CERTIFICATE_RELAY_GAP_MS + 1), "1 was forgotten: met anew (as its tokens would be)");
});

test("origin limiter: the index and recency list agree with a plain scan over thousands of origins", () => {
  // The reference: slots scanned for the origin, the least recent found by its last use.
  const capacity = 16;
  const ref = { ids: [] as number[], used: [] as number[], buckets: new Float64Array(2 * capacity) };
  let uses = 0;
  const refAllow = (id: number, now: number): boolean => {
    let slot = ref.ids.indexOf(id);
    if (slot < 0) {
      if (ref.ids.length < capacity) slot = ref.ids.length;
      else slot = ref.used.indexOf(Math.min(...ref.used));
      ref.ids[slot] = id;
      resetIn(ref.buckets, 2 * slot, 2, now);
    }
    ref.used[slot] = ++uses;
    return takeFrom(ref.buckets, 2 * slot, 6 / 60, 10, now);
  };
  const limiter = new OriginLimiter(6, 10, capacity);
  let state = 7;
  for (let step = 0; step < 20_000; step++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    // Mostly a few busy origins, sometimes one of many: both hits and evictions.
    const id = state % 4 === 0 ? (state >>> 8) % 200 : (state >>> 8) % 12;
    const now = step * 50;
    const bytes = Uint8Array.of(id >>> 8, 0x5a, id & 3, 0, id & 255, 0, 0, id % 7);
    assert.is(limiter.allow(bytes, now), refAllow(id, now), `step ${step}`);
  }
  assert.is(limiter.size, capacity);
});

const same = (a: unknown, b: unknown) => a === b;

test("open budget: each link address its burst, then its rate; all addresses share one budget", () => {
  // 4 addresses kept; 2 opens per address (1 a second); 5 opens for all (2 a second).
  const budget = new OpenBudget(4, 2, 1, 5, 2, same);
  assert.ok(budget.allow("a", 0));
  assert.ok(budget.allow("a", 0));
  assert.not.ok(budget.allow("a", 0), "a spent its burst");
  assert.ok(budget.allow("b", 0), "b has its own");
  assert.ok(budget.allow("b", 0));
  assert.ok(budget.allow("c", 0));
  assert.not.ok(budget.allow("d", 0), "the shared burst (5) is spent: a new address gets nothing");
  assert.ok(budget.allow("a", 1000), "a second later: one of a's, and one shared (of two)");
  assert.ok(budget.allow("d", 1000));
  assert.not.ok(budget.allow("c", 1000), "c has a token, the shared budget none");
  assert.ok(budget.allow("c", 1500), "half a second later: a shared token again, and c kept its own");
});

test("open budget: forged source addresses do not multiply the budget", () => {
  const budget = new OpenBudget(16, 8, 1, 16, 2, same);
  let opened = 0;
  // 1,000 frames a second for 10 s, each from a new address.
  for (let k = 0; k < 10_000; k++) if (budget.allow(`spoofed ${k}`, k)) opened++;
  assert.is(opened, 16 + Math.floor(2 * 9.999), "the shared burst, then 2 a second over the 9.999 s after");
  assert.is(budget.size, 16, "the table holds at most its capacity");
});

test("open budget: when full, the least recently seen address is forgotten and comes back with a full bucket", () => {
  const budget = new OpenBudget(2, 1, 0.001, 1000, 1000, same);
  assert.ok(budget.allow("a", 0));
  assert.ok(budget.allow("b", 0));
  assert.is(budget.size, 2);
  assert.not.ok(budget.allow("a", 1), "a spent its burst (and is now the more recently seen)");
  assert.ok(budget.allow("c", 2), "c takes b's place: b was seen least recently");
  assert.is(budget.size, 2);
  assert.not.ok(budget.allow("a", 3), "a was kept, its bucket still empty");
  assert.ok(budget.allow("b", 4), "b was forgotten: it comes back with a full bucket (c's place now)");
  assert.not.ok(budget.allow("b", 5));
  assert.ok(budget.allow("c", 6), "c was forgotten in turn, when b came back");
});

test("open budget: link addresses are compared with the host's sameLink", () => {
  const peer = (address: string, port: number) => ({ address, port });
  const samePeer = (a: unknown, b: unknown) => {
    const p = a as { address: string; port: number };
    const q = b as { address: string; port: number };
    return p.address === q.address && p.port === q.port;
  };
  const budget = new OpenBudget(4, 1, 0.001, 1000, 1000, samePeer);
  assert.ok(budget.allow(peer("10.0.0.2", 4000), 0));
  assert.not.ok(budget.allow(peer("10.0.0.2", 4000), 1), "a new object for the same address: the same bucket");
  assert.ok(budget.allow(peer("10.0.0.2", 4001), 2), "another port: another address");
  assert.is(budget.size, 2);
});

test.run();
