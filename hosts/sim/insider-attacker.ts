/**
 * A certified insider running modified firmware: the real MeshNode (so it beacons, is admitted,
 * learns routes and takes custody like any node) with its misbehavior added on the two edges an
 * attacker controls — what it does with the data it takes custody of, and which records leave it.
 * It holds its own key, certificate and the network key, so what it sends authenticates.
 *
 * Misbehaviors (combine them):
 *   - dropsGossip: relays and repairs nothing (its own beacons and routes still go out).
 *   - dropsData: the share of the DATA items it ACKs (takes custody of) that it then throws away;
 *     1 is a black hole, between 0 and 1 a grey hole. Chosen per item, so a resend of a dropped
 *     item through it is dropped again.
 *   - liesAboutRoutes: advertises every route it has as one perfect hop from the gateway (metric
 *     256, the least a node that is not the gateway can claim), to attract traffic.
 *   - forgesConfirms: answers each reading it drops with a CONFIRM of it in its gateway's name, sent
 *     back the way the reading came, so that its origin stops sending it again: the right shape, a
 *     tag it cannot compute (it lacks the origin's and gateway's pair key), every other one carrying
 *     its own certificate in the gateway's place.
 */
import { equalBytes } from "../../modules/bytes.js";
import type { MeshEvent, Transmit } from "../../modules/events.js";
import { messageKey } from "../../modules/gossip/recent-messages.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import type { MeshNode, Provisioning } from "../../modules/node.js";
import type { Crypto } from "../../modules/ports.js";
import { CONFIRM_TAG_BYTES, encodeConfirm, RECEIPT_KEY_BYTES } from "../../modules/wire/confirm.js";
import { DataKind, encodeData, type DataView } from "../../modules/wire/data.js";
import { newFrameHeader } from "../../modules/wire/frame.js";
import { decodeRoute, encodeRoute, newRouteView } from "../../modules/wire/route.js";
import { parseRecords, RECORD_HEADER_BYTES, RecordType, writeRecord, type RecordView } from "../../modules/wire/records.js";
import type { SimDevice } from "./device.js";

export interface Misbehavior {
  dropsGossip: boolean;
  dropsData: number;
  liesAboutRoutes: boolean;
  forgesConfirms?: boolean;
}

/** The metric of a route one perfect hop (ETX 1) from its gateway. */
const ONE_PERFECT_HOP = 256;

/** The store-and-forward side of the node, as the modified firmware reaches into it. */
interface Forwarding {
  onData(d: DataView, from: number, now: number): void;
  ack(slot: number, d: DataView): void;
}

export class InsiderAttacker implements SimDevice {
  private readonly sealer: FrameSealer;
  private readonly header = newFrameHeader();
  private readonly records: RecordView[] = [];
  private readonly routeView = newRouteView();
  /** DATA items it took custody of and threw away. */
  dropped = 0;
  /** CONFIRMs it forged. */
  forged = 0;

  constructor(readonly node: MeshNode, private readonly misbehavior: Misbehavior, crypto: Crypto, private readonly provisioning: Provisioning) {
    // Everything it sends is re-sealed after the edits, under its own id and a sealer of its own.
    this.sealer = new FrameSealer(crypto, provisioning.networkId, provisioning.networkKey, node.id, 1);
    const forward = (node as unknown as { forward: Forwarding }).forward;
    const onData = forward.onData.bind(forward);
    forward.onData = (d, from, now) => {
      if (equalBytes(d.destination, node.id) || !this.drops(d)) return onData(d, from, now);
      forward.ack(from, d); // custody taken, and the item thrown away
      this.dropped++;
      if (misbehavior.forgesConfirms && d.kind === DataKind.Entry) this.forgeConfirm(d, from);
    };
  }

  /** A CONFIRM of `d` (an entry), shaped as its gateway's, to the neighbor it came from. */
  private forgeConfirm(d: DataView, from: number): void {
    const tag = new Uint8Array(CONFIRM_TAG_BYTES).fill(this.forged & 0xff);
    const certificate = this.forged % 2 === 1 ? this.provisioning.certificate : null;
    // It holds no receipt key: the reveals are made up too (receipt-chain.ts).
    const reveal = new Uint8Array(RECEIPT_KEY_BYTES).fill(~this.forged & 0xff);
    this.node.sendTo(from, RecordType.Data, encodeData(d.origin, d.origin, DataKind.Confirm, 0, d.seq, encodeConfirm(d.destination, 0, tag, reveal, reveal, certificate)));
    this.forged++;
  }

  private drops(d: DataView): boolean {
    const share = this.misbehavior.dropsData;
    return share >= 1 || (share > 0 && messageKey(d.origin, d.seq * 4 + d.kind) / 2 ** 32 < share);
  }

  start(now: number): void {
    this.node.start(now);
  }

  receive(bytes: Uint8Array, link: unknown, now: number): void {
    this.node.receive(bytes, link, now);
  }

  tick(now: number): void {
    this.node.tick(now);
  }

  nextTimeout(): number {
    return this.node.nextTimeout();
  }

  pollEvent(): MeshEvent | undefined {
    return this.node.pollEvent();
  }

  pollTransmit(): Transmit | undefined {
    for (let t = this.node.pollTransmit(); t; t = this.node.pollTransmit()) {
      const edited = this.edit(t.bytes);
      if (edited) return { bytes: edited, to: t.to };
    }
    return undefined;
  }

  /** The frame as the attacker sends it, or null when nothing of it is left. */
  private edit(frame: Uint8Array): Uint8Array | null {
    const plain = this.sealer.open(frame, this.header);
    if (typeof plain === "number" || parseRecords(plain, this.records) !== 0) return null;
    const kept: { type: RecordType; body: Uint8Array }[] = [];
    for (const r of this.records) {
      const relayed = (r.type === RecordType.Gossip || r.type === RecordType.Repair) && !equalBytes(r.body.subarray(0, 8), this.node.id);
      if (relayed && this.misbehavior.dropsGossip) continue;
      kept.push({ type: r.type, body: r.type === RecordType.Route && this.misbehavior.liesAboutRoutes ? this.lie(r.body) : r.body });
    }
    if (kept.length === 0) return null;
    const payload = new Uint8Array(kept.reduce((a, r) => a + RECORD_HEADER_BYTES + r.body.length, 0));
    let at = 0;
    for (const r of kept) at = writeRecord(payload, at, r.type, r.body);
    return this.sealer.seal(payload);
  }

  private lie(route: Uint8Array): Uint8Array {
    const view = this.routeView;
    decodeRoute(route, view);
    const entries = view.entries.slice(0, view.count).map((e) => ({ destination: e.destination, seqno: e.seqno, metric: Math.min(e.metric, ONE_PERFECT_HOP) }));
    return encodeRoute(entries);
  }
}
