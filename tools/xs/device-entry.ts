/**
 * XS side of tools/bench-device.ts: crypto cost per operation, one MeshNode driven to its caps in
 * stages (the Node side snapshots the heap between stages), and the CPU a relayed frame costs.
 * Times come from xsnap's performance.now (a host extra: the board has no such global).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { createBoardCrypto } from "../../modules/crypto/board-crypto.js";
import { keyPairFromSeed, tweetnaclCrypto } from "../../modules/crypto/tweetnacl-crypto.js";
import { validateNodeConfig, type NodeConfig } from "../../modules/config.js";
import { dropReasonName } from "../../modules/counters.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { MeshNode, type NodeHealth, type Provisioning } from "../../modules/node.js";
import type { Crypto } from "../../modules/ports.js";
import { provisioningFromText, type ProvisioningText } from "../../modules/provisioning.js";
import { Rng } from "../../hosts/sim/rng.js";
import { SIM_EPOCH_SECONDS } from "../../hosts/sim/sim-epoch.js";
import { MemoryStorage } from "../../hosts/sim/storage.js";
import { CraftedPeers } from "./crafted-peers.js";
import { MAX_RECORDS } from "../../modules/wire/records.js";
import { serveJson } from "./xs-bridge.js";

export type DeviceRequest =
  | { op: "window"; size: number }
  | { op: "warm" }
  | { op: "ed25519" }
  | { op: "crypto" }
  | { op: "setup"; target: ProvisioningText; peers: ProvisioningText[] }
  | { op: "boot"; config: NodeConfig }
  | { op: "hellos"; from: number; to: number }
  | { op: "messages" | "burst"; count: number; payloadBytes: number }
  | { op: "routes"; gateways: number }
  | { op: "forward"; readings: number; origins: number }
  | { op: "node-routes"; origins: number }
  | { op: "drop" }
  | { op: "copy-storage" | "drop-storage-copy" }
  | { op: "relay"; config: NodeConfig; payloadBytes: number; rounds: number };

/** Mean ms per operation of the board binding's Ed25519. */
export interface Ed25519Cost {
  boardSign: number;
  boardVerify: number;
}

/** Mean ms per operation. */
export interface CryptoCost extends Ed25519Cost {
  tweetnaclSign: number;
  tweetnaclVerify: number;
  seal200: number;
  open200: number;
  seal1000: number;
  open1000: number;
  sha512of200: number;
  /** Crypto.agree: X25519 with both Ed25519 keys converted. */
  agree: number;
}

export interface NodeFigures {
  neighbors: number;
  certificatesVerified: number;
  messagesNew: number;
  relays: number;
  drops: Record<string, number>;
  /** How full each table is. */
  health: NodeHealth;
}

const crypto: Crypto = createBoardCrypto();
let peers: CraftedPeers | undefined;
let target: Provisioning | undefined;
let node: MeshNode | null = null;
/** The node's flash stand-in, and a copy of it made only to weigh it (flash is not heap on the board). */
let storage: MemoryStorage | null = null;
let storageCopy: MemoryStorage | null = null;
let now = 0;

function msPer(rounds: number, op: () => unknown): number {
  const started = performance.now();
  for (let i = 0; i < rounds; i++) op();
  return (performance.now() - started) / rounds;
}

const pair = keyPairFromSeed(new Uint8Array(32).fill(3));
const peerPair = keyPairFromSeed(new Uint8Array(32).fill(4));
const message = new Uint8Array(200).fill(7);

function ed25519Cost(): Ed25519Cost {
  const signature = crypto.sign(message, pair.secretKey);
  return {
    boardSign: msPer(10, () => crypto.sign(message, pair.secretKey)),
    boardVerify: msPer(10, () => crypto.verify(message, signature, pair.publicKey) || fail("board verify")),
  };
}

