/**
 * Replay floors for gateways' handover messages (forward/handover-floors.ts): per sending gateway,
 * the highest seq acted on and a window below it, bounded, kept in storage.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { HANDOVER_FLOOR_BYTES, HANDOVER_LATE_MS, HANDOVER_WINDOW, HandoverFloors } from "../modules/forward/handover-floors.js";
import { Role } from "../modules/identity/certificate.js";
import { MeshNode } from "../modules/node.js";
import { nodeCrypto as crypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n);
const [g1, g2, g3] = [id(1), id(2), id(3)];

/** Acts on `seq` of `gateway` at `now` as MeshNode does: only if not refused. */
function act(floors: HandoverFloors, gateway: Uint8Array, seq: number, now = 0): boolean {
  if (floors.refuses(gateway, seq, now)) return false;
  floors.accept(gateway, seq, now);
  return true;
}

test("a message acted on is refused after; later ones, and earlier ones within the window not yet seen, are not", () => {
  const floors = new HandoverFloors(4, new MemoryStorage());
  assert.not.ok(floors.refuses(g1, 10, 0), "a sender without a floor: nothing refused");
  assert.ok(act(floors, g1, 10));
  assert.not.ok(act(floors, g1, 10), "the same message again: refused");
  assert.ok(act(floors, g1, 14));
  assert.ok(act(floors, g1, 12), "reordered: an earlier message after a later one, within the window");
  assert.not.ok(act(floors, g1, 12));
  assert.ok(act(floors, g1, 11));
  assert.not.ok(floors.refuses(g2, 10, 0), "floors are per sending gateway");
  // Far ahead: everything older than the window is refused, seen or not.
  const far = 14 + HANDOVER_WINDOW + 3;
  assert.ok(act(floors, g1, far));
  assert.ok(floors.refuses(g1, far - HANDOVER_WINDOW, 0), "just older than the window");
  assert.not.ok(floors.refuses(g1, far - HANDOVER_WINDOW + 1, 0), "the window's oldest seq, not seen");
  assert.ok(floors.refuses(g1, 13, 0), "within the old window but now below the new one");
  assert.ok(act(floors, g1, far - 1));
  assert.ok(floors.refuses(g1, far - 1, 0));
});

test("the window stays open HANDOVER_LATE_MS after its highest seq: a message that never reached us cannot be played to us later", () => {
  // A gateway down while another sent it RELEASEs, then answering the next: those it never got
  // stay below its floor, and a recording of them must not be acted on later.
  const floors = new HandoverFloors(4, new MemoryStorage());
  floors.accept(g1, 20, 1_000);
  assert.not.ok(floors.refuses(g1, 19, 1_000 + HANDOVER_LATE_MS), "late, within the limit: taken");
  assert.ok(floors.refuses(g1, 18, 1_000 + HANDOVER_LATE_MS + 1), "later: refused");
  assert.not.ok(floors.refuses(g1, 21, 10 * HANDOVER_LATE_MS), "newer ones are always taken");
  floors.accept(g1, 25, 500_000);
  assert.not.ok(floors.refuses(g1, 19, 500_000), "a newer highest opens the window again for those not seen");
  assert.ok(floors.refuses(g1, 20, 500_000), "not for those acted on");
  floors.accept(g1, 23, 500_000 + HANDOVER_LATE_MS);
  assert.ok(floors.refuses(g1, 22, 500_001 + HANDOVER_LATE_MS), "an earlier seq taken late does not move the limit");
});

test("judging records nothing: a forgery refused by its signature moves no floor", () => {
  const floors = new HandoverFloors(4, new MemoryStorage());
  floors.accept(g1, 5, 0);
  assert.not.ok(floors.refuses(g1, 1_000_000, 0), "a forged seq far ahead is judged…");
  assert.not.ok(floors.refuses(g1, 6, 0), "…and the genuine next one is still fresh");
  assert.not.ok(floors.refuses(g1, 4, 0));
});

