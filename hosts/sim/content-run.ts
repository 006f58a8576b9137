/**
 * Content distribution in the simulator: a gateway publishes an owner-signed image and every node
 * fetches it from its neighbors (modules/content). Optionally some nodes are malicious: *corrupters*
 * fetch honestly but serve every piece with one bit flipped; *liars* advertise every piece and serve
 * none. Measures when each honest node installed, whether what it installed is the image, and the
 * bytes on air, against the naive baseline of the gateway unicasting the whole image to every node.
 */
import { createNodeConfig } from "../../modules/config.js";
import { DropReason } from "../../modules/counters.js";
import { buildManifest, ContentKind } from "../../modules/content/content-manifest.js";
import { MemoryContentStore } from "../../modules/content/content-store.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode } from "../../modules/node.js";
import { RecordType } from "../../modules/wire/records.js";
import { nodeCrypto } from "../node/node-crypto.js";
import { bfsDistances } from "./graph.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "./provision.js";
import { Rng } from "./rng.js";
import { Simulator } from "./simulator.js";
import { randomGeometricGraph, type Topology } from "./topology.js";
import type { SimDevice } from "./device.js";
import type { MeshEvent, Transmit } from "../../modules/events.js";

export interface ContentRunOptions {
  nodes: number;
  seed: number;
  loss: number;
  imageBytes: number;
  /** Share of the nodes other than the gateway that are malicious, half corrupters and half liars. */
  malicious?: number;
  /** The gateway publishes then (neighbor tables form first), ms. */
  publishAt?: number;
  /** Give up this long after publishing, ms. */
  maxMs?: number;
  /** Crash node `node` at `at` for `downMs` (RAM lost, its store and storage kept). */
  reboots?: { node: number; at: number; downMs: number }[];
  topology?: Topology;
  /** These nodes are corrupters and liars instead of ones drawn by the seed. */
  corrupters?: number[];
  liars?: number[];
  /** Node i's content store (one the test watches); default a fresh MemoryContentStore. */
  storeFor?: (i: number) => MemoryContentStore | undefined;
  /** Called after every simulated second. */
  onStep?: (now: number) => void;
}

export interface ContentRunResult {
  nodes: number;
  /** Honest nodes the gateway reaches through honest nodes: the ones that must install. */
  honestReachable: number;
  installedRight: number;
  /** Honest nodes that installed anything but the published image (must be 0). */
  installedWrong: number;
  corrupters: number;
  liars: number;
  /** From publishing to the last reachable honest node's install, ms (Infinity: not all did). */
  timeToAllMs: number;
  /** Bytes of every frame sent from publishing to the last install, and the part beyond the mesh's idle traffic. */
  bytesOnAir: number;
  contentBytesOnAir: number;
  /** The image size × nodes that installed it. */
  imageBytesDelivered: number;
  /** The naive baseline: the gateway unicasting the image to each reachable node along shortest paths. */
  baseline: { bytesOnAir: number; timeToAllMs: number };
  /** Pieces rejected for a bad hash or forged manifests (bad-content drops), over honest nodes. */
  badContentDrops: number;
  /** The nodes as they ended (for tests). */
  devices: MeshNode[];
  /** When each node installed (Infinity: never). */
  installedAt: Float64Array;
  wallMs: number;
}

const PIECE_BYTES = 1024;
const WARMUP_MS = 30_000;
const STEP_MS = 1_000;
/** A frame's overhead: header and tag (38) and a record header (3); a piece record adds 10. */
const FRAME_OVERHEAD = 41;
const PIECE_RECORD_FIXED = 10;
/** A unicast hop-by-hop ACK in the baseline (a DATA ACK-sized frame). */
const ACK_FRAME_BYTES = 38 + 3 + 14;

