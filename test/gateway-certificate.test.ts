/**
 * Gateway certificates gossiped mesh-wide (GOSSIP kind 7, forward/gateway-certificates.ts): an origin
 * holds its home's CONFIRM key before its first reading, so its very first entries are committed to
 * the home's receipts; and the table that keeps them is bounded.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ascii } from "../modules/bytes.js";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import { GatewayCertificates } from "../modules/forward/gateway-certificates.js";
import { CheckpointWriter, decodeCheckpoint } from "../modules/gossip/checkpoint.js";
import { uncommitted } from "../modules/forward/receipt-chain.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { CERTIFICATE_RELAY_GAP_MS } from "../modules/limits/origin-limiter.js";
import { FrameSealer } from "../modules/link/frame-sealer.js";
import { MeshNode } from "../modules/node.js";
import { DataKind, decodeData, newDataView } from "../modules/wire/data.js";
import { encodeGossip, GossipKind } from "../modules/wire/gossip.js";
import { CERTIFICATE_BYTES, encodeHello } from "../modules/wire/hello.js";
import { RecordType } from "../modules/wire/records.js";
import { WireError } from "../modules/wire/errors.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { Simulator } from "../hosts/sim/simulator.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { fromEdges } from "../hosts/sim/topology.js";
import { ReadingBoard } from "./helpers/reading-board.js";
import { helloFrame } from "./helpers/scripted-insider.js";

test("an origin 3 hops from its gateway commits its very first entries to the gateway's receipts", () => {
  // G - R1 - R2 - O. Before gateways gossiped their certificate, O learnt G's key only from the
  // CONFIRM answering its first checkpoint: its first readings went out uncommitted (a hole could
  // forge their CONFIRMs unchecked), and every one a hole dropped with the checkpoint stayed so.
  const [G, O] = [0, 3];
  const rng = new Rng(11);
  const keys = createMeshKeys(rng);
  const provisioning = Array.from({ length: 4 }, (_, i) => provisionNode(keys, rng, i === G ? Role.Gateway : Role.Node));
  const config = createNodeConfig({ beaconIntervalMs: 2000 });
  const view = newDataView();
  /** O's own entries as they leave it: seq, and whether committed. */
  const sent: { seq: number; committed: boolean }[] = [];
  const delivered = new Set<number>();
  let origin = "";
  const sim: Simulator = new Simulator({
    topology: fromEdges(4, [[0, 1], [1, 2], [2, 3]]), seed: 11, radio: { loss: 0 },
    createDevice: (i, ports) => {
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config);
      if (i === O) {
        origin = node.idHex;
        const sendTo = node.sendTo.bind(node);
        node.sendTo = (slot, type, body) => {
          if (type === RecordType.Data && decodeData(body, view) === WireError.None && view.kind === DataKind.Entry && view.hops === 0) {
            sent.push({ seq: view.seq, committed: !uncommitted(view.payload.subarray(4, 12)) });
          }
          sendTo(slot, type, body);
        };
      }
      return new ReadingBoard(node, { firstAt: 15_000, periodMs: 10_000, publishing: (now) => i === O && now < 120_000, onReading() {} });
    },
    onEvent: (i, e) => {
      if (i === G && e.type === "reading" && e.origin === origin) delivered.add(e.seq);
    },
  });
  sim.startAll(0);
  sim.runUntil(180_000);
  assert.ok(sent.length >= 11, `O sent ${sent.length} entries`);
  assert.is(sent[0].seq, 1);
  assert.equal(sent.filter((s) => !s.committed), [], "every entry committed, the first included");
  assert.is(delivered.size, 11, "and all 11 delivered");
});

/**
 * R (a node of `role`) between G (a gateway) and X, both beaconing every 2.5 s: `send` has G's gossip
 * heard by R, `relayed` lists the seqs R relays.
 */
