/**
 * On-demand route discovery to any node, AODV/LOADng style (docs/protocol.md §Routes to any node).
 *
 * A node that needs a route floods a ROUTE_REQUEST (hop-limited; each node relays the first copy of
 * each (origin, origin seqno) once, after a delay proportional to the cost of the link it came by,
 * so the first copy to arrive anywhere came the cheapest way: flooding in Dijkstra order). Every
 * copy teaches its receiver the way back to the origin. The target answers the first copy with a
 * ROUTE_REPLY under a fresh seqno of its own, unicast back along those reverse routes (and the first
 * copy from another neighbor with a second one, the same seqno, along another way back); each hop
 * it passes learns the way to the target. Only targets reply (no intermediate replies): a reply's seqno
 * is always newer than any route to the target already in the mesh.
 *
 * Bounded: the route cache (NodeRoutes), the requests seen (a ring of SEEN_REQUESTS), the requests
 * waiting for their relay time (RELAY_QUEUE rows, full: dropped and counted), the replies waiting to be
 * sent again (REPEATS rows, full: sent once) and the targets asked for lately (ASKED rows; a target is
 * asked again only after RETRY_MS). Requests count against their origin's relay budget, the same one
 * its gossip spends. Flat, for the board's heap: all of it in one byte array and one array of times,
 * allocated at boot (docs/architecture.md §Memory).
 */
