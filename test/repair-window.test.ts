/** Which of our recent messages a neighbor's HELLO is judged on for repair. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { judgedFrom, judgedTo, listedSince, ownJudgedFrom, RECENT_LIST_INTERVALS, REPAIR_MARGIN_MS } from "../modules/gossip/repair-window.js";

const INTERVAL = 5000;

test("a HELLO lists the messages of the last three beacon intervals", () => {
  assert.is(RECENT_LIST_INTERVALS, 3);
  assert.is(listedSince(100_000, INTERVAL), 85_000);
});

test("a message we got in the window's first interval is not judged: the neighbor may have had it before the window opened", () => {
  // The neighbor got the message at 4,000 ms, relayed the long way round to us by 6,500 ms. Its
  // HELLO at 20,000 ms lists what it got after 5,000 ms, so not this message.
  const now = 20_000;
  const window = now - listedSince(now, INTERVAL);
  const from = judgedFrom(now, window, INTERVAL);
  assert.ok(6_500 <= from, "got 1.5 s after the window opened: not judged (it was, from its first second on)");
  assert.ok(11_000 <= from && from < 11_001, "judged from one interval and the margin after the window opened");
  assert.is(judgedTo(now), now - REPAIR_MARGIN_MS, "one still in flight to the neighbor is not judged either");
  assert.ok(from < 12_000 && 12_000 <= judgedTo(now), "one got well inside the window is");
});

test("the span judged is two intervals less both margins, as long as with the two-interval list before", () => {
  const now = 50_000;
  const window = now - listedSince(now, INTERVAL);
  assert.is(judgedTo(now) - judgedFrom(now, window, INTERVAL), 2 * INTERVAL - 2 * REPAIR_MARGIN_MS);
});

test("our own message is judged from the window's opening: no neighbor had it before we sent it", () => {
  // Published at 6,500 ms, lost on the way to our only neighbor, whose HELLO at 12,000 ms was lost too.
  const now = 20_000;
  const window = now - listedSince(now, INTERVAL);
  assert.ok(ownJudgedFrom(now, window) < 6_500 && 6_500 <= judgedFrom(now, window, INTERVAL), "judged as our own, not as another's");
  assert.ok(ownJudgedFrom(now, window) >= 4_999, "one sent before the window opened is not: the HELLO could not list it");
});

test("a window cut short by the key cap is judged over an interval when it is that long, never before it opened", () => {
  const now = 50_000;
  // Cut to 7.7 s (a busy mesh): the interval before the end margin, not the 0.7 s after the first interval.
  assert.is(judgedFrom(now, 7_700, INTERVAL), judgedTo(now) - INTERVAL);
  // Cut to 3 s: from a margin after it opened (a message got before could not be listed).
  assert.is(judgedFrom(now, 3_000, INTERVAL), now - 3_000 + REPAIR_MARGIN_MS);
  // Shorter than both margins: nothing.
  assert.ok(judgedFrom(now, 1_500, INTERVAL) >= judgedTo(now));
});

test.run();