function relayBetween(role: Role, seed: number) {
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng);
  const [gateway, relay, other] = [Role.Gateway, role, Role.Node].map((r) => provisionNode(keys, rng, r));
  const [gatewayId, relayId] = [gateway, relay].map((p) => nodeIdOf(nodeCrypto, p.secretKey.subarray(32)));
  const node = new MeshNode(relay, { crypto: nodeCrypto, random: new Rng(seed + 1), storage: new MemoryStorage() }, createNodeConfig());
  node.start(0);
  const sealers = [gateway, other].map((p, i) => new FrameSealer(nodeCrypto, p.networkId, p.networkKey, nodeIdOf(nodeCrypto, p.secretKey.subarray(32)), i + 1));
  // Each neighbor's HELLO lists R: links both ways, so R relays to X what G sends.
  const hear = (from: number, now: number, records: Uint8Array[] = []) => node.receive(
    helloFrame(sealers[from], encodeHello(0, 5000, 0, [gateway, other][from].certificate, [{ id: relayId, quality: 255 }]), RecordType.Gossip, records), from, now);
  let now = 0;
  const relayed: number[] = [];
  /** Time passes to `until`: both neighbors beacon, R relays what is due. */
  const run = (until: number) => {
    for (; now < until; now += 2500) {
      hear(0, now);
      hear(1, now);
      node.tick(now);
      for (let e; (e = node.pollEvent()); ) if (e.type === "relayed") relayed.push(e.seq);
      while (node.pollTransmit());
    }
  };
  /** G's gossip `seq` of `kind`, in frames of their own back to back, R relaying them in the next 5 s. */
  const send = (...messages: [number, GossipKind, Uint8Array][]) => {
    for (const [seq, kind, payload] of messages) hear(0, now, [encodeGossip(gatewayId, seq, kind, 0, 32, payload)]);
    run(now + 5000);
  };
  return { gateway, other, node, relayed, run, send };
}

test("a relay passes a gateway's certificate within a budget of its own: its messages after it still go, a second certificate within the gap does not", () => {
  // G (a gateway) and X are R's neighbors. An origin met anew has 2 tokens, then 6 a minute: when the
  // certificate took one, G's second message right after it was not relayed.
  const { gateway, node, relayed, run, send } = relayBetween(Role.Node, 21);
  run(10_000);
  send([1, GossipKind.GatewayCertificate, gateway.certificate], [2, GossipKind.Data, ascii("a")], [3, GossipKind.Data, ascii("b")]);
  assert.equal(relayed, [1, 2, 3], "the certificate, and both messages right after it");
  assert.is(node.counters.relaysRateLimited, 0);
  run(5 * 60_000);
  // Relays check no signature: bytes varied are another certificate, under the same budget.
  const varied = gateway.certificate.slice();
  varied[varied.length - 1] ^= 1;
  send([4, GossipKind.GatewayCertificate, varied], [5, GossipKind.Data, ascii("c")]);
  assert.equal(relayed, [1, 2, 3, 5], "a second certificate 5 minutes after the first is not relayed; the data still is");
  assert.is(node.counters.relaysRateLimited, 1, "counted as refused");
  run(10_000 + CERTIFICATE_RELAY_GAP_MS);
  send([6, GossipKind.GatewayCertificate, gateway.certificate]);
  assert.equal(relayed, [1, 2, 3, 5, 6], "the gap over: the next one goes");
});

test("a certificate gossip that fails the cheap checks is neither relayed nor spends the budget, at a node or a gateway", () => {
  for (const role of [Role.Node, Role.Gateway]) {
    const { gateway, other, node, relayed, run, send } = relayBetween(role, 41);
    run(10_000);
    // Under G's id: a node's certificate (its key hashes to another id, its role is not gateway), and
    // bytes that decode to no certificate.
    send([1, GossipKind.GatewayCertificate, other.certificate], [2, GossipKind.GatewayCertificate, new Uint8Array(CERTIFICATE_BYTES)]);
    assert.equal(relayed, [], `${Role[role]}: neither relayed`);
    assert.is(node.counters.dropped(DropReason.BadCertificate), 2, `${Role[role]}: both dropped as bad certificates`);
    send([3, GossipKind.GatewayCertificate, gateway.certificate]);
    assert.equal(relayed, [3], `${Role[role]}: G's own right after them still goes`);
    assert.is(node.counters.relaysRateLimited, 0);
  }
});

