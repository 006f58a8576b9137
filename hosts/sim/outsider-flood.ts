/**
 * The outsider flood: someone on the Wi-Fi without the network key sends one node frames as fast as it
 * likes — garbage behind a well-formed header (the network id and the mesh's node ids are in the clear
 * on the air), or frames of the mesh it captured, replayed — from one address or from a forged new
 * address each time. Each such frame would cost the node a secretbox open before it failed; the node
 * opens them only within its open budget (limits/open-budget.ts), and a replay not at all.
 *
 * A small mesh on a lossless medium where everyone hears everyone: the victim, three honest neighbors
 * publishing, and a newcomer that starts beaconing during the flood. One neighbor (h0) may reboot (a
 * new epoch) mid-flood; another (h1) is the one whose address is forged in "neighbor" mode. Measures the opens the victim spent on the flood (in total and in its busiest
 * second), what of the neighbors' messages it delivered, and when it admitted the newcomer.
 */
import { toHex, writeU32 } from "../../modules/bytes.js";
import { createNodeConfig, type NodeConfig } from "../../modules/config.js";
import { dropReasonName } from "../../modules/counters.js";
import type { Transmit } from "../../modules/events.js";
import { MeshNode, type Provisioning } from "../../modules/node.js";
import type { Crypto } from "../../modules/ports.js";
import { encodeFrameHeader, HEADER_BYTES, MAX_FRAME_BYTES } from "../../modules/wire/frame.js";
import { nodeCrypto } from "../node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "./provision.js";
import { Rng } from "./rng.js";
import { MemoryStorage } from "./storage.js";

export interface OutsiderFloodOptions {
  seed: number;
  /** Flood frames a second at the victim, from `floodFrom` to the end. */
  floodPerSecond: number;
  /** "garbage": a well-formed header, a random box; "replay": frames of the mesh heard earlier. */
  kind: "garbage" | "replay";
  /**
   * "one": every flood frame from the outsider's own address; "spoofed": each from a new forged one;
   * "neighbor": from a neighbor's own address, naming that neighbor as the sender.
   */
  addresses: "one" | "spoofed" | "neighbor";
  durationMs: number;
  floodFrom: number;
  /** The newcomer starts then. */
  newcomerAt: number;
  /** One honest neighbor reboots then (Infinity: never). */
  rebootAt?: number;
  config?: Partial<NodeConfig>;
}

export interface OutsiderFloodResult {
  floodFrames: number;
  /** Secretbox opens the victim spent on flood frames, in all and in its busiest second. */
  floodOpens: number;
  floodOpensPeakSecond: number;
  /** Per neighbor (h0, h1, h2): its messages published during the flood, and how many of them the victim delivered. */
  honestMessages: number[];
  honestDelivered: number[];
  /** When the victim took the newcomer as a neighbor (-1: never). */
  newcomerAdmittedAt: number;
  /** The victim's drops by reason name. */
  drops: Record<string, number>;
  config: NodeConfig;
}

const NEIGHBORS = 3;
const PUBLISH_EVERY_MS = 5_000;
/** Captured frames the outsider keeps to replay. */
const CAPTURED = 64;

/** A node of the little mesh, under its link address. */
interface Station {
  address: string;
  provisioning: Provisioning;
  storage: MemoryStorage;
  node: MeshNode | null;
}

