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
 * sent again (REPEATS rows, full: sent once) and the targets asked for
 * lately (ASKED rows; a target is asked again only after RETRY_MS). Requests count against their
 * origin's relay budget, the same one its gossip spends.
 */
import { equalAt, equalBytes } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import {
  decodeRouteRequest, encodeRouteReply, MAX_NODE_METRIC, newRouteRequestView, ROUTE_REPLY_BYTES, ROUTE_REQUEST_BYTES, writeRouteRequest,
  type RouteReplyView, type RouteRequestView,
} from "../wire/node-route.js";
import { RecordType } from "../wire/records.js";
import { NodeRoutes } from "./node-routes.js";

/** Requests remembered for duplicate suppression: far more than are in flight at once. */
const SEEN_REQUESTS = 32;
const SEEN_BYTES = NODE_ID_BYTES + 2;
/** Requests waiting for their relay time. */
const RELAY_QUEUE = 8;
/** Targets asked for lately. */
const ASKED = 4;
/** A target is asked for again no sooner than this (the reply needs a round trip). */
export const RETRY_MS = 1500;
/**
 * Each reply goes to the next hop twice, this long apart: a reply lost on one hop costs a whole new
 * flood, a second copy one small frame (the next hop ignores it if the first arrived).
 */
const REPEAT_MS = 50;
/** Replies waiting for their second send. */
const REPEATS = 4;

export interface DiscoveryContext {
  readonly id: Uint8Array;
  /** Whether this node relays requests (leaves do not). */
  readonly relays: boolean;
  readonly hopLimit: number;
  /** Relay delay per perfect hop, ms. */
  readonly relayDelayMs: number;
  /** Cost of the link to the neighbor in `slot` (ETX × 256, relays preferred), Infinity when unusable. */
  linkCost(slot: number, now: number): number;
  /** Whether `origin`'s relay budget allows another request now (takes a token). */
  allowOrigin(origin: Uint8Array, now: number): boolean;
  /** A fresh seqno of our own, newer than `after` (-1: any), persisted before it is used. */
  freshSeqno(after: number): number;
  sendTo(slot: number, type: RecordType, body: Uint8Array): void;
  /** A uniform draw in [0, 1). */
  random(): number;
  /** A route to `target` was found (items waiting for it may go now). */
  routeFound(target: Uint8Array, now: number): void;
}

export class RouteDiscovery {
  readonly routes: NodeRoutes;
  private readonly seen = new Uint8Array(SEEN_REQUESTS * SEEN_BYTES);
  private seenNext = 0;
  private seenCount = 0;
  private readonly queue = new Uint8Array(RELAY_QUEUE * ROUTE_REQUEST_BYTES);
  private readonly fireAt = new Float64Array(RELAY_QUEUE).fill(Infinity);
  private readonly asked = new Uint8Array(ASKED * NODE_ID_BYTES);
  private readonly askedAt = new Float64Array(ASKED).fill(-Infinity);
  private readonly request: RouteRequestView = newRouteRequestView();
  private readonly repeats = new Uint8Array(REPEATS * ROUTE_REPLY_BYTES);
  private readonly repeatSlot = new Uint8Array(REPEATS);
  private readonly repeatAt = new Float64Array(REPEATS).fill(Infinity);
  /** The request we answered last (origin, seqno, the neighbor its first copy came from, the seqno we gave), for a second answer. */
  private readonly answered = new Uint8Array(NODE_ID_BYTES);
  private answeredSeqno = -1;
  private answeredSlot = -1;
  private answeredWith = 0;
  /** Requests started here, relayed, dropped for a full queue; replies sent as target; reply records sent (passed on and repeats too). */
  requestsStarted = 0;
  requestsRelayed = 0;
  requestsDropped = 0;
  repliesSent = 0;
  replyRecords = 0;

  constructor(private readonly ctx: DiscoveryContext, capacity: number) {
    this.routes = new NodeRoutes(capacity);
  }