import { equalAt, equalBytes } from "../bytes.js";
import type { OriginLimiter } from "../limits/origin-limiter.js";
import { unitFloat, type Random } from "../ports.js";
import type { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import {
  decodeRouteReply, decodeRouteRequest, encodeRouteReply, MAX_NODE_METRIC, newRouteReplyView, newRouteRequestView, ROUTE_REPLY_BYTES,
  ROUTE_REQUEST_BYTES, writeRouteRequest, type RouteReplyView, type RouteRequestView,
} from "../wire/node-route.js";
import { RecordType } from "../wire/records.js";
import { typedArrays } from "../typed-arrays.js";
import { NodeRoutes } from "./node-routes.js";

/** Requests remembered for duplicate suppression: far more than are in flight at once. */
const SEEN_REQUESTS = 16;
const SEEN_BYTES = NODE_ID_BYTES + 2;
/** Requests waiting for their relay time (each waits well under a second). */
const RELAY_QUEUE = 4;
/** Targets asked for lately. */
const ASKED = 2;
/** A target is asked for again no sooner than this (the reply needs a round trip). */
export const RETRY_MS = 1500;
/**
 * Each reply goes to the next hop twice, this long apart: a reply lost on one hop costs a whole new
 * flood, a second copy one small frame (the next hop ignores it if the first arrived).
 */
const REPEAT_MS = 50;
/** Replies waiting for their second send: the neighbor slot, then the reply. */
const REPEATS = 2;
const REPEAT_BYTES = 1 + ROUTE_REPLY_BYTES;

// Offsets in `bytes`…
const SEEN = 0;
const QUEUE = SEEN + SEEN_REQUESTS * SEEN_BYTES;
const ASKED_IDS = QUEUE + RELAY_QUEUE * ROUTE_REQUEST_BYTES;
const REPEAT = ASKED_IDS + ASKED * NODE_ID_BYTES;
/** The origin of the request we answered last, for a second answer. */
const ANSWERED = REPEAT + REPEATS * REPEAT_BYTES;
const BYTES = ANSWERED + NODE_ID_BYTES;
// …and in `times` (Infinity: free; -Infinity: never asked).
const FIRE = 0;
const ASKED_AT = FIRE + RELAY_QUEUE;
const REPEAT_AT = ASKED_AT + ASKED;
const TIMES = REPEAT_AT + REPEATS;

/** What discovery needs from its node: the MeshNode itself (no closures kept per node). */
export interface DiscoveryContext {
  readonly id: Uint8Array;
  /** Leaves relay no requests and pass no replies on: they are only ever a route's end. */
  readonly isLeaf: boolean;
  /** `hopLimit`, and `relayDelayMs`: the relay delay per perfect hop, ms. */
  readonly config: { readonly hopLimit: number; readonly relayDelayMs: number };
  /** Cost of the link to the neighbor in `slot` (ETX × 256, relays preferred), Infinity when unusable. */
  nodeRouteLinkCost(slot: number, now: number): number;
  /** A fresh seqno of our own, newer than `after` (-1: any), persisted before it is used. */
  freshRouteSeqno(after: number): number;
  sendTo(slot: number, type: RecordType, body: Uint8Array): void;
}

export class RouteDiscovery {
  readonly routes: NodeRoutes;
  private readonly bytes: Uint8Array;
  private readonly times: Float64Array;
  /** The earliest request or repeat time, NaN when it must be found again (a time was cleared): asked after every input. */
  private soonest = Infinity;
  private seenNext = 0;
  private seenCount = 0;
  /** Decoding scratch, and the request being started or relayed. */
  private readonly request: RouteRequestView = newRouteRequestView();
  private readonly reply: RouteReplyView = newRouteReplyView();
  /** The request we answered last: its origin seqno, the neighbor its first copy came from (-1: answered twice), our seqno. */
  private answeredSeqno = -1;
  private answeredSlot = -1;
  private answeredWith = 0;
  /** Requests started here, relayed, dropped for a full queue; replies sent as target; reply records sent (passed on and repeats too). */
  requestsStarted = 0;
  requestsRelayed = 0;
  requestsDropped = 0;
  repliesSent = 0;
  replyRecords = 0;

  /** `budget`: the per-origin relay budget (gossip's), each request spends a token of its origin's. */
  constructor(private readonly ctx: DiscoveryContext, capacity: number, private readonly random: Random, private readonly budget: OriginLimiter) {
    this.routes = new NodeRoutes(capacity);
    [this.times, this.bytes] = typedArrays([Float64Array, TIMES], [Uint8Array, BYTES]);
    this.times.fill(Infinity);
    this.times.fill(-Infinity, ASKED_AT, ASKED_AT + ASKED);
  }

  checkRequest(body: Uint8Array): WireError {
    return decodeRouteRequest(body, this.request);
  }

  checkReply(body: Uint8Array): WireError {
    return decodeRouteReply(body, this.reply);
  }

  /** Lets go of the last frame's bytes (the views point into them). */
  release(empty: Uint8Array): void {
    this.request.origin = this.request.target = this.reply.origin = this.reply.target = empty;
  }

  /** The neighbor slot toward `target`, or -1 (then a discovery starts, unless one is under way). */
  nextHop(target: Uint8Array, now: number): number {
    const slot = this.routes.nextHop(target, now);
    if (slot >= 0 && this.ctx.nodeRouteLinkCost(slot, now) < Infinity) return slot;
    // The next hop went silent, or avoided: the route is repaired by a new discovery.
    if (slot >= 0) this.routes.invalidate(target, now);
    this.discover(target, now);
    return -1;
  }

  /** Floods a request for `target` unless one went out lately or our relay budget is spent. */
  discover(target: Uint8Array, now: number): void {
    const { bytes, times } = this;
    let row = 0;
    for (let i = 0; i < ASKED; i++) {
      if (equalAt(bytes, ASKED_IDS + i * NODE_ID_BYTES, target, 0, NODE_ID_BYTES) && now - times[ASKED_AT + i] < RETRY_MS) return;
      if (times[ASKED_AT + i] < times[ASKED_AT + row]) row = i;
    }
    if (!this.budget.allow(this.ctx.id, now)) return;
    bytes.set(target.subarray(0, NODE_ID_BYTES), ASKED_IDS + row * NODE_ID_BYTES);
    times[ASKED_AT + row] = now;
    const r = this.request;
    r.origin = this.ctx.id;
    r.target = target;
    r.originSeqno = this.ctx.freshRouteSeqno(-1);
    r.targetSeqno = this.routes.seqnoOf(target, now);
    r.metric = 0;
    r.hops = 0;
    r.hopLimit = this.ctx.config.hopLimit;
    this.markSeen(r.origin, r.originSeqno);
    if (this.enqueue(r, now)) this.requestsStarted++;
  }

  /** A neighbor's copy of a request (`body`, checked), heard from `slot`. */
  onRequest(body: Uint8Array, slot: number, now: number): void {
    const r = this.request;
    decodeRouteRequest(body, r);
    if (equalBytes(r.origin, this.ctx.id)) return;
    const cost = this.ctx.nodeRouteLinkCost(slot, now);
    if (cost === Infinity) return;
    const metric = Math.min(MAX_NODE_METRIC, r.metric + Math.round(cost));
    // Every copy may shorten the way back; only the first is answered or relayed.
    this.routes.offer(r.origin, slot, r.originSeqno, metric, now);
    const toUs = equalBytes(r.target, this.ctx.id);
    if (this.wasSeen(r.origin, r.originSeqno)) {
      // The first copy by another neighbor gets a second answer, along another way back: one path
      // broken by a dying node or a lost frame then costs no new flood. Same seqno: no loop either way.
      if (toUs && r.originSeqno === this.answeredSeqno && slot !== this.answeredSlot && this.answeredSlot >= 0 &&
          equalAt(this.bytes, ANSWERED, r.origin, 0, NODE_ID_BYTES)) {
        this.answeredSlot = -1;
        this.answer(r.origin, this.answeredWith, slot, now);
      }
      return;
    }
    this.markSeen(r.origin, r.originSeqno);
    if (toUs) {
      this.bytes.set(r.origin.subarray(0, NODE_ID_BYTES), ANSWERED);
      this.answeredSeqno = r.originSeqno;
      this.answeredSlot = slot;
      this.answeredWith = this.ctx.freshRouteSeqno(r.targetSeqno);
      this.answer(r.origin, this.answeredWith, slot, now);
      return;
    }
    if (this.ctx.isLeaf || r.hops + 1 >= r.hopLimit || !this.budget.allow(r.origin, now)) return;
    r.metric = metric;
    r.hops++;
    // Cheaper links relay sooner, so the first copy anywhere came the cheapest way.
    if (this.enqueue(r, now + (cost / 256) * this.ctx.config.relayDelayMs * (0.9 + 0.2 * unitFloat(this.random)))) this.requestsRelayed++;
  }

  /**
   * A neighbor's reply (`body`, checked), heard from `slot`: a route to its target, passed on toward
   * its origin. Returns the target when the reply was for us and gave a route to it (items waiting
   * for it may go), else null.
   */
  onReply(body: Uint8Array, slot: number, now: number): Uint8Array | null {
    const reply = this.reply;
    decodeRouteReply(body, reply);
    const cost = this.ctx.nodeRouteLinkCost(slot, now);
    if (cost === Infinity || equalBytes(reply.target, this.ctx.id)) return null;
    const metric = Math.min(MAX_NODE_METRIC, reply.metric + Math.round(cost));
    // A stale or longer copy teaches nothing and goes no further.
    if (!this.routes.offer(reply.target, slot, reply.targetSeqno, metric, now)) return null;
    if (equalBytes(reply.origin, this.ctx.id)) return reply.target;
    if (this.ctx.isLeaf) return null;
    const back = this.routes.nextHop(reply.origin, now);
    if (back >= 0 && back !== slot && reply.hops < 255) {
      reply.metric = metric;
      reply.hops++;
      this.sendReply(back, encodeRouteReply(reply), now);
    }
    return null;
  }

  /** A neighbor left the table: no route goes through it, no reply is repeated to its slot's next holder. */
  dropNeighbor(slot: number): void {
    this.routes.dropNeighbor(slot);
    for (let i = 0; i < REPEATS; i++) if (this.bytes[REPEAT + i * REPEAT_BYTES] === slot) this.times[REPEAT_AT + i] = Infinity;
    this.soonest = NaN;
  }

  /** Requests due by `now`, as broadcast records; replies due again go to their next hops. */
  takeDue(now: number, parts: { type: RecordType; body: Uint8Array }[]): void {
    // Every flush asks; most find nothing due.
    if (this.nextDeadline() > now) return;
    this.soonest = NaN;
    const { bytes, times } = this;
    for (let i = 0; i < REPEATS; i++) {
      if (times[REPEAT_AT + i] > now) continue;
      times[REPEAT_AT + i] = Infinity;
      const at = REPEAT + i * REPEAT_BYTES;
      this.ctx.sendTo(bytes[at], RecordType.RouteReply, bytes.slice(at + 1, at + REPEAT_BYTES));
      this.replyRecords++;
    }
    for (let i = 0; i < RELAY_QUEUE; i++) {
      if (times[FIRE + i] > now) continue;
      times[FIRE + i] = Infinity;
      parts.push({ type: RecordType.RouteRequest, body: bytes.slice(QUEUE + i * ROUTE_REQUEST_BYTES, QUEUE + (i + 1) * ROUTE_REQUEST_BYTES) });
    }
  }

  nextDeadline(): number {
    if (this.soonest === this.soonest) return this.soonest;
    let t = Infinity;
    for (let i = FIRE; i < FIRE + RELAY_QUEUE; i++) if (this.times[i] < t) t = this.times[i];
    for (let i = REPEAT_AT; i < REPEAT_AT + REPEATS; i++) if (this.times[i] < t) t = this.times[i];
    this.soonest = t;
    return t;
  }

  private answer(origin: Uint8Array, seqno: number, slot: number, now: number): void {
    const reply = this.reply;
    reply.target = this.ctx.id;
    reply.origin = origin;
    reply.targetSeqno = seqno;
    reply.metric = 0;
    reply.hops = 0;
    this.sendReply(slot, encodeRouteReply(reply), now);
    this.repliesSent++;
  }

  private sendReply(slot: number, body: Uint8Array, now: number): void {
    this.ctx.sendTo(slot, RecordType.RouteReply, body);
    this.replyRecords++;
    let i = 0;
    while (i < REPEATS && this.times[REPEAT_AT + i] !== Infinity) i++;
    if (i === REPEATS) return;
    this.bytes[REPEAT + i * REPEAT_BYTES] = slot;
    this.bytes.set(body, REPEAT + i * REPEAT_BYTES + 1);
    this.times[REPEAT_AT + i] = now + REPEAT_MS;
    if (now + REPEAT_MS < this.soonest) this.soonest = now + REPEAT_MS;
  }

  private enqueue(r: RouteRequestView, at: number): boolean {
    let i = 0;
    while (i < RELAY_QUEUE && this.times[FIRE + i] !== Infinity) i++;
    if (i === RELAY_QUEUE) {
      this.requestsDropped++;
      return false;
    }
    writeRouteRequest(this.bytes, QUEUE + i * ROUTE_REQUEST_BYTES, r);
    this.times[FIRE + i] = at;
    if (at < this.soonest) this.soonest = at;
    return true;
  }

  private wasSeen(origin: Uint8Array, seqno: number): boolean {
    const seen = this.bytes;
    for (let i = 0, at = SEEN; i < this.seenCount; i++, at += SEEN_BYTES) {
      if (seen[at + NODE_ID_BYTES] === seqno >>> 8 && seen[at + NODE_ID_BYTES + 1] === (seqno & 0xff) &&
          equalAt(seen, at, origin, 0, NODE_ID_BYTES)) return true;
    }
    return false;
  }

  private markSeen(origin: Uint8Array, seqno: number): void {
    const at = SEEN + this.seenNext * SEEN_BYTES;
    this.bytes.set(origin.subarray(0, NODE_ID_BYTES), at);
    this.bytes[at + NODE_ID_BYTES] = seqno >>> 8;
    this.bytes[at + NODE_ID_BYTES + 1] = seqno & 0xff;
    this.seenNext = (this.seenNext + 1) % SEEN_REQUESTS;
    if (this.seenCount < SEEN_REQUESTS) this.seenCount++;
  }
}