export function runContent(opts: ContentRunOptions): ContentRunResult {
  const started = performance.now();
  const { nodes, seed, loss, imageBytes } = opts;
  const publishAt = opts.publishAt ?? WARMUP_MS;
  const maxMs = opts.maxMs ?? 30 * 60_000;
  const topology = opts.topology ?? randomGeometricGraph({ nodes, averageDegree: 8, seed });
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng.fork("keys"));
  const provisioning = Array.from({ length: nodes }, (_, i) => provisionNode(keys, rng.fork("node").fork(i), i === 0 ? Role.Gateway : Role.Node));
  const config = createNodeConfig({ hopLimit: 255 });
  const image = Uint8Array.from({ length: imageBytes }, (_, i) => (i * 131 + (i >>> 8) * 7 + seed) & 0xff);
  const { manifest, pieces } = buildManifest(nodeCrypto, keys.owner.secretKey, {
    networkId: keys.networkId, kind: ContentKind.Firmware, version: 2, floor: 1, pieceBytes: PIECE_BYTES, roleMask: 0b1111, board: 0,
  }, image);
  const blocks = pieces.length - Math.ceil(imageBytes / PIECE_BYTES);

  // Malicious nodes, drawn by the seed among all but the gateway: corrupters first, then liars.
  const order = Array.from({ length: nodes - 1 }, (_, i) => i + 1);
  const pick = rng.fork("malicious");
  for (let k = order.length - 1; k > 0; k--) {
    const j = pick.int(k + 1);
    [order[k], order[j]] = [order[j], order[k]];
  }
  const bad = Math.round((opts.malicious ?? 0) * (nodes - 1));
  const corrupters = new Set(opts.corrupters ?? order.slice(0, Math.ceil(bad / 2)));
  const liars = new Set(opts.liars ?? order.slice(Math.ceil(bad / 2), bad));

  const stores: MemoryContentStore[] = [];
  const devices: MeshNode[] = [];
  const installedAt = new Float64Array(nodes).fill(Infinity);
  let installedRight = 0, installedWrong = 0, bytes = 0, idleBytes = 0;
  const sim = new Simulator({
    topology, seed, radio: { loss },
    createDevice: (i, ports) => {
      const store = stores[i] ?? (stores[i] = corrupters.has(i) ? corruptingStore() : opts.storeFor?.(i) ?? new MemoryContentStore());
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage, content: { store } }, config);
      if (liars.has(i)) makeLiar(node);
      devices[i] = node;
      return contentDevice(node, i === 0 ? publishAt : Infinity, () => node.publishContent(manifest, pieces, publishAt));
    },
    onTransmit: (_i, b, now) => {
      if (now < publishAt) {
        if (now >= WARMUP_MS / 3) idleBytes += b.length;
      } else {
        bytes += b.length;
      }
    },
    onEvent: (i, e, now) => {
      if (e.type !== "content-installed" || corrupters.has(i) || liars.has(i)) return;
      if (installedAt[i] !== Infinity) return;
      installedAt[i] = now;
      if (sameImage(stores[i], blocks, image)) installedRight++;
      else installedWrong++;
    },
  });
  sim.startAll(0);
  for (const r of opts.reboots ?? []) sim.reboot(r.node, r.at, r.downMs);

  const honest = new Uint8Array(nodes).fill(1);
  for (const i of [...corrupters, ...liars]) honest[i] = 0;
  const reach = bfsDistances(topology.neighbors, 0, honest);
  let honestReachable = 0;
  for (let i = 0; i < nodes; i++) if (reach[i] >= 0) honestReachable++;
  const lastReboot = Math.max(0, ...(opts.reboots ?? []).map((r) => r.at + r.downMs));
  let bytesAtAll = Infinity;
  for (let t = STEP_MS; t <= publishAt + maxMs; t += STEP_MS) {
    sim.runUntil(t);
    opts.onStep?.(t);
    if (t > publishAt && t >= lastReboot && allInstalled(installedAt, reach)) {
      bytesAtAll = bytes;
      break;
    }
  }
  let last = -Infinity;
  for (let i = 1; i < nodes; i++) if (reach[i] > 0) last = Math.max(last, installedAt[i]);
  const timeToAllMs = last - publishAt;
  const idleRate = idleBytes / (publishAt - WARMUP_MS / 3);
  const bytesOnAir = bytesAtAll === Infinity ? bytes : bytesAtAll;
  let badContentDrops = 0;
  devices.forEach((n, i) => { if (honest[i]) badContentDrops += n.counters.dropped(DropReason.BadContent); });
  return {
    nodes, honestReachable, installedRight, installedWrong, corrupters: corrupters.size, liars: liars.size,
    timeToAllMs,
    bytesOnAir,
    contentBytesOnAir: bytesOnAir - idleRate * (Number.isFinite(timeToAllMs) ? timeToAllMs : maxMs),
    imageBytesDelivered: imageBytes * installedRight,
    baseline: naiveBaseline(topology, reach, pieces.length - blocks, imageBytes, loss),
    badContentDrops,
    devices,
    installedAt,
    wallMs: performance.now() - started,
  };
}