  /** The neighbor slot toward `target`, or -1 (then a discovery starts, unless one is under way). */
  nextHop(target: Uint8Array, now: number): number {
    const slot = this.routes.nextHop(target, now);
    if (slot >= 0 && this.ctx.linkCost(slot, now) < Infinity) return slot;
    // The next hop went silent, or avoided: the route is repaired by a new discovery.
    if (slot >= 0) this.routes.invalidate(target, now);
    this.discover(target, now);
    return -1;
  }

  /** Floods a request for `target` unless one went out lately or our relay budget is spent. */
  discover(target: Uint8Array, now: number): void {
    let row = 0;
    for (let i = 0; i < ASKED; i++) {
      if (equalAt(this.asked, i * NODE_ID_BYTES, target, 0, NODE_ID_BYTES) && now - this.askedAt[i] < RETRY_MS) return;
      if (this.askedAt[i] < this.askedAt[row]) row = i;
    }
    if (!this.ctx.allowOrigin(this.ctx.id, now)) return;
    this.asked.set(target.subarray(0, NODE_ID_BYTES), row * NODE_ID_BYTES);
    this.askedAt[row] = now;
    const r = this.request;
    r.origin = this.ctx.id;
    r.target = target;
    r.originSeqno = this.ctx.freshSeqno(-1);
    r.targetSeqno = this.routes.seqnoOf(target, now);
    r.metric = 0;
    r.hops = 0;
    r.hopLimit = this.ctx.hopLimit;
    this.markSeen(r.origin, r.originSeqno);
    if (this.enqueue(r, now)) this.requestsStarted++;
  }

  /** A neighbor's copy of a request (`body`, checked), heard from `slot`. */
  onRequest(body: Uint8Array, slot: number, now: number): void {
    const r = this.request;
    decodeRouteRequest(body, r);
    if (equalBytes(r.origin, this.ctx.id)) return;
    const cost = this.ctx.linkCost(slot, now);
    if (cost === Infinity) return;
    const metric = Math.min(MAX_NODE_METRIC, r.metric + Math.round(cost));
    // Every copy may shorten the way back; only the first is answered or relayed.
    this.routes.offer(r.origin, slot, r.originSeqno, metric, now);
    const toUs = equalBytes(r.target, this.ctx.id);
    if (this.wasSeen(r.origin, r.originSeqno)) {
      // The first copy by another neighbor gets a second answer, along another way back: one path
      // broken by a dying node or a lost frame then costs no new flood. Same seqno: no loop either way.
      if (toUs && r.originSeqno === this.answeredSeqno && slot !== this.answeredSlot && this.answeredSlot >= 0 &&
          equalAt(this.answered, 0, r.origin, 0, NODE_ID_BYTES)) {
        this.answeredSlot = -1;
        this.reply(r.origin, this.answeredWith, slot, now);
      }
      return;
    }
    this.markSeen(r.origin, r.originSeqno);
    if (toUs) {
      this.answered.set(r.origin.subarray(0, NODE_ID_BYTES));
      this.answeredSeqno = r.originSeqno;
      this.answeredSlot = slot;
      this.answeredWith = this.ctx.freshSeqno(r.targetSeqno);
      this.reply(r.origin, this.answeredWith, slot, now);
      return;
    }
    if (!this.ctx.relays || r.hops + 1 >= r.hopLimit || !this.ctx.allowOrigin(r.origin, now)) return;
    r.metric = metric;
    r.hops++;
    // Cheaper links relay sooner, so the first copy anywhere came the cheapest way.
    if (this.enqueue(r, now + (cost / 256) * this.ctx.relayDelayMs * (0.9 + 0.2 * this.ctx.random()))) this.requestsRelayed++;
  }

  /** A neighbor's reply (decoded), heard from `slot`: a route to its target, passed on toward its origin. */
  onReply(reply: RouteReplyView, slot: number, now: number): void {
    const cost = this.ctx.linkCost(slot, now);
    if (cost === Infinity || equalBytes(reply.target, this.ctx.id)) return;
    const metric = Math.min(MAX_NODE_METRIC, reply.metric + Math.round(cost));
    // A stale or longer copy teaches nothing and goes no further.
    if (!this.routes.offer(reply.target, slot, reply.targetSeqno, metric, now)) return;
    if (equalBytes(reply.origin, this.ctx.id)) return this.ctx.routeFound(reply.target, now);
    const back = this.routes.nextHop(reply.origin, now);
    if (back < 0 || back === slot || reply.hops >= 255) return;
    this.sendReply(back, encodeRouteReply({ ...reply, metric, hops: reply.hops + 1 }), now);
  }

