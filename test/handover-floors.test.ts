/**
 * Replay floors for gateways' handover messages (forward/handover-floors.ts): per sending gateway,
 * the highest seq acted on and a window below it, bounded, kept in storage.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { HANDOVER_FLOOR_BYTES, HANDOVER_WINDOW, HandoverFloors } from "../modules/forward/handover-floors.js";
import { Role } from "../modules/identity/certificate.js";
import { MeshNode } from "../modules/node.js";
import { nodeCrypto as crypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n);
const [g1, g2, g3] = [id(1), id(2), id(3)];

/** Accepts `seq` of `gateway` as MeshNode does: only if not refused. */
function act(floors: HandoverFloors, gateway: Uint8Array, seq: number): boolean {
  if (floors.refuses(gateway, seq)) return false;
  floors.accept(gateway, seq);
  return true;
}

test("a message acted on is refused after; later ones, and earlier ones within the window not yet seen, are not", () => {
  const floors = new HandoverFloors(4, new MemoryStorage());
  assert.not.ok(floors.refuses(g1, 10), "a sender without a floor: nothing refused");
  assert.ok(act(floors, g1, 10));
  assert.not.ok(act(floors, g1, 10), "the same message again: refused");
  assert.ok(act(floors, g1, 14));
  assert.ok(act(floors, g1, 12), "reordered: an earlier message after a later one, within the window");
  assert.not.ok(act(floors, g1, 12));
  assert.ok(act(floors, g1, 11));
  assert.not.ok(floors.refuses(g2, 10), "floors are per sending gateway");
  // Far ahead: everything older than the window is refused, seen or not.
  const far = 14 + HANDOVER_WINDOW + 3;
  assert.ok(act(floors, g1, far));
  assert.ok(floors.refuses(g1, far - HANDOVER_WINDOW), "just older than the window");
  assert.not.ok(floors.refuses(g1, far - HANDOVER_WINDOW + 1), "the window's oldest seq, not seen");
  assert.ok(floors.refuses(g1, 13), "within the old window but now below the new one");
  assert.ok(act(floors, g1, far - 1));
  assert.ok(floors.refuses(g1, far - 1));
});

test("judging records nothing: a forgery refused by its signature moves no floor", () => {
  const floors = new HandoverFloors(4, new MemoryStorage());
  floors.accept(g1, 5);
  assert.not.ok(floors.refuses(g1, 1_000_000), "a forged seq far ahead is judged…");
  assert.not.ok(floors.refuses(g1, 6), "…and the genuine next one is still fresh");
  assert.not.ok(floors.refuses(g1, 4));
});

test("bounded: a new sender takes the least recently updated one's row", () => {
  const storage = new MemoryStorage();
  const floors = new HandoverFloors(2, storage);
  floors.accept(g1, 10);
  floors.accept(g2, 20);
  floors.accept(g1, 11); // g1 updated last: g2 is now the least recently updated
  floors.accept(g3, 30);
  assert.is(floors.size, 2);
  assert.not.ok(floors.refuses(g2, 20), "g2 forgotten");
  assert.ok(floors.refuses(g1, 11), "g1 kept");
  assert.ok(floors.refuses(g1, 10));
  assert.ok(floors.refuses(g3, 30), "g3 kept");
  assert.is(storage.get("hfloors")!.length, 2 * HANDOVER_FLOOR_BYTES);
});

test("persisted at each message acted on: a reboot keeps every floor, window and eviction order", () => {
  const storage = new MemoryStorage();
  const before = new HandoverFloors(2, storage);
  before.accept(g1, 10);
  before.accept(g2, 20);
  before.accept(g1, 12);
  assert.is(storage.writes, 3, "one write per message acted on");
  const after = new HandoverFloors(2, storage);
  assert.not.ok(after.damagedStored);
  assert.is(after.size, 2);
  assert.ok(after.refuses(g1, 10) && after.refuses(g1, 12) && after.refuses(g2, 20));
  assert.not.ok(after.refuses(g1, 11), "the window's unseen seq is still open");
  after.accept(g3, 1);
  assert.not.ok(after.refuses(g2, 20), "g2 was the least recently updated before the reboot too");
  assert.ok(after.refuses(g1, 12));
  // Read with a smaller capacity (the board's caps): the most recently updated rows are kept.
  const smaller = new HandoverFloors(1, storage);
  assert.is(smaller.size, 1);
  assert.ok(smaller.refuses(g3, 1));
  assert.not.ok(smaller.refuses(g1, 12));
});

test("a damaged stored value is ignored and reported, never trusted, never a crash", () => {
  const good = new MemoryStorage();
  new HandoverFloors(4, good).accept(g1, 7);
  const row = good.get("hfloors")!;
  const duplicate = new Uint8Array(2 * HANDOVER_FLOOR_BYTES);
  duplicate.set(row, 0);
  duplicate.set(row, HANDOVER_FLOOR_BYTES);
  const zeroSeq = row.slice();
  zeroSeq.fill(0, 8, 12);
  const noHighest = row.slice();
  noHighest[HANDOVER_FLOOR_BYTES - 1] &= 0xfe;
  for (const [what, value] of [["torn", row.subarray(0, 10)], ["a gateway twice", duplicate], ["seq 0", zeroSeq],
    ["a window without its highest seq", noHighest]] as const) {
    const storage = new MemoryStorage();
    storage.set("hfloors", value);
    const floors = new HandoverFloors(4, storage);
    assert.ok(floors.damagedStored, what);
    assert.is(floors.size, 0, what);
    assert.not.ok(floors.refuses(g1, 7), what);
    floors.accept(g1, 8);
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
