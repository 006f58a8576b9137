/**
 * The pending commands in flash (modules/command/command-outbox-store.ts, docs/protocol.md §Commands,
 * "Across a restart"): the stored value reads back exactly, anything damaged reads back as nothing;
 * the table writes once per command taken and once per outcome, never per resend; a restored table
 * keeps each target's order and counts lifetimes by the wall clock when it can, so a command whose time
 * passed while the node was off is given up at boot.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ascii, toHex } from "../modules/bytes.js";
import { encodeCommand, MAX_COMMAND_PATH, MAX_COMMAND_VALUE } from "../modules/command/command-message.js";
import { COMMAND_EXPIRES_MS, CommandOutbox, RESEND_AFTER_MS } from "../modules/command/command-outbox.js";
import { commandSlotKey, CommandOutboxStore, decodeStoredCommand, encodeStoredCommand } from "../modules/command/command-outbox-store.js";
import { Role } from "../modules/identity/certificate.js";
import { MeshNode } from "../modules/node.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { STORAGE_KEY_MAX_CHARS, STORAGE_VALUE_MAX_BYTES } from "../modules/ports.js";
import { nodeCrypto as crypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const keys = createMeshKeys(new Rng(31));
const rng = new Rng(32);
const gateway = provisionNode(keys, rng, Role.Gateway, true);
const other = provisionNode(keys, rng, Role.Gateway, true);
const gatewayId = nodeIdOf(crypto, gateway.secretKey.subarray(32));
const target = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const command = (seq: number, path = "led", value = "on", t = target) =>
  encodeCommand(crypto, gateway.secretKey, gateway.certificate, gatewayId, seq, t, path, ascii(value));
const COMMANDS = 16;

test("a stored command reads back exactly; the largest fits a Preference value, sixteen slot keys fit its key rule", () => {
  const payload = command(77, "a".repeat(MAX_COMMAND_PATH), "v".repeat(MAX_COMMAND_VALUE));
  const value = encodeStoredCommand(crypto, 77, 1_800_000_000, payload);
  assert.is(value.length, 13 + 344);
  assert.ok(value.length * COMMANDS > STORAGE_VALUE_MAX_BYTES, "sixteen would not fit one value: a key per slot");
  assert.ok(value.length <= STORAGE_VALUE_MAX_BYTES);
  assert.ok(commandSlotKey(COMMANDS - 1).length <= STORAGE_KEY_MAX_CHARS);
  assert.equal(decodeStoredCommand(crypto, value, gateway.certificate, 3),
    { slot: 3, seq: 77, targetHex: toHex(target), path: "a".repeat(MAX_COMMAND_PATH), payload, takenAt: 1_800_000_000 });
});

test("a damaged value reads back as nothing: any bit flipped, any truncation, another version, another identity", () => {
  const value = encodeStoredCommand(crypto, 9, 0, command(9));
  for (let i = 0; i < value.length; i++) {
    const flipped = value.slice();
    flipped[i] ^= 0x10;
    assert.is(decodeStoredCommand(crypto, flipped, gateway.certificate, 0), null, `byte ${i} flipped`);
  }
  for (let n = 0; n < value.length; n++) assert.is(decodeStoredCommand(crypto, value.subarray(0, n), gateway.certificate, 0), null, `${n} bytes`);
  const version2 = value.slice();
  version2[0] = 2;
  assert.is(decodeStoredCommand(crypto, version2, gateway.certificate, 0), null);
  assert.is(decodeStoredCommand(crypto, value, other.certificate, 0), null, "provisioned again since: not ours to send");
  assert.ok(decodeStoredCommand(crypto, value, gateway.certificate, 0));
});

test("flash writes: one per command taken, one per outcome (ack, expiry, eviction in the same write), none per resend", () => {
  const storage = new MemoryStorage();
  const outbox = new CommandOutbox(3, new CommandOutboxStore(storage, crypto));
  const targets = [0, 1, 2, 3].map((k) => Uint8Array.of(k, 0, 0, 0, 0, 0, 0, 1));
  const pending = targets.slice(0, 3).map((t, k) => {
    outbox.add(toHex(t), k + 1, "led", command(k + 1, "led", "on", t), 0, 1000);
    const c = outbox.unsentHead(toHex(t))!;
    outbox.sent(c, 0);
    return c;
  });
  assert.is(storage.writes, 3);
  assert.equal(pending.map((c) => c.slot), [0, 1, 2]);
  let resends = 0;
  for (let now = 0; now < 400_000; now += 1000) if (outbox.resendDue(now)) resends++;
  assert.ok(resends >= 10);
  assert.is(storage.writes, 3, "resends write nothing");
  outbox.remove(pending[1]);
  assert.is(storage.writes, 4);
  assert.equal(storage.get(commandSlotKey(1)), Uint8Array.of(0), "acked: freed");
  outbox.add(toHex(targets[1]), 5, "led", command(5, "led", "off", targets[1]), 1000);
  assert.is(outbox.unsentHead(toHex(targets[1]))!.slot, 1, "the lowest free slot");
  const evicted = outbox.add(toHex(targets[3]), 6, "led", command(6, "led", "on", targets[3]), 2000);
  assert.is(evicted!.seq, 1);
  assert.is(storage.writes, 6, "the newest written over the evicted one's slot");
  assert.is(decodeStoredCommand(crypto, storage.get(commandSlotKey(0))!, gateway.certificate, 0)!.seq, 6);
  const gone: unknown[] = [];
  outbox.expire(COMMAND_EXPIRES_MS, gone as never);
  assert.is(gone.length, 1);
  assert.is(storage.writes, 7);
  assert.equal(storage.get(commandSlotKey(2)), Uint8Array.of(0), "expired: freed");
});

test("restore: oldest first, each target's first in flight and resent 20 s after the boot; lifetimes by the wall clock", () => {
  const storage = new MemoryStorage();
  const before = new CommandOutbox(COMMANDS, new CommandOutboxStore(storage, crypto));
  const b = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9);
  before.add(toHex(target), 10, "led", command(10, "led", "on"), 0, 5000);
  before.add(toHex(target), 11, "led", command(11, "led", "off"), 0, 5060);
  before.add(toHex(b), 12, "fan", command(12, "fan", "3", b), 0, 0);
  // Restored at boot (now = 1000), the wall clock 300 s after the first was taken.
  const after = new CommandOutbox(COMMANDS, new CommandOutboxStore(storage, crypto));
  const { restored, unreadable } = after.restore(gateway.certificate, 1000, 5300);
  assert.is(unreadable, 0);
  assert.equal(restored.map((c) => [c.seq, c.path, c.sentAt, c.submittedAt]), [
    [10, "led", 1000, 1000 - 300_000], [11, "led", -1, 1000 - 240_000], [12, "fan", 1000, 1000]]);
  assert.is(after.unsentHead(toHex(target)), null, "11 waits for 10");
  assert.ok(after.inFlight(toHex(target), 10), "an ack of 10 is taken");
  assert.equal(restored[0].payload, command(10, "led", "on"), "the bytes signed before the restart");
  assert.is(after.resendDue(1000 + RESEND_AFTER_MS - 1), null);
  assert.is(after.resendDue(1000 + RESEND_AFTER_MS)!.seq, 10);
  // 10 expires 15 min after it was taken, so 300 s sooner than a command taken at the boot; 12 (taken without a clock) 15 min after the boot.
  const gone: { seq: number }[] = [];
  after.expire(1000 + COMMAND_EXPIRES_MS - 300_000, gone as never);
  assert.equal(gone.map((c) => c.seq), [10]);
  after.expire(1000 + COMMAND_EXPIRES_MS, gone as never);
  assert.equal(gone.map((c) => c.seq), [10, 11, 12]);
});

test("restore without a wall clock, or with one that went back: the whole lifetime from the boot", () => {
  const storage = new MemoryStorage();
  new CommandOutbox(COMMANDS, new CommandOutboxStore(storage, crypto)).add(toHex(target), 10, "led", command(10), 0, 5000);
  const noClock = new CommandOutbox(COMMANDS, new CommandOutboxStore(storage, crypto)).restore(gateway.certificate, 500, undefined);
  assert.equal(noClock.restored.map((c) => c.submittedAt), [500]);
  const backwards = new CommandOutbox(COMMANDS, new CommandOutboxStore(storage, crypto)).restore(gateway.certificate, 500, 4000);
  assert.equal(backwards.restored.map((c) => c.submittedAt), [500]);
});

test("restore drops unreadable values, counted, and frees their slots; free slots and missing keys are not counted", () => {
  const storage = new MemoryStorage();
  storage.set(commandSlotKey(0), Uint8Array.of(0));
  storage.set(commandSlotKey(2), encodeStoredCommand(crypto, 4, 0, command(4)).subarray(0, 50));
  storage.set(commandSlotKey(5), encodeStoredCommand(crypto, 3, 0, command(3)));
  storage.set(commandSlotKey(15), ascii("garbage"));
  const outbox = new CommandOutbox(COMMANDS, new CommandOutboxStore(storage, crypto));
  const { restored, unreadable } = outbox.restore(gateway.certificate, 0, undefined);
  assert.equal([restored.map((c) => [c.seq, c.slot]), unreadable], [[[3, 5]], 2]);
  assert.equal(storage.get(commandSlotKey(2)), Uint8Array.of(0));
  assert.equal(storage.get(commandSlotKey(15)), Uint8Array.of(0));
  outbox.add("ee", 20, "x", command(20), 0);
  assert.is(outbox.unsentHead("ee")!.slot, 0, "a new command takes the lowest slot not held by a restored one");
  outbox.add("ef", 21, "x", command(21), 0);
  assert.is(outbox.unsentHead("ef")!.slot, 1);
});

test("MeshNode: a command whose lifetime ended while the node was off is given up at boot, its slot freed", () => {
  const storage = new MemoryStorage();
  const wall = 1_800_000_000;
  const before = new MeshNode(gateway, { crypto, random: new Rng(1), storage });
  before.setWallClock(wall, 0);
  before.start(0);
  const seq = before.sendCommand(target, "led", ascii("on"), 1000);
  // Off for 20 minutes: the new boot's monotonic clock starts at 0 again.
  const after = new MeshNode(gateway, { crypto, random: new Rng(2), storage });
  after.setWallClock(wall + 1 + 20 * 60, 0);
  after.start(0);
  assert.ok(after.nextTimeout() <= 0, "due at once");
  after.tick(0);
  const events = [];
  for (let e; (e = after.pollEvent()); ) if (e.type.startsWith("command")) events.push(e);
  assert.equal(events, [
    { type: "commands-restored", commands: [{ target: toHex(target), seq, path: "led" }], unreadable: 0 },
    { type: "command-expired", target: toHex(target), seq, path: "led", resends: 0, reason: "timeout" },
  ]);
  assert.equal(storage.get(commandSlotKey(0)), Uint8Array.of(0));
});

test.run();