function cryptoCost(): CryptoCost {
  const signature = crypto.sign(message, pair.secretKey);
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(24).fill(2);
  const boxes = [200, 1000].map((n) => crypto.seal(new Uint8Array(n), nonce, key));
  return {
    ...ed25519Cost(),
    tweetnaclSign: msPer(3, () => tweetnaclCrypto.sign(message, pair.secretKey)),
    tweetnaclVerify: msPer(3, () => tweetnaclCrypto.verify(message, signature, pair.publicKey) || fail("tweetnacl verify")),
    seal200: msPer(100, () => crypto.seal(message, nonce, key)),
    open200: msPer(100, () => crypto.open(boxes[0], nonce, key) ?? fail("open")),
    seal1000: msPer(50, () => crypto.seal(boxes[1].subarray(16), nonce, key)),
    open1000: msPer(50, () => crypto.open(boxes[1], nonce, key) ?? fail("open")),
    sha512of200: msPer(100, () => crypto.sha512(message)),
    agree: msPer(5, () => crypto.agree(pair.secretKey, peerPair.publicKey) ?? fail("agree")),
  };
}

function fail(what: string): never {
  throw new Error(`${what} failed`);
}

function drain(n: MeshNode): void {
  while (n.pollTransmit());
  while (n.pollEvent());
}

/** Ticks the node through every deadline up to `until`, draining it like a host. */
function settle(n: MeshNode, until: number): void {
  for (let t = n.nextTimeout(); t <= until; t = n.nextTimeout()) {
    now = Math.max(now, Math.ceil(t));
    n.tick(now);
    drain(n);
  }
  now = Math.max(now, until);
}

function boot(p: Provisioning, seed: number, config: NodeConfig, storage = new MemoryStorage()): MeshNode {
  const n = new MeshNode(p, { crypto, random: new Rng(seed), storage }, validateNodeConfig(config));
  n.start(now);
  n.setWallClock(SIM_EPOCH_SECONDS, now);
  drain(n);
  return n;
}

function figures(n: MeshNode): NodeFigures {
  const drops: Record<string, number> = {};
  for (const [reason, count] of n.counters.drops) drops[dropReasonName(reason)] = count;
  const c = n.counters;
  return {
    neighbors: n.neighborSummary(now).length, certificatesVerified: c.certificatesVerified, messagesNew: c.messagesNew,
    relays: c.relays, drops, health: n.health(),
  };
}

/** Ids of `count` gateways that exist only in the routes the peers advertise. */
function gatewayIds(count: number): Uint8Array[] {
  const ids: Uint8Array[] = [];
  for (let k = 0; k < count; k++) ids.push(new Uint8Array(8).fill(0xb0 + k));
  return ids;
}

function receive(n: MeshNode, frame: Uint8Array, from: number): void {
  n.receive(frame, from, now);
  drain(n);
}

/**
 * CPU per relayed frame (median ms): peer 0's frame with one new message in, the relay out to peer 1,
 * which hears only the relay. Each round is 1.1 s of node time; the peers beacon every 5 rounds.
 */
function relayCost(config: NodeConfig, payloadBytes: number, rounds: number): { medianMs: number; relayed: number } {
  const p = peers!;
  const r = boot(target!, 11, config);
  const samples: number[] = [];
  for (let k = 0; k < rounds; k++) {
    now += 100;
    if (k % 5 === 0) {
      receive(r, p.hello(0, true), 0);
      receive(r, p.hello(1, true), 1);
    }
    const frame = p.gossip(0, 1, payloadBytes)[0];
    const relays = r.counters.relays;
    const started = performance.now();
    r.receive(frame, 0, now);
    drain(r);
    settle(r, now + 1000);
    const ms = performance.now() - started;
    if (r.counters.relays === relays + 1) samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[samples.length >> 1], relayed: samples.length };
}

