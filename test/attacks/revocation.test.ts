/**
 * Revocation of a stolen certificate: the owner's list, handed to one gateway, reaches every node the
 * mesh can reach within a bounded time, and from then on the revoked node is cut off — no neighbor
 * keeps it, its frames are refused, none of its messages is delivered.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runRevocation } from "../../hosts/sim/revocation-spread.js";

test("a revoked node is cut off mesh-wide within two beacon intervals, and stays cut off", () => {
  const r = runRevocation({ nodes: 60, seed: 5, revokeAtMs: 90_000, durationMs: 150_000 });
  assert.ok(r.others >= 50, `${r.others} nodes reachable`);
  assert.is(r.holding, r.others, "every reachable node holds the list");
  // The list spreads as gossip; a node that missed it hears of it at a neighbor's next HELLO (one
  // interval, plus up to a quarter of jitter): that bounds the last node's wait.
  assert.ok(r.cutOffMs <= 2 * r.beaconIntervalMs, `the last node cut it off after ${r.cutOffMs} ms`);
  assert.is(r.stillNeighbors, 0, "no node keeps it as a neighbor");
  assert.ok(r.refused > 0, "its frames are refused as revoked");
  assert.is(r.deliveredAfterCutOff, 0, "none of its messages delivered after the cut-off");
});

test.run();