test("bounded: a new sender takes the least recently updated one's row", () => {
  const storage = new MemoryStorage();
  const floors = new HandoverFloors(2, storage);
  floors.accept(g1, 10, 0);
  floors.accept(g2, 20, 0);
  floors.accept(g1, 11, 0); // g1 updated last: g2 is now the least recently updated
  floors.accept(g3, 30, 0);
  assert.is(floors.size, 2);
  assert.not.ok(floors.refuses(g2, 20, 0), "g2 forgotten");
  assert.ok(floors.refuses(g1, 11, 0), "g1 kept");
  assert.ok(floors.refuses(g1, 10, 0));
  assert.ok(floors.refuses(g3, 30, 0), "g3 kept");
  assert.is(storage.get("hfloors")!.length, 2 * HANDOVER_FLOOR_BYTES);
});

test("stored at each message acted on: a reboot keeps every floor and the eviction order, its windows closed", () => {
  const storage = new MemoryStorage();
  const before = new HandoverFloors(2, storage);
  before.accept(g1, 10, 0);
  before.accept(g2, 20, 0);
  before.accept(g1, 12, 0);
  assert.is(storage.writes, 3, "one write per message acted on");
  const after = new HandoverFloors(2, storage);
  assert.not.ok(after.damagedStored);
  assert.is(after.size, 2);
  assert.ok(after.refuses(g1, 10, 0) && after.refuses(g1, 12, 0) && after.refuses(g2, 20, 0));
  assert.ok(after.refuses(g1, 11, 0), "our clock restarted: nothing below the highest is taken");
  assert.not.ok(after.refuses(g1, 13, 0));
  after.accept(g1, 14, 0);
  assert.not.ok(after.refuses(g1, 13, 0), "a newer highest opens the seqs above the stored one");
  assert.ok(after.refuses(g1, 11, 0));
  after.accept(g3, 1, 0);
  assert.not.ok(after.refuses(g2, 20, 0), "g2 was the least recently updated before the reboot too");
  assert.ok(after.refuses(g1, 14, 0));
  // Read with a smaller capacity (the board's caps): the most recently updated rows are kept.
  const smaller = new HandoverFloors(1, storage);
  assert.is(smaller.size, 1);
  assert.ok(smaller.refuses(g3, 1, 0));
  assert.not.ok(smaller.refuses(g1, 14, 0));
});

test("a damaged stored value is ignored and reported, never trusted, never a crash", () => {
  const good = new MemoryStorage();
  new HandoverFloors(4, good).accept(g1, 7, 0);
  const row = good.get("hfloors")!;
  const duplicate = new Uint8Array(2 * HANDOVER_FLOOR_BYTES);
  duplicate.set(row, 0);
  duplicate.set(row, HANDOVER_FLOOR_BYTES);
  const zeroSeq = row.slice();
  zeroSeq.fill(0, 8, 12);
  for (const [what, value] of [["torn", row.subarray(0, 10)], ["a gateway twice", duplicate], ["seq 0", zeroSeq]] as const) {
    const storage = new MemoryStorage();
    storage.set("hfloors", value);
    const floors = new HandoverFloors(4, storage);
    assert.ok(floors.damagedStored, what);
    assert.is(floors.size, 0, what);
    assert.not.ok(floors.refuses(g1, 7, 0), what);
    floors.accept(g1, 8, 0);
    assert.is(storage.get("hfloors")!.length, HANDOVER_FLOOR_BYTES, `${what}: overwritten at the next message`);
  }
  assert.not.ok(new HandoverFloors(4, new MemoryStorage()).damagedStored, "nothing stored is not damage");
});

test("only gateways keep the table; a damaged one is counted at boot", () => {
  const rng = new Rng(3);
  const keys = createMeshKeys(rng);
  const damaged = () => {
    const storage = new MemoryStorage();
    storage.set("hfloors", new Uint8Array(5));
    return storage;
  };
  const config = createNodeConfig();
  const ports = (storage: MemoryStorage) => ({ crypto, random: rng, storage });
  const gateway = new MeshNode(provisionNode(keys, rng, Role.Gateway), ports(damaged()), config);
  assert.is(gateway.counters.damagedStorage, 1);
  const node = new MeshNode(provisionNode(keys, rng, Role.Node), ports(damaged()), config);
  assert.is(node.counters.damagedStorage, 0, "a node never reads it");
});

test.run();