serveJson((request: DeviceRequest): unknown => {
  switch (request.op) {
    case "window":
      // Before first use: a table of another window for this VM (board-crypto.ts picks one for all).
      ed25519.Point.BASE.precompute(request.size);
      return null;
    case "warm": {
      // The first Ed25519 operation builds the base-point table (module state, not the node's).
      const started = performance.now();
      const ok = crypto.verify(message, crypto.sign(message, pair.secretKey), pair.publicKey);
      return { firstUseMs: performance.now() - started, ok };
    }
    case "ed25519":
      return ed25519Cost();
    case "crypto":
      return cryptoCost();
    case "setup":
      target = provisioningFromText(request.target);
      peers = new CraftedPeers(crypto, request.peers.map(provisioningFromText), nodeIdOf(crypto, target.secretKey.subarray(32)));
      return peers.count;
    case "boot":
      storage = new MemoryStorage();
      node = boot(target!, 7, request.config, storage);
      return figures(node);
    case "hellos":
      // 10 ms apart: the certificate-verify budget the benchmark boots with lets one through per 10 ms.
      for (let i = request.from; i < request.to; i++) {
        now += 10;
        receive(node!, peers!.hello(i), i);
      }
      return figures(node!);
    case "messages":
    case "burst": {
      // From the peers that are neighbors (the first ones heard), 10 ms apart or all at one instant.
      const n = node!;
      const neighbors = n.config.neighborCapacity;
      const perPeer = Math.ceil(request.count / neighbors);
      for (let i = 0, left = request.count; left > 0; i++, left -= perPeer) {
        if (request.op === "messages") now += 10;
        for (const frame of peers!.gossip(i % neighbors, Math.min(perPeer, left), request.payloadBytes)) receive(n, frame, i % neighbors);
      }
      if (request.op === "messages") settle(n, now + 2000);
      return figures(n);
    }
    case "routes": {
      // Every neighbor advertises every gateway: the route table holds each with its candidates.
      const n = node!;
      for (let i = 0; i < n.config.neighborCapacity; i++) {
        now += 10;
        receive(n, peers!.hello(i, false, gatewayIds(request.gateways)), i);
      }
      return figures(n);
    }
    case "forward": {
      // Own readings no gateway confirms, then readings handed on by neighbors from distinct origins,
      // all for the gateways advertised: custody full, reverse routes learned, nothing ever ACKed.
      const n = node!;
      for (let k = 0; k < request.readings; k++) {
        now += 10;
        n.publishReading("t", k, now);
        drain(n);
      }
      const gateway = gatewayIds(1)[0];
      const origins: Uint8Array[] = [];
      for (let k = 0; k < request.origins; k++) origins.push(new Uint8Array(8).fill(0xc0 + (k >> 8)).fill(k & 0xff, 4));
      // A frame's worth from each neighbor in turn.
      for (let at = 0, peer = 0; at < origins.length; at += MAX_RECORDS, peer = (peer + 1) % n.config.neighborCapacity) {
        for (const frame of peers!.data(peer, origins.slice(at, at + MAX_RECORDS), gateway)) {
          now += 10;
          receive(n, frame, peer);
        }
      }
      settle(n, now + 500);
      return figures(n);
    }
    case "node-routes": {
      // Route requests from distinct origins for a node nobody knows, a frame's worth from each neighbor
      // in turn, the last heard relaying first (the first ones, long silent, are avoided and carry no
      // route): each teaches the way back to its origin, so the route cache fills.
      const n = node!;
      const last = n.config.neighborCapacity - 1;
      const origins: Uint8Array[] = [];
      for (let k = 0; k < request.origins; k++) origins.push(new Uint8Array(8).fill(0xb0 + (k >> 8)).fill(k & 0xff, 4));
      for (let at = 0, peer = last; at < origins.length; at += MAX_RECORDS, peer = peer > 0 ? peer - 1 : last) {
        for (const frame of peers!.routeRequests(peer, origins.slice(at, at + MAX_RECORDS))) {
          now += 10;
          receive(n, frame, peer);
        }
      }
      settle(n, now + 2000);
      return figures(n);
    }
    case "copy-storage":
      storageCopy = new MemoryStorage();
      for (const key of storage!.keys()) storageCopy.set(key, storage!.get(key)!);
      return null;
    case "drop-storage-copy":
      storageCopy = null;
      return storageCopy;
    case "drop":
      node = null;
      storage = null;
      return null;
    case "relay":
      return relayCost(request.config, request.payloadBytes, request.rounds);
  }
});