test("a gateway's certificate gossip calls for no checkpoint of its own: the next checkpoint its other messages call for covers it", () => {
  const keys = createMeshKeys(new Rng(31));
  const gateway = provisionNode(keys, new Rng(32), Role.Gateway);
  const id = nodeIdOf(nodeCrypto, gateway.secretKey.subarray(32));
  const digest = (n: number) => new Uint8Array(16).fill(n);
  const writer = new CheckpointWriter(3, 5000);
  writer.add(1, digest(1), 0, false);
  assert.is(writer.deadline(), Infinity, "the certificate alone: no checkpoint due");
  writer.add(2, digest(2), 60_000);
  assert.is(writer.deadline(), 65_000, "a message calls for one, 5 s on");
  const view = decodeCheckpoint(writer.take(nodeCrypto, gateway.secretKey, gateway.certificate, id, 3), 3)!;
  assert.equal([view.firstSeq, view.count], [1, 2], "covering the certificate's seq too: no hole in the range");
  assert.is(writer.deadline(), Infinity);
  for (const seq of [4, 5, 6]) writer.add(seq, digest(seq), 100_000 + seq, false);
  assert.is(writer.deadline(), 100_006, "a full batch is due at once, whatever it holds");
});

test("the table keeps the nearest gateways' certificates, the least recently heard going first among as near, never the home's or the home before's", () => {
  const id = (n: number) => new Uint8Array(8).fill(n);
  const certificate = (n: number) => new Uint8Array(CERTIFICATE_BYTES).fill(n);
  const table = new GatewayCertificates(3);
  /** What the table holds for gateways ns: the byte each one's certificate is filled with, 0 for none. */
  const held = (...ns: number[]) => ns.map((n) => table.get(id(n))?.[0] ?? 0);
  // Gateway n heard from `hops` away.
  const hear = (n: number, hops: number, home: number | null = null, previous: number | null = null) =>
    table.put(id(n), certificate(n), hops, home === null ? null : id(home), previous === null ? null : id(previous));
  hear(1, 5);
  hear(2, 3);
  hear(3, 3);
  assert.equal(held(1, 2, 3), [1, 2, 3]);
  hear(4, 6);
  assert.equal(held(1, 2, 3, 4), [1, 2, 3, 0], "farther than every one kept: not kept");
  hear(4, 2);
  assert.equal(held(1, 2, 3, 4), [0, 2, 3, 4], "nearer: takes the farthest one's slot");
  hear(5, 3);
  assert.equal(held(2, 3, 4, 5), [0, 3, 4, 5], "as near as the farthest: the least recently heard of those goes");
  // 3 and 5 (3 hops) are the farthest, but our home and the home before; 4 is nearer than 6.
  hear(6, 3, 3, 5);
  assert.equal(held(3, 4, 5, 6), [3, 4, 5, 0], "not kept: the one it could take is nearer");
  hear(7, 1, 3, 5);
  assert.equal(held(3, 4, 5, 7), [3, 0, 5, 7], "4 goes for a nearer one: the only one neither home nor home before");
  // Heard again: its certificate replaced in its slot, whatever the table holds.
  hear(3, 9, 5, 7);
  assert.equal(held(3, 5, 7), [3, 5, 7]);
  table.put(id(3), certificate(8), 4, null, null);
  assert.equal(held(3), [8]);
  assert.is(table.get(id(3))!.length, CERTIFICATE_BYTES);
  // Every slot the home's or the home before's (a table of 2): a newcomer, however near, is not kept.
  const homes = new GatewayCertificates(2);
  homes.put(id(1), certificate(1), 4, null, null);
  homes.put(id(2), certificate(2), 4, null, null);
  homes.put(id(3), certificate(3), 1, id(1), id(2));
  assert.equal([1, 2, 3].map((n) => homes.get(id(n))?.[0] ?? 0), [1, 2, 0]);
});

test.run();
