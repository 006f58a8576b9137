/**
 * Certified peers that exist only as the frames they send: sealed HELLOs (with certificate) and
 * GOSSIP batches, built with the core's own codecs, for driving one MeshNode to its caps without
 * running the peers' state machines (tools/bench-device.ts).
 */
import { writeU32 } from "../../modules/bytes.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import type { Provisioning } from "../../modules/node.js";
import type { Crypto } from "../../modules/ports.js";
import { MAX_PAYLOAD_BYTES } from "../../modules/wire/frame.js";
import { DataKind, encodeData } from "../../modules/wire/data.js";
import { encodeGossip, GossipKind } from "../../modules/wire/gossip.js";
import { encodeHello, MAX_HELLO_NEIGHBORS, type HelloNeighbor } from "../../modules/wire/hello.js";
import { MAX_RECORDS, RECORD_HEADER_BYTES, RecordType, writeRecord } from "../../modules/wire/records.js";
import { encodeRouteRequest } from "../../modules/wire/node-route.js";
import { encodeRoute } from "../../modules/wire/route.js";

const BEACON_MS = 5000;
const HOP_LIMIT = 32;
/** A DATA entry's payload as a custodian holds it: base (u32) ‖ receipt commitment ‖ a feed entry with a reading. */
const ENTRY_PAYLOAD_BYTES = 4 + 8 + 49;

export class CraftedPeers {
  readonly ids: Uint8Array[];
  private readonly sealers: FrameSealer[];
  private readonly certificates: Uint8Array[];
  private beaconSeq = 0;
  private nextSeq = 1;

  constructor(crypto: Crypto, peers: Provisioning[], private readonly targetId: Uint8Array) {
    this.ids = peers.map((p) => nodeIdOf(crypto, p.secretKey.subarray(32)));
    this.sealers = peers.map((p, i) => new FrameSealer(crypto, p.networkId, p.networkKey, this.ids[i], 1));
    this.certificates = peers.map((p) => p.certificate);
  }

  get count(): number {
    return this.ids.length;
  }

  /**
   * Peer `i`'s HELLO with its certificate. Crowded: it lists the target and as many other peers as
   * fit, and designates another peer as its relay, never the target, so the target's relays of its
   * messages wait the longest delay (they stay queued until ticked); it hears the target at 160 of
   * 255, below `wellLinked`'s mean, so the target queues those relays rather than leave the gaps to
   * repair. Alone: it hears only the target, perfectly, and designates it.
   */
  hello(i: number, alone = false, gateways: readonly Uint8Array[] = []): Uint8Array {
    const listed: HelloNeighbor[] = [{ id: this.targetId, quality: alone ? 255 : 160, relay: alone }];
    for (let j = 0; j < this.count && listed.length < MAX_HELLO_NEIGHBORS && !alone; j++) {
      if (j !== i) listed.push({ id: this.ids[j], quality: 200, relay: listed.length === 1 });
    }
    const body = encodeHello(this.beaconSeq++, BEACON_MS, 0, this.certificates[i], listed);
    const records: [RecordType, Uint8Array][] = [[RecordType.Hello, body]];
    // Routes to `gateways`, one hop away each, in the same frame as the HELLO as nodes send them.
    if (gateways.length > 0) records.push([RecordType.Route, encodeRoute(gateways.map((destination) => ({ destination, seqno: 1, metric: 256 })))]);
    return this.seal(i, records);
  }

  /**
   * Frames from peer `i` handing the target one reading each from `origins` (nodes further away) for
   * `destination`, as many per frame as fit: the target takes custody of them.
   */
  data(i: number, origins: readonly Uint8Array[], destination: Uint8Array): Uint8Array[] {
    const bodies = origins.map((origin) => encodeData(origin, destination, DataKind.Entry, 1, this.nextSeq++, new Uint8Array(ENTRY_PAYLOAD_BYTES).fill(7)));
    return this.frames(i, RecordType.Data, bodies);
  }

  /** Frames from peer `i` carrying a route request from each of `origins` (for nodes nobody knows): each teaches a way back. */
  routeRequests(i: number, origins: readonly Uint8Array[]): Uint8Array[] {
    const target = new Uint8Array(8).fill(0xdd);
    const bodies = origins.map((origin) => encodeRouteRequest({ origin, target, originSeqno: this.nextSeq++ & 0xffff, targetSeqno: -1, metric: 256, hops: 1, hopLimit: HOP_LIMIT }));
    return this.frames(i, RecordType.RouteRequest, bodies);
  }

  /**
   * Frames from peer `i` carrying `count` new data messages of `payloadBytes` each, as many per frame
   * as fit. Origins are nodes further away (ids derived from the sequence), never a peer.
   */
  gossip(i: number, count: number, payloadBytes: number): Uint8Array[] {
    const bodies: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      const seq = this.nextSeq++;
      const origin = new Uint8Array(8).fill(0xa0);
      writeU32(origin, 4, seq % 97);
      bodies.push(encodeGossip(origin, seq, GossipKind.Data, 1, HOP_LIMIT, new Uint8Array(payloadBytes).fill(seq)));
    }
    return this.frames(i, RecordType.Gossip, bodies);
  }

  /** Peer `i`'s frames carrying `bodies` as records of `type`, as many per frame as fit. */
  private frames(i: number, type: RecordType, bodies: readonly Uint8Array[]): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let records: [RecordType, Uint8Array][] = [];
    let size = 0;
    for (const body of bodies) {
      if (records.length === MAX_RECORDS || size + RECORD_HEADER_BYTES + body.length > MAX_PAYLOAD_BYTES) {
        frames.push(this.seal(i, records));
        records = [];
        size = 0;
      }
      records.push([type, body]);
      size += RECORD_HEADER_BYTES + body.length;
    }
    if (records.length > 0) frames.push(this.seal(i, records));
    return frames;
  }

  private seal(i: number, records: [RecordType, Uint8Array][]): Uint8Array {
    const payload = new Uint8Array(records.reduce((n, [, body]) => n + RECORD_HEADER_BYTES + body.length, 0));
    let at = 0;
    for (const [type, body] of records) at = writeRecord(payload, at, type, body);
    return this.sealers[i].seal(payload)!;
  }
}