export function runOutsiderFlood(opts: OutsiderFloodOptions): OutsiderFloodResult {
  const { seed, floodPerSecond, kind, addresses, durationMs, floodFrom, newcomerAt } = opts;
  const rebootAt = opts.rebootAt ?? Infinity;
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng.fork("keys"));
  const config = createNodeConfig({ beaconIntervalMs: 2_000, ...opts.config });
  let opens = 0;
  const counting: Crypto = { ...nodeCrypto, open: (box, nonce, key) => (opens++, nodeCrypto.open(box, nonce, key)) };
  const stations: Station[] = ["victim", "h0", "h1", "h2", "newcomer"].map((address, i) => ({
    address, provisioning: provisionNode(keys, rng.fork("node").fork(i)), storage: new MemoryStorage(), node: null,
  }));
  const [victimStation, ...others] = stations;
  const newcomer = stations[NEIGHBORS + 1];
  const boot = (s: Station, now: number): MeshNode => {
    const node = new MeshNode(s.provisioning, { crypto: s === victimStation ? counting : nodeCrypto, random: rng.fork(s.address), storage: s.storage }, config);
    node.start(now);
    node.setWallClock(SIM_EPOCH_SECONDS, now);
    s.node = node;
    return node;
  };
  const victim = boot(victimStation, 0);
  for (const s of others.slice(0, NEIGHBORS)) boot(s, 0);

  /** Each message published during the flood ("origin:seq"), and the neighbor that published it. */
  const published = new Map<string, number>();
  const honestMessages = new Array<number>(NEIGHBORS).fill(0);
  const honestDelivered = new Array<number>(NEIGHBORS).fill(0);
  let newcomerAdmittedAt = -1;
  const captured: Uint8Array[] = [];
  const onAir: { from: Station; t: Transmit }[] = [];
  const drain = (s: Station) => {
    for (let t = s.node!.pollTransmit(); t; t = s.node!.pollTransmit()) onAir.push({ from: s, t });
  };
  const deliver = (now: number) => {
    for (let a = onAir.shift(); a; a = onAir.shift()) {
      if (captured.length < CAPTURED && a.from !== victimStation) captured.push(a.t.bytes);
      for (const s of stations) {
        if (s === a.from || !s.node || (a.t.to !== null && a.t.to !== s.address)) continue;
        s.node.receive(a.t.bytes, a.from.address, now);
        drain(s);
      }
    }
    for (let e = victim.pollEvent(); e; e = victim.pollEvent()) {
      const by = e.type === "message" ? published.get(`${e.origin}:${e.seq}`) : undefined;
      if (by !== undefined) honestDelivered[by]++;
      if (e.type === "neighbor-up" && e.id === newcomer.node?.idHex && newcomerAdmittedAt < 0) newcomerAdmittedAt = now;
    }
    for (const s of others) if (s.node) while (s.node.pollEvent());
  };

  const flood = rng.fork("flood");
  const neighborIds = others.slice(0, NEIGHBORS).map((s) => s.node!.id);
  const forge = (): Uint8Array => {
    if (kind === "replay" && captured.length > 0) return captured[flood.int(captured.length)];
    const frame = new Uint8Array(MAX_FRAME_BYTES);
    for (let i = HEADER_BYTES; i < frame.length; i++) frame[i] = flood.int(256);
    // Half the frames claim a neighbor's id (it is in the clear on the air), half a made-up one.
    const sender = new Uint8Array(8);
    if (addresses === "neighbor") sender.set(neighborIds[1]);
    else if (flood.int(2) === 0) sender.set(neighborIds[flood.int(NEIGHBORS)]);
    else for (let i = 0; i < 8; i++) sender[i] = flood.int(256);
    encodeFrameHeader(frame, keys.networkId, sender, flood.nextU32(), flood.nextU32());
    return frame;
  };
  let floodFrames = 0;
  let floodOpens = 0;
  const opensBySecond = new Map<number, number>();
  const publishers = others.slice(0, NEIGHBORS);
  const nextPublish = new Map<Station, number>(publishers.map((s, i) => [s, 10_000 + i * 1_700]));
  const payload = new Uint8Array(16);

  for (let now = 0; now <= durationMs; now++) {
    if (now === newcomerAt) boot(newcomer, now);
    if (now === rebootAt) boot(others[0], now);
    for (const s of stations) {
      if (!s.node) continue;
      const due = nextPublish.get(s);
      if (due !== undefined && now >= due) {
        writeU32(payload, 0, now);
        const seq = s.node.publish(payload, now);
        if (now >= floodFrom) {
          const by = publishers.indexOf(s);
          published.set(`${toHex(s.node.id)}:${seq}`, by);
          honestMessages[by]++;
        }
        nextPublish.set(s, due + PUBLISH_EVERY_MS);
      }
      if (s.node.nextTimeout() <= now) s.node.tick(now);
      drain(s);
    }
    deliver(now);
    if (now < floodFrom) continue;
    for (let due = Math.floor(((now - floodFrom + 1) * floodPerSecond) / 1000); floodFrames < due; ) {
      const from = addresses === "one" ? "outsider" : addresses === "neighbor" ? "h1" : `forged ${floodFrames}`;
      const before = opens;
      victim.receive(forge(), from, now);
      floodFrames++;
      floodOpens += opens - before;
      const second = Math.floor(now / 1000);
      opensBySecond.set(second, (opensBySecond.get(second) ?? 0) + opens - before);
      drain(victimStation);
      deliver(now);
    }
  }
  const drops: Record<string, number> = {};
  for (const [reason, count] of victim.counters.drops) drops[dropReasonName(reason)] = count;
  return {
    floodFrames, floodOpens, floodOpensPeakSecond: Math.max(0, ...opensBySecond.values()),
    honestMessages, honestDelivered, newcomerAdmittedAt, drops, config,
  };
}