function allInstalled(installedAt: Float64Array, reach: Int32Array): boolean {
  for (let i = 1; i < installedAt.length; i++) if (reach[i] > 0 && installedAt[i] === Infinity) return false;
  return true;
}

/** The data pieces in `store`, in order, are `image`. */
function sameImage(store: MemoryContentStore, blocks: number, image: Uint8Array): boolean {
  let at = 0;
  for (let i = blocks; at < image.length; i++) {
    const piece = store.read(ContentKind.Firmware, i);
    if (!piece) return false;
    for (let k = 0; k < piece.length; k++) if (piece[k] !== image[at + k]) return false;
    at += piece.length;
  }
  return at === image.length;
}

/**
 * The naive baseline on the same graph and loss: the gateway sends the image to each node along a
 * shortest path, one piece per frame, each hop acknowledged and retried until both frames arrive
 * (1 / (1 − loss)² tries per hop on average). Its time assumes the gateway sends at the swarm's
 * per-node upload budget (16 pieces a second), the first hop being its bottleneck.
 */
function naiveBaseline(topology: Topology, reach: Int32Array, dataPieces: number, imageBytes: number, loss: number): { bytesOnAir: number; timeToAllMs: number } {
  const all = bfsDistances(topology.neighbors, 0);
  const tries = 1 / ((1 - loss) * (1 - loss));
  const perHop = (imageBytes + dataPieces * (FRAME_OVERHEAD + PIECE_RECORD_FIXED) + dataPieces * ACK_FRAME_BYTES) * tries;
  let bytes = 0, sends = 0;
  for (let i = 1; i < all.length; i++) {
    if (reach[i] <= 0 || all[i] <= 0) continue;
    bytes += perHop * all[i];
    sends += dataPieces * tries;
  }
  return { bytesOnAir: bytes, timeToAllMs: (sends / 16) * 1000 };
}

/** A corrupter's store: what it fetched verified, but every piece it serves has one bit flipped. */
function corruptingStore(): MemoryContentStore {
  const store = new MemoryContentStore();
  const read = store.read.bind(store);
  store.read = (kind, index) => {
    const piece = read(kind, index);
    if (!piece) return piece;
    const flipped = piece.slice();
    flipped[flipped.length >>> 1] ^= 0x10;
    return flipped;
  };
  return store;
}

/** A liar advertises every piece of what it fetches and answers no request. */
function makeLiar(node: MeshNode): void {
  const swarm = node.content!;
  swarm.onRequest = () => {};
  const take = swarm.takeBroadcast.bind(swarm);
  swarm.takeBroadcast = (parts, beacon, now) => {
    const from = parts.length;
    take(parts, beacon, now);
    for (let k = from; k < parts.length; k++) {
      if (parts[k].type !== RecordType.ContentHave) continue;
      const body = parts[k].body;
      const count = (body[13] << 8) | body[14];
      for (let i = 0; i < count; i++) body[15 + (i >>> 3)] |= 0x80 >>> (i & 7);
    }
  };
}

/** A board that publishes the content at `publishAt` (the gateway), else just runs the node. */
function contentDevice(node: MeshNode, publishAt: number, publish: () => void): SimDevice {
  let due = publishAt;
  return {
    start(now) {
      node.start(now);
      node.setWallClock(SIM_EPOCH_SECONDS + Math.floor(now / 1000), now);
    },
    receive: (b, link, now) => node.receive(b, link, now),
    tick(now) {
      if (now >= due) {
        due = Infinity;
        publish();
      }
      node.tick(now);
    },
    nextTimeout: () => Math.min(node.nextTimeout(), due),
    pollTransmit: (): Transmit | undefined => node.pollTransmit(),
    pollEvent: (): MeshEvent | undefined => node.pollEvent(),
  };
}
