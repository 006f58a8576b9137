/**
 * Sender-designated relays (loss-aware MPR): which neighbors a node names in its HELLO.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { selectRelays, soleBridges, sparseNeighbors } from "../modules/gossip/relay-selection.js";
import { Role } from "../modules/identity/certificate.js";
import { idKey, NeighborTable } from "../modules/neighbors/neighbor-table.js";
import { decodeHello, encodeHello, newHelloView } from "../modules/wire/hello.js";
import { toHex } from "../modules/bytes.js";
import { testId } from "./helpers/prng.js";

const SELF = testId(0);

/** A table of our neighbors; `hears[i]` = ids (testId numbers) neighbor i lists, all at `quality`. */
function table(hears: number[][], quality = 255, roles: Role[] = []): NeighborTable {
  const t = new NeighborTable(32, 3);
  hears.forEach((list, i) => {
    const id = testId(100 + i);
    const admitted = t.admit(id, toHex(id), i, roles[i] ?? Role.Node, 0, 5000, 0)!;
    const entries = [{ id: SELF, quality: 255 }, ...list.map((n) => ({ id: testId(n), quality }))];
    const view = newHelloView();
    decodeHello(encodeHello(0, 5000, 0, null, entries), view);
    t.heard(admitted.neighbor, view, SELF, i, 0);
  });
  return t;
}

function slots(mask: number): number[] {
  return [0, 1, 2, 3, 4, 5].filter((s) => (mask >>> s) & 1);
}

test("covers every two-hop neighbor with the fewest relays", () => {
  // Neighbor 0 reaches 1 and 2, neighbor 1 reaches 2 only, neighbor 2 reaches 3.
  const t = table([[1, 2], [2], [3]]);
  assert.equal(slots(selectRelays(t, idKey(SELF, 0), 0.1)), [0, 2]);
});

test("our own neighbors and ourselves are not two-hop targets", () => {
  // Neighbor 0 lists neighbor 1 (id 101): nothing two hops away, so no relay is needed.
  const t = table([[101], [100]]);
  assert.is(selectRelays(t, idKey(SELF, 0), 0.1), 0);
});

test("lossy second hops call for a second relay; leaves are never chosen", () => {
  const lossy = table([[1], [1]], 153); // each reaches node 1 with 0.6
  assert.equal(slots(selectRelays(lossy, idKey(SELF, 0), 0.5)), [0], "one relay leaves 0.4 ≤ 0.5");
  assert.equal(slots(selectRelays(lossy, idKey(SELF, 0), 0.2)), [0, 1], "0.4 > 0.2 needs both: 0.16");
  const withLeaf = table([[1], [1]], 255, [Role.Leaf, Role.Node]);
  assert.equal(slots(selectRelays(withLeaf, idKey(SELF, 0), 0.1)), [1]);
});

test("bridges: the neighbors that alone list some two-hop neighbor", () => {
  // Ids 1 and 2 are two hops away. Neighbor 0 alone lists 1; neighbors 1 and 2 both list 2;
  // neighbor 3 lists only neighbor 0 (id 100), one hop away.
  const t = table([[1, 2], [2], [2], [100]]);
  assert.equal(slots(soleBridges(t, idKey(SELF, 0))), [0]);
  // A line: the next node alone leads on.
  assert.equal(slots(soleBridges(table([[7]]), idKey(SELF, 0))), [0]);
  // A leaf relays for no one, so it bridges nothing; the other neighbor is then the only way to 1.
  assert.equal(slots(soleBridges(table([[1], [1]], 255, [Role.Leaf, Role.Node]), idKey(SELF, 0))), [1]);
  assert.is(soleBridges(table([]), idKey(SELF, 0)), 0);
});

test("sparse neighbors: those listing fewer than `min` neighbors, us included", () => {
  // Neighbor 0 lists us and 2 others (3 in all), neighbor 1 us and 3 others (4), neighbor 2 only us.
  const t = table([[1, 2], [1, 2, 3], []]);
  assert.equal(slots(sparseNeighbors(t, 4)), [0, 2]);
  assert.equal(slots(sparseNeighbors(t, 3)), [2]);
  assert.is(sparseNeighbors(t, 1), 0);
});

test.run();
