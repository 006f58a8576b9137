/**
 * Gateways `ids` (gateway n's id is 8 bytes of n) as StoreAndForward alone, a tick a second. Each has
 * a direct route to every gateway, in the mesh or not (slot = the gateway's number): DATA reaches
 * those in the mesh, ACKed, unless `dataLost`. Each hears every other's HANDOVER gossip within the
 * second, except those made `silent` (their notices neither go out nor come in: the gossip cut while
 * routes remain). `offer` hands gateway `at` origin 1's entries `seqs` naming `named` (0: none) as its
 * previous home; each reading delivered is logged as "gateway:seq", each RELEASED notice sent as
 * "sender>gateway:position"; `ask` has gateway `claimer`'s RELEASE reach `oldHome` alone, `hear` any
 * notices (from gateways in the mesh or not).
 */
import * as assert from "uvu/assert";
import { createNodeConfig } from "../../modules/config.js";
import { FeedLog } from "../../modules/feed/feed-log.js";
import { StoreAndForward, type ForwardContext } from "../../modules/forward/store-and-forward.js";
import { DataKind, decodeData, encodeData, ENTRY_HEAD_BYTES, newDataView } from "../../modules/wire/data.js";
import { WireError } from "../../modules/wire/errors.js";
import { notice, NOTICE_BYTES, NoticeType, writeNotice } from "../../modules/wire/handover.js";
import { RecordType } from "../../modules/wire/records.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../../hosts/node/node-crypto.js";
import { MemoryStorage } from "../../hosts/sim/storage.js";

/** The slot the origin's DATA comes in on: no gateway's. */
const ORIGIN_SLOT = 99;

export function handoverMesh(ids: number[], { dataLost = false } = {}) {
  const origin = new Uint8Array(8).fill(1);
  const feed = new FeedLog(nodeCrypto, new MemoryStorage(), origin, nodeKeyPairFromSeed(new Uint8Array(32).fill(9)).secretKey);
  const entries = Array.from({ length: 20 }, (_, i) => feed.append("temp", i, 0).bytes);
  const delivered: string[] = [];
  const answers: string[] = [];
  const silent = new Set<number>();
  const gossip: { from: number; payload: Uint8Array }[] = [];
  const frames: { from: number; to: number; type: RecordType; body: Uint8Array }[] = [];
  const gateways = new Map<number, StoreAndForward>();
  const idOf = (n: number) => new Uint8Array(8).fill(n);
  const view = newDataView();
  for (const n of ids) {
    const ctx: ForwardContext = {
      id: idOf(n), isGateway: true,
      nextHopToward: (to) => to[0], nextHopToNode: () => -1, nearestGatewayId: () => null, trustedGatewayId: () => null, distrusted: () => false, isRevoked: () => false,
      broadcastHandover: (payload) => void gossip.push({ from: n, payload: payload.slice() }),
      hasNeighbor: (slot) => gateways.has(slot), lenderSlot: () => -1, neighborId: idOf,
      sendTo: (to, type, body) => void (dataLost || frames.push({ from: n, to, type, body: body.slice() })),
      drop() {}, onDirectMessage() {}, messageUnroutable() {}, onCommandAck() {}, readingResent() {}, judge() {}, onHealthReport() {}, admitOrigin: () => null,
      admitGateway: () => null, knownPublicKey: () => null, slotOf: () => -1,
      emit: (e) => void (e.type === "reading" && delivered.push(`${n}:${e.seq}`)),
    };
    gateways.set(n, new StoreAndForward(ctx, nodeCrypto, new MemoryStorage(), new Uint8Array(64), new Uint8Array(0), createNodeConfig()));
  }
  let now = 0;
  return {
    delivered,
    answers,
    silent,
    offer(at: number, seqs: number[], named: number): void {
      for (const seq of seqs) {
        const entry = entries[seq - 1];
        const payload = new Uint8Array(ENTRY_HEAD_BYTES + entry.length + (named ? 8 : 0));
        payload[3] = 1; // base 1: the origin had nothing confirmed
        payload.set(entry, ENTRY_HEAD_BYTES);
        if (named) payload.fill(named, ENTRY_HEAD_BYTES + entry.length);
        assert.is(decodeData(encodeData(origin, idOf(at), DataKind.Entry, 1, seq, payload), view), WireError.None);
        gateways.get(at)!.onData(view, ORIGIN_SLOT, now);
      }
    },
    ask(claimer: number, oldHome: number): void {
      this.hear(oldHome, claimer, [[NoticeType.Release, oldHome, 0]]);
    },
    /** Gateway `at` alone gets one HANDOVER message from gateway `from`: its notices as [type, gateway, position]. */
    hear(at: number, from: number, notices: [NoticeType, number, number][]): void {
      const payload = new Uint8Array(notices.length * NOTICE_BYTES);
      notices.forEach(([type, gateway, position], i) => writeNotice(payload, i, type, origin, idOf(gateway), position));
      gateways.get(at)!.onHandover(idOf(from), payload, now);
    },
    /** Runs every gateway for `ms`. */
    run(ms: number): void {
      for (const end = now + ms; now < end; now += 1000) {
        for (const g of gateways.values()) g.tick(now);
        for (let f = frames.shift(); f; f = frames.shift()) {
          const g = gateways.get(f.to);
          if (!g) continue;
          if (f.type === RecordType.Ack) g.onAck(f.body, f.from, now);
          else if (decodeData(f.body, view) === WireError.None) g.onData(view, f.from, now);
          g.flushAcks();
        }
        for (let m = gossip.shift(); m; m = gossip.shift()) {
          if (silent.has(m.from)) continue;
          for (let i = 0; i < m.payload.length / NOTICE_BYTES; i++) {
            const n = notice(m.payload, i);
            if (n.type === NoticeType.Released) answers.push(`${m.from}>${n.gateway[0]}:${n.position}`);
          }
          for (const [n, g] of gateways) if (n !== m.from && !silent.has(n)) g.onHandover(idOf(m.from), m.payload, now);
        }
      }
    },
  };
}