  private reply(origin: Uint8Array, seqno: number, slot: number, now: number): void {
    const reply: RouteReplyView = { target: this.ctx.id, origin, targetSeqno: seqno, metric: 0, hops: 0 };
    this.sendReply(slot, encodeRouteReply(reply), now);
    this.repliesSent++;
  }

  private sendReply(slot: number, body: Uint8Array, now: number): void {
    this.ctx.sendTo(slot, RecordType.RouteReply, body);
    this.replyRecords++;
    let i = 0;
    while (i < REPEATS && this.repeatAt[i] !== Infinity) i++;
    if (i === REPEATS) return;
    this.repeats.set(body, i * ROUTE_REPLY_BYTES);
    this.repeatSlot[i] = slot;
    this.repeatAt[i] = now + REPEAT_MS;
  }

  /** A neighbor left the table: no route goes through it, no reply is repeated to its slot's next holder. */
  dropNeighbor(slot: number): void {
    this.routes.dropNeighbor(slot);
    for (let i = 0; i < REPEATS; i++) if (this.repeatSlot[i] === slot) this.repeatAt[i] = Infinity;
  }

  /** Requests due by `now`, as broadcast records; replies due again go to their next hops. */
  takeDue(now: number, parts: { type: RecordType; body: Uint8Array }[]): void {
    for (let i = 0; i < REPEATS; i++) {
      if (this.repeatAt[i] > now) continue;
      this.repeatAt[i] = Infinity;
      this.ctx.sendTo(this.repeatSlot[i], RecordType.RouteReply, this.repeats.slice(i * ROUTE_REPLY_BYTES, (i + 1) * ROUTE_REPLY_BYTES));
      this.replyRecords++;
    }
    for (let i = 0; i < RELAY_QUEUE; i++) {
      if (this.fireAt[i] > now) continue;
      this.fireAt[i] = Infinity;
      parts.push({ type: RecordType.RouteRequest, body: this.queue.slice(i * ROUTE_REQUEST_BYTES, (i + 1) * ROUTE_REQUEST_BYTES) });
    }
  }

  nextDeadline(): number {
    let t = Infinity;
    for (let i = 0; i < RELAY_QUEUE; i++) if (this.fireAt[i] < t) t = this.fireAt[i];
    for (let i = 0; i < REPEATS; i++) if (this.repeatAt[i] < t) t = this.repeatAt[i];
    return t;
  }

  private enqueue(r: RouteRequestView, at: number): boolean {
    let i = 0;
    while (i < RELAY_QUEUE && this.fireAt[i] !== Infinity) i++;
    if (i === RELAY_QUEUE) {
      this.requestsDropped++;
      return false;
    }
    writeRouteRequest(this.queue, i * ROUTE_REQUEST_BYTES, r);
    this.fireAt[i] = at;
    return true;
  }

  private wasSeen(origin: Uint8Array, seqno: number): boolean {
    for (let i = 0, at = 0; i < this.seenCount; i++, at += SEEN_BYTES) {
      if (this.seen[at + NODE_ID_BYTES] === seqno >>> 8 && this.seen[at + NODE_ID_BYTES + 1] === (seqno & 0xff) &&
          equalAt(this.seen, at, origin, 0, NODE_ID_BYTES)) return true;
    }
    return false;
  }

  private markSeen(origin: Uint8Array, seqno: number): void {
    const at = this.seenNext * SEEN_BYTES;
    this.seen.set(origin.subarray(0, NODE_ID_BYTES), at);
    this.seen[at + NODE_ID_BYTES] = seqno >>> 8;
    this.seen[at + NODE_ID_BYTES + 1] = seqno & 0xff;
    this.seenNext = (this.seenNext + 1) % SEEN_REQUESTS;
    if (this.seenCount < SEEN_REQUESTS) this.seenCount++;
  }
}
