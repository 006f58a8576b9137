/**
 * Commands into the mesh (docs/protocol.md §Certificate, §Commands): the command right in the
 * certificate's role byte, the command message's codec, and a simulated mesh in which a gateway with
 * the right commands a node four hops away — the node acts on each command once, and refuses an
 * insider's forgeries (no right, a right the owner never signed, a stolen certificate without its
 * key, a malformed path) and a recorded command replayed after it rebooted.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ascii, toHex } from "../modules/bytes.js";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import type { MeshEvent } from "../modules/events.js";
import {
  COMMAND_FIXED_BYTES, decodeCommand, encodeCommand, isCommandFor, isCommandPath, MAX_COMMAND_PATH, MAX_COMMAND_VALUE,
  verifyCommandSignature,
} from "../modules/command/command-message.js";
import { COMMAND_ORIGINS } from "../modules/command/command-inbox.js";
import { CertificateSlots } from "../modules/identity/certificate-slots.js";
import { decodeCertificate, issueCertificate, Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { FrameSealer } from "../modules/link/frame-sealer.js";
import { MeshNode, type Provisioning } from "../modules/node.js";
import { WireError } from "../modules/wire/errors.js";
import { encodeGossip, GossipKind } from "../modules/wire/gossip.js";
import { encodeHello } from "../modules/wire/hello.js";
import { RecordType } from "../modules/wire/records.js";
import { nodeCrypto as crypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { Simulator } from "../hosts/sim/simulator.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { fromPositions } from "../hosts/sim/topology.js";
import { ScriptedBoard } from "./helpers/scripted-board.js";
import { helloFrame, ScriptedInsider } from "./helpers/scripted-insider.js";

const keys = createMeshKeys(new Rng(5));
const rng = new Rng(6);
const gatewayP = provisionNode(keys, rng, Role.Gateway, true);
const gatewayId = nodeIdOf(crypto, gatewayP.secretKey.subarray(32));

test("certificate: the command right is bit 7 of the role byte, owner-signed; without it a v1 certificate is unchanged", () => {
  const pair = nodeKeyPairFromSeed(new Uint8Array(32).fill(4));
  const fields = { networkId: 9, publicKey: pair.publicKey, role: Role.Gateway, notBefore: 10, notAfter: 20 };
  const plain = issueCertificate(crypto, keys.owner.secretKey, fields);
  const righted = issueCertificate(crypto, keys.owner.secretKey, { ...fields, command: true });
  assert.is(plain[37], Role.Gateway, "no right: the role byte is the role, as version 1 always had it");
  assert.is(righted[37], 0x80 | Role.Gateway);
  assert.equal(plain.subarray(0, 37), righted.subarray(0, 37));
  const a = decodeCertificate(plain);
  const b = decodeCertificate(righted);
  assert.ok(typeof a !== "number" && typeof b !== "number");
  assert.equal([a.role, a.command, b.role, b.command], [Role.Gateway, false, Role.Gateway, true]);
  for (const bits of [0x10, 0x20, 0x40]) {
    const reserved = righted.slice();
    reserved[37] |= bits;
    assert.is(decodeCertificate(reserved), WireError.BadField, `reserved bit ${bits.toString(16)}`);
  }
  const rightOnly = righted.slice();
  rightOnly[37] = 0x80;
  assert.is(decodeCertificate(rightOnly), WireError.BadField, "the right needs a role too");
  const slots = new CertificateSlots(2);
  slots.set(0, plain);
  slots.set(1, righted);
  assert.equal([slots.role(0), slots.mayCommand(0), slots.role(1), slots.mayCommand(1)], [Role.Gateway, false, Role.Gateway, true]);
});

test("command message: round trip, a fixed vector, and the signature binds origin, seq, target, path and value", () => {
  const target = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const payload = encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 7, target, "led", ascii("on"));
  assert.is(payload.length, COMMAND_FIXED_BYTES + 3 + 2);
  // The bytes after the certificate, up to the signature: target ‖ 3 ‖ "led" ‖ 2 ‖ "on".
  assert.is(toHex(payload.subarray(110, payload.length - 64)), "0102030405060708" + "03" + "6c6564" + "02" + "6f6e");
  assert.equal(payload.subarray(0, 110), gatewayP.certificate);
  const view = decodeCommand(payload);
  assert.ok(typeof view !== "number");
  assert.equal([[...view.target], String.fromCharCode(...view.path), String.fromCharCode(...view.value)], [[...target], "led", "on"]);
  const publicKey = gatewayP.secretKey.subarray(32);
  assert.ok(verifyCommandSignature(crypto, view, gatewayId, 7, publicKey));
  assert.not.ok(verifyCommandSignature(crypto, view, gatewayId, 8, publicKey), "another seq");
  assert.not.ok(verifyCommandSignature(crypto, view, target, 7, publicKey), "another origin");
  const tampered = payload.slice();
  tampered[payload.length - 65] ^= 1; // the value's last byte
  const t = decodeCommand(tampered);
  assert.ok(typeof t !== "number" && !verifyCommandSignature(crypto, t, gatewayId, 7, publicKey));
  assert.ok(isCommandFor(payload, target));
  assert.not.ok(isCommandFor(payload, gatewayId));
  assert.not.ok(isCommandFor(payload.subarray(0, 120), target), "too short to be a command");
  const empty = decodeCommand(encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 1, target, "x", new Uint8Array(0)));
  assert.ok(typeof empty !== "number" && empty.value.length === 0);
  const longest = encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 1, target, "p".repeat(MAX_COMMAND_PATH),
    new Uint8Array(MAX_COMMAND_VALUE));
  assert.is(typeof decodeCommand(longest), "object");
});

test("command message: strict decoding and what encode refuses", () => {
  const target = new Uint8Array(8).fill(9);
  const good = encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 3, target, "a/b", Uint8Array.of(1));
  const at = 118; // path length
  const cases: [string, Uint8Array, WireError][] = [
    ["empty", new Uint8Array(0), WireError.Truncated],
    ["no signature", good.subarray(0, good.length - 1), WireError.Truncated],
    ["trailing", Uint8Array.of(...good, 0), WireError.TrailingBytes],
    ["path length 0", Object.assign(good.slice(), { [at]: 0 }), WireError.BadField],
    ["path length 33", Object.assign(new Uint8Array(good.length + 40), { [at]: 33 }), WireError.BadField],
    ["value length 129", Object.assign(good.slice(), { [at + 4]: 129 }), WireError.BadField],
    ["value length past the end", Object.assign(good.slice(), { [at + 4]: 100 }), WireError.Truncated],
  ];
  for (const bad of [0x20, 0x2b, 0x23, 0x7f, 0xc3]) cases.push([`path byte ${bad}`, Object.assign(good.slice(), { [at + 2]: bad }), WireError.BadField]);
  for (const [name, bytes, error] of cases) assert.is(decodeCommand(bytes), error, name);
  for (const path of ["", "p".repeat(MAX_COMMAND_PATH + 1), "a+b", "a#", "a b", "é"]) {
    assert.not.ok(isCommandPath(path), JSON.stringify(path));
    assert.throws(() => encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 1, target, path, new Uint8Array(0)), RangeError);
  }
  assert.ok(isCommandPath("light/kitchen_1.brightness"));
  assert.throws(() => encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, 1, target, "x", new Uint8Array(MAX_COMMAND_VALUE + 1)), RangeError);
});

test("MeshNode.sendCommand needs the right and another node as the target", () => {
  const plainP = provisionNode(keys, new Rng(7), Role.Gateway);
  const plain = new MeshNode(plainP, { crypto, random: new Rng(1), storage: new MemoryStorage() });
  plain.start(0);
  assert.is(plain.mayCommand, false);
  assert.throws(() => plain.sendCommand(gatewayId, "led", ascii("on"), 1), (e: Error) => e instanceof TypeError && /lacks the command right/.test(e.message));
  const gateway = new MeshNode(gatewayP, { crypto, random: new Rng(1), storage: new MemoryStorage() });
  gateway.start(0);
  assert.is(gateway.mayCommand, true);
  const before = gateway.publish(ascii("a message"), 1);
  assert.throws(() => gateway.sendCommand(gateway.id, "led", ascii("on"), 1), RangeError);
  assert.throws(() => gateway.sendCommand(plain.id, "a+b", ascii("on"), 1), RangeError);
  assert.throws(() => gateway.sendCommand(plain.id.subarray(0, 4), "led", ascii("on"), 1), RangeError);
  assert.is(gateway.sendCommand(plain.id, "led", ascii("on"), 2), before + 1, "a refused command takes no sequence number (checkpoints cover every one)");
});

test("a gateway with the right commands a node four hops away: once each, forgeries and a replay after reboot refused", () => {
  // G(0) - 1 - 2 - 3 - T(4) around a corner; the forger F(5) hears node 2 and T only.
  const topology = fromPositions([0, 100, 200, 300, 300, 200], [0, 0, 0, 0, 100, 100], 120);
  const nodeRng = new Rng(8);
  const provisioning = [gatewayP, ...[1, 2, 3, 4].map(() => provisionNode(keys, nodeRng))];
  const forgerP = provisionNode(keys, nodeRng);
  const ids = provisioning.map((p) => nodeIdOf(crypto, p.secretKey.subarray(32)));
  const target = ids[4];
  const forgerId = nodeIdOf(crypto, forgerP.secretKey.subarray(32));
  // Node 1 attributes (as a gateway would): the gateway's checkpoint covers its command between two messages.
  const config = (i: number) => createNodeConfig({ beaconIntervalMs: 2000, checkpointAfterMs: 5000, attribute: i === 1 });
  const command = (path: string, value: number[]) => (node: MeshNode, now: number) => void sent.push(node.sendCommand(target, path, Uint8Array.from(value), now));
  const sent: number[] = [];
  const messages: number[] = [];

  // What the forger sends (gossip bodies; the gateway's first command is rebuilt byte for byte: Ed25519 is deterministic).
  const gossip = (origin: Uint8Array, seq: number, payload: Uint8Array) => encodeGossip(origin, seq, GossipKind.Command, 0, 32, payload);
  const impostor = nodeKeyPairFromSeed(new Uint8Array(32).fill(77));
  const forgedRight = issueCertificate(crypto, impostor.secretKey, {
    networkId: keys.networkId, publicKey: forgerP.secretKey.subarray(32), role: Role.Gateway, notBefore: SIM_EPOCH_SECONDS,
    notAfter: SIM_EPOCH_SECONDS + 1e8, command: true,
  });
  const forged = [
    // Its own certificate, which has no right: refused before any verify.
    gossip(forgerId, 1, encodeCommand(crypto, forgerP.secretKey, forgerP.certificate, forgerId, 1, target, "led", ascii("on"))),
    // A certificate with the right, for its key, signed by someone other than the owner.
    gossip(forgerId, 2, encodeCommand(crypto, forgerP.secretKey, forgedRight, forgerId, 2, target, "led", ascii("on"))),
    // The gateway's genuine certificate (it is public) under the gateway's id, signed with the forger's key.
    gossip(gatewayId, 1_000_000, encodeCommand(crypto, forgerP.secretKey, gatewayP.certificate, gatewayId, 1_000_000, target, "led", ascii("on"))),
  ];
  const malformed = encodeCommand(crypto, forgerP.secretKey, forgerP.certificate, forgerId, 3, target, "led", ascii("on"));
  malformed[119] = 0x2b; // '+' in the path
  forged.push(gossip(forgerId, 3, malformed));

  const events: MeshEvent[][] = provisioning.map(() => []);
  const devices: (ScriptedBoard | ScriptedInsider)[] = [];
  const sim = new Simulator({
    topology, seed: 9, radio: { loss: 0 },
    createDevice: (i, ports) => {
      if (i === 5) return (devices[i] = new ScriptedInsider(forgerP, RecordType.Gossip, [{ at: 36_000, records: () => forged }, { at: 60_000, records: () => [replayed()] }]));
      const node = new MeshNode(provisioning[i], { crypto, random: ports.random, storage: ports.storage }, config(i));
      const message = (node: MeshNode, now: number) => void messages.push(node.publish(ascii("hello"), now));
      // Commands spend the gateway's relay budget like any gossip (a new origin starts with 2 tokens,
      // then 6 a minute), so the second command waits for a token.
      const script = i === 0 ? [{ at: 19_000, run: message }, { at: 20_000, run: command("led", [0x6f, 0x6e]) }, { at: 21_000, run: message },
        { at: 32_000, run: command("fan/speed", [3]) }, { at: 70_000, run: command("led", [0x6f, 0x66, 0x66]) }] : [];
      return (devices[i] = new ScriptedBoard(node, script));
    },
    onEvent: (i, e) => void (i < 5 && events[i].push(e)),
  });
  const replayed = () => gossip(gatewayId, sent[0], encodeCommand(crypto, gatewayP.secretKey, gatewayP.certificate, gatewayId, sent[0], target, "led", ascii("on")));
  sim.startAll(0);
  sim.runUntil(40_000);
  const before = (devices[4] as ScriptedBoard).node.counters;
  sim.reboot(4, 40_000, 2000);
  sim.runUntil(80_000);
  const after = (devices[4] as ScriptedBoard).node.counters;

  const commands = (i: number) => events[i].filter((e): e is Extract<MeshEvent, { type: "command" }> => e.type === "command");
  assert.equal(commands(4).map((c) => [c.origin, c.seq, c.path, [...c.value], c.hops]), [
    [toHex(gatewayId), sent[0], "led", [0x6f, 0x6e], 4],
    [toHex(gatewayId), sent[1], "fan/speed", [3], 4],
    [toHex(gatewayId), sent[2], "led", [0x6f, 0x66, 0x66], 4],
  ], "each genuine command once, the forgeries and the replay never");
  for (const i of [0, 1, 2, 3]) assert.equal(commands(i), [], `node ${i} is not the target`);
  assert.is(before.dropped(DropReason.CommandUnauthorized), 1, "no right");
  assert.is(before.dropped(DropReason.BadCertificate), 1, "a right the owner did not sign");
  assert.is(before.dropped(DropReason.BadSignature), 1, "the gateway's certificate without its key");
  assert.is(before.dropped(WireError.BadField), 1, "malformed path");
  assert.is(after.dropped(DropReason.CommandReplay), 1, "the first command, replayed after the reboot");
  const attributed = events[1].flatMap((e) => (e.type === "attributed" && e.origin === toHex(gatewayId) ? e.seqs : []));
  assert.equal(attributed, messages, "the checkpoint over message, command, message verified at an attributing node");
  for (const i of [1, 2, 3]) {
    const c = (devices[i] as ScriptedBoard).node.counters;
    assert.equal([...c.drops.keys()].filter((r) => r >= DropReason.CommandUnauthorized || r === DropReason.BadSignature), [], `relay ${i} verifies nothing`);
  }
});

test("replay floors: kept per origin across reboots, the least recently commanding origin forgotten first", () => {
  const storage = new MemoryStorage();
  const targetP = provisionNode(keys, new Rng(11));
  const targetId = nodeIdOf(crypto, targetP.secretKey.subarray(32));
  const origins = Array.from({ length: COMMAND_ORIGINS + 1 }, (_, k) => provisionNode(keys, new Rng(100 + k), Role.Gateway, true));
  const body = (p: Provisioning, seq: number) => {
    const id = nodeIdOf(crypto, p.secretKey.subarray(32));
    return encodeGossip(id, seq, GossipKind.Command, 0, 32, encodeCommand(crypto, p.secretKey, p.certificate, id, seq, targetId, "x", new Uint8Array(0)));
  };
  // Each command reaches the target from a fresh neighbor (the origin itself), in a frame of its own.
  let epoch = 0;
  const deliver = (node: MeshNode, from: Provisioning, gossipBody: Uint8Array, now: number) => {
    const sealer = new FrameSealer(crypto, from.networkId, from.networkKey, nodeIdOf(crypto, from.secretKey.subarray(32)), ++epoch);
    node.receive(helloFrame(sealer, encodeHello(0, 2000, 0, from.certificate, []), RecordType.Gossip, [gossipBody]), 0, now);
  };
  const boot = () => {
    const node = new MeshNode(targetP, { crypto, random: new Rng(2), storage }, createNodeConfig());
    node.start(0);
    return node;
  };
  const acted = (node: MeshNode) => {
    const out: number[] = [];
    for (let e; (e = node.pollEvent()); ) if (e.type === "command") out.push(e.seq);
    return out;
  };
  let node = boot();
  origins.slice(0, COMMAND_ORIGINS).forEach((p, k) => deliver(node, p, body(p, 10), 1000 * k));
  assert.equal(acted(node), Array(COMMAND_ORIGINS).fill(10));
  node = boot(); // a reboot: the seen cache is empty, the floors come back from storage
  deliver(node, origins[0], body(origins[0], 10), 1000);
  deliver(node, origins[0], body(origins[0], 9), 2000);
  assert.equal(acted(node), [], "seq 10 and an older one refused after the reboot");
  assert.is(node.counters.dropped(DropReason.CommandReplay), 2);
  deliver(node, origins[0], body(origins[0], 11), 3000); // origin 0 is now the most recent
  deliver(node, origins[COMMAND_ORIGINS], body(origins[COMMAND_ORIGINS], 5), 4000); // a ninth: origin 1 is forgotten
  assert.equal(acted(node), [11, 5]);
  node = boot();
  deliver(node, origins[2], body(origins[2], 10), 1000);
  deliver(node, origins[1], body(origins[1], 10), 2000);
  assert.equal(acted(node), [10], "origin 2's floor is kept; origin 1's was forgotten (a documented limit)");
  assert.is(node.counters.dropped(DropReason.CommandReplay), 1);
});

test.run();
