/**
 * A gateway's side of an origin changing home without a reading delivered twice
 * (docs/protocol.md §Store-and-forward, "Changing home").
 *
 * An origin whose home gateway stays silent moves to another gateway and names the old home on its
 * entries. The new home *claims* the origin: it holds the origin's entries undelivered and asks the
 * old home to give it up, by a RELEASE notice gossiped to the whole mesh (wire/handover.ts) — not
 * routed, since the holes that silenced the old home sit on the routes between the gateways too.
 * The old home marks the origin *released* (kept in storage: from then on it delivers none of its
 * entries) and answers RELEASED with how far it delivered; the new home starts after that. Without
 * an answer within WAIT_MS (the old home is down or cut off) the new home starts anyway, after the
 * base the origin gives: only then can a reading the old home delivered, whose CONFIRM never reached
 * the origin, be delivered a second time. The old home is still asked after that, for TELL_MS:
 * never released, it would go on delivering whatever entries of the origin still reach it.
 *
 * An origin can move on before its claim is answered (A to B, then B to C): B, asked by C while
 * still claiming from A, does not know where delivery stopped, so it answers C only once A answered
 * it (with the farther of A's position and its own), or once its claim gives up; an answer with B's
 * own position alone would have C deliver again what A delivered.
 *
 * An old home that released the origin before knows just as little (A to B to C, back to A, then to
 * D: A asked by D): B and C delivered further. Each released record names the gateway the origin
 * went to, a later home, so following them reaches the last one. A released gateway asked by a new
 * claimer claims the origin from the gateway it released it to, for the claimer, and answers it as
 * above (keeping the farther position as its own: a claimer whose answer was lost asks again); it is
 * released to the claimer once it passes the answer on, not before (the store-and-forward side); one
 * that gets the origin's entries naming a previous home claims it from there for itself, whatever
 * the entries name. They came from that gateway or from a later home only it can lead to, or are
 * late copies from an earlier stay: the chain's answer says how far the origin was delivered since,
 * and the home released on the way claims it back, the same way, on the origin's next entry. Such a
 * claim left unanswered for WAIT_MS ends with the gateway still released, not taking the origin over
 * beside the last home, which delivers on (unless the gateway released to is cut off: maybe down).
 * A released gateway's late entries go on to the gateway it released the origin to (store-and-forward).
 *
 * Two gateways can claim the origin from each other (each released to the other, an answer lost or
 * on its way): each answers the other's RELEASE at once, and its claim ends, even one whose answer
 * it owed a third gateway (that one asks again, and is led down the chain): passed on as well, the
 * other's answer had a second gateway take the origin over.
 *
 * Notices are batched: one gossip message carries those due, at most one per NOTICE_SPACING_MS.
 * Bounded: CLAIM_CAPACITY claims at once (an origin beyond waits: its entries are not taken, so it
 * sends them again; a claimer beyond is not answered, so it asks again), TELL_CAPACITY old homes
 * still asked after a claim gave up (the one asked longest gives way), RELEASED_CAPACITY released
 * origins in storage, each with the gateway it went to (the oldest forgotten first).
 */
import { equalAt, readU32 } from "../bytes.js";
import { STORAGE_VALUE_MAX_BYTES, type Storage } from "../ports.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { MAX_NOTICES, NOTICE_BYTES, NoticeType, writeNotice } from "../wire/handover.js";

/** How long a claim waits for the old home's answer before the new home starts anyway. */
export const WAIT_MS = 3 * 60_000;
/**
 * A claim whose old home this gateway has no route to waits past WAIT_MS, up to this long: the old
 * home may be alive behind a partition, still delivering what reaches it (3 min waits delivered 43
 * readings twice at 1,000 nodes under stress); a dead one costs the origin this much delay. Once a
 * route to it is back, the claim asks it at once and waits WAIT_MS more for its answer (so a claim
 * lasts at most CUT_OFF_WAIT_MS + RETRY_MS + WAIT_MS).
 */
export const CUT_OFF_WAIT_MS = 15 * 60_000;
/** A RELEASE is sent again this often while no answer comes (gossip can miss a gateway). */
export const RETRY_MS = 30_000;
/**
 * After a claim gave up unanswered, its old home is asked this long still (every RETRY_MS): one that
 * was down or cut off from the gossip, once it hears, delivers none of the origin's entries that
 * custodians still carry to it. By then custodians have given those up (confirmAfterMs).
 */
export const TELL_MS = 15 * 60_000;
export const TELL_CAPACITY = 16;
/** Notices wait this long for others to share their message… */
const NOTICE_DELAY_MS = 1000;
/** …and messages are this far apart: relays pass a gateway's gossip at 6 a minute (§Rate limits), its own data included. */
export const NOTICE_SPACING_MS = 15_000;
export const CLAIM_CAPACITY = 64;
/** As many released records as one storage value holds (each is an origin and the gateway it went to). */
export const RELEASED_CAPACITY = Math.floor(STORAGE_VALUE_MAX_BYTES / (2 * NODE_ID_BYTES));
const KEY_RELEASED = "fhr2";
/** A released record: the origin ‖ the gateway it was released to. */
const RELEASED_BYTES = 2 * NODE_ID_BYTES;

export class GatewayHandover {
  private readonly claimed = new Uint8Array(CLAIM_CAPACITY * NODE_ID_BYTES);
  private readonly previous = new Uint8Array(CLAIM_CAPACITY * NODE_ID_BYTES);
  /** When each claim began, moved on while its old home is cut off; NaN: free. */
  private readonly since = new Float64Array(CLAIM_CAPACITY).fill(NaN);
  private readonly began = new Float64Array(CLAIM_CAPACITY);
  /** 1 while a claim's wait was moved on for a cut-off old home: a route back starts a fresh WAIT_MS. */
  private readonly wasCutOff = new Uint8Array(CLAIM_CAPACITY);
  private readonly nextTry = new Float64Array(CLAIM_CAPACITY);
  /** Claims due to ask their old home (`due`, reused). */
  private readonly asking = new Uint8Array(CLAIM_CAPACITY);
  /** The gateway each claim's answer is owed to, when the origin moved on before it was answered (`passing` 1). */
  private readonly successor = new Uint8Array(CLAIM_CAPACITY * NODE_ID_BYTES);
  private readonly passing = new Uint8Array(CLAIM_CAPACITY);
  /** Old homes still asked after their claim gave up: origin ‖ old home per row; `tellUntil` NaN: free. */
  private readonly told = new Uint8Array(TELL_CAPACITY * 2 * NODE_ID_BYTES);
  private readonly tellUntil = new Float64Array(TELL_CAPACITY).fill(NaN);
  private readonly tellNext = new Float64Array(TELL_CAPACITY);
  /** Released records (RELEASED_BYTES each), oldest first, as stored. */
  private released: Uint8Array;
  /** Notices to gossip (wire/handover.ts), and when. */
  private readonly notices = new Uint8Array(MAX_NOTICES * NOTICE_BYTES);
  private noticeCount = 0;
  private noticeAt = Infinity;
  private lastNoticeAt = -Infinity;

  constructor(private readonly storage: Storage) {
    const stored = storage.get(KEY_RELEASED);
    this.released = stored && stored.length % RELEASED_BYTES === 0 ? stored : new Uint8Array(0);
  }

  isReleased(origin: Uint8Array): boolean {
    return this.releasedAt(origin) >= 0;
  }

  /**
   * The old home's side: `origin` now belongs to another gateway; none of its entries is delivered
   * here. A claim of ours for it ends unanswered (the origin moved on since it named us), unless
   * its answer is passed on (`passOn`).
   */
  release(origin: Uint8Array, to: Uint8Array): void {
    this.stopTelling(origin);
    const i = this.claimAt(origin);
    // Released to the very gateway we claim from (a crossing), the claim ends even if its answer was
    // owed to another: passed on too, that one would take the origin over beside `to`. It asks
    // again, and is led down the chain to `to`.
    if (i >= 0 && (!this.passing[i] || equalAt(this.previous, i * NODE_ID_BYTES, to, 0, NODE_ID_BYTES))) this.since[i] = NaN;
    const at = this.releasedAt(origin);
    if (at >= 0) {
      if (equalAt(this.released, at + NODE_ID_BYTES, to, 0, NODE_ID_BYTES)) return;
      this.unrelease(origin);
    }
    const keep = Math.min(this.released.length, (RELEASED_CAPACITY - 1) * RELEASED_BYTES);
    const next = new Uint8Array(keep + RELEASED_BYTES);
    next.set(this.released.subarray(this.released.length - keep));
    next.set(origin.subarray(0, NODE_ID_BYTES), keep);
    next.set(to.subarray(0, NODE_ID_BYTES), keep + NODE_ID_BYTES);
    this.store(next);
  }

  /**
   * The gateway `origin` was released to from here (a view), or null. It took the origin after us:
   * how far the origin was delivered since is known there, or further down the chain of homes.
   */
  releasedTo(origin: Uint8Array): Uint8Array | null {
    const at = this.releasedAt(origin);
    return at >= 0 ? this.released.subarray(at + NODE_ID_BYTES, at + RELEASED_BYTES) : null;
  }

  /** The new home took `origin` over: were it released here before, it is ours again. */
  unrelease(origin: Uint8Array): void {
    const at = this.releasedAt(origin);
    if (at < 0) return;
    const next = new Uint8Array(this.released.length - RELEASED_BYTES);
    next.set(this.released.subarray(0, at));
    next.set(this.released.subarray(at + RELEASED_BYTES), at);
    this.store(next);
  }

  claiming(origin: Uint8Array): boolean {
    return this.claimAt(origin) >= 0;
  }

  /** Starts claiming `origin` from its old home `previous`; false when CLAIM_CAPACITY claims are under way. */
  claim(origin: Uint8Array, previous: Uint8Array, now: number): boolean {
    if (this.claiming(origin)) return true;
    const i = this.since.findIndex(Number.isNaN);
    if (i < 0) return false;
    this.stopTelling(origin);
    this.claimed.set(origin.subarray(0, NODE_ID_BYTES), i * NODE_ID_BYTES);
    this.previous.set(previous.subarray(0, NODE_ID_BYTES), i * NODE_ID_BYTES);
    this.since[i] = now;
    this.began[i] = now;
    this.nextTry[i] = now;
    this.passing[i] = 0;
    this.wasCutOff[i] = 0;
    return true;
  }

  /**
   * `claimer` asks us to release `origin` while we still claim it from another gateway: true, and
   * the answer waits for ours (`successorOf`). False without such a claim: we know our position now.
   * A RELEASE from the very gateway we claim from crossed our claim; it is answered at once, and the
   * claim ends (`release`).
   */
  passOn(origin: Uint8Array, claimer: Uint8Array): boolean {
    const i = this.claimAt(origin);
    if (i < 0 || equalAt(this.previous, i * NODE_ID_BYTES, claimer, 0, NODE_ID_BYTES)) return false;
    this.successor.set(claimer.subarray(0, NODE_ID_BYTES), i * NODE_ID_BYTES);
    this.passing[i] = 1;
    return true;
  }

  /** The gateway our answer for `origin`'s claim is owed to (a view), or null. */
  successorOf(origin: Uint8Array): Uint8Array | null {
    const i = this.claimAt(origin);
    return i >= 0 && this.passing[i] ? this.successor.subarray(i * NODE_ID_BYTES, (i + 1) * NODE_ID_BYTES) : null;
  }

  /**
   * `from` answered for `origin`: the claim ends if it asked `from`. False if there was none (a late
   * answer, which ends the asking) or it asks another gateway: `from` answered an earlier claim, and
   * taken for this one, its answer had us take the origin over beside the gateway we ask, which
   * answered that earlier claim's crossing RELEASE at once.
   */
  answered(origin: Uint8Array, from: Uint8Array): boolean {
    const i = this.claimAt(origin);
    if (i >= 0 && !equalAt(this.previous, i * NODE_ID_BYTES, from, 0, NODE_ID_BYTES)) return false;
    this.stopTelling(origin);
    if (i < 0) return false;
    this.since[i] = NaN;
    return true;
  }

  /**
   * Queues a notice for the next gossip message (one already queued for the same origin and gateway
   * is updated); false when the batch is full. An answer (RELEASED) then takes the place of a RELEASE
   * of ours, asked again as soon as there is room: an answer ends a claim, ours is only asked again.
   */
  notify(type: NoticeType, origin: Uint8Array, gateway: Uint8Array, position: number, now: number): boolean {
    let i = 0;
    while (i < this.noticeCount && !(this.notices[i * NOTICE_BYTES] === type &&
      equalAt(this.notices, i * NOTICE_BYTES + 1, origin, 0, NODE_ID_BYTES) &&
      equalAt(this.notices, i * NOTICE_BYTES + 1 + NODE_ID_BYTES, gateway, 0, NODE_ID_BYTES))) i++;
    if (i === MAX_NOTICES) {
      if (type !== NoticeType.Released) return false;
      while (--i >= 0 && this.notices[i * NOTICE_BYTES] !== NoticeType.Release);
      if (i < 0) return false;
      this.askAgain(this.notices.subarray(i * NOTICE_BYTES + 1, i * NOTICE_BYTES + 1 + NODE_ID_BYTES), now);
    } else if (i < this.noticeCount) {
      // An answer queued twice keeps the farther position (one passed on, then our own, lower).
      position = Math.max(position, readU32(this.notices, i * NOTICE_BYTES + 17));
    }
    writeNotice(this.notices, i, type, origin, gateway, position);
    if (i === this.noticeCount) this.noticeCount++;
    this.noticeAt = Math.min(this.noticeAt, Math.max(now + NOTICE_DELAY_MS, this.lastNoticeAt + NOTICE_SPACING_MS));
    return true;
  }

  /**
   * We took `origin` over: answers for it still queued (RELEASED, a position we had released it at)
   * are withdrawn. Sent after the takeover, one could end a later claim of the gateway it was owed to,
   * which would then deliver from that older position what we deliver now (3 readings twice at
   * 1,000 nodes under stress, seed 2, at c650d5c). That claim asks again and is answered afresh.
   */
  withdrawAnswers(origin: Uint8Array): void {
    let kept = 0;
    for (let i = 0; i < this.noticeCount; i++) {
      const at = i * NOTICE_BYTES;
      if (this.notices[at] === NoticeType.Released && equalAt(this.notices, at + 1, origin, 0, NODE_ID_BYTES)) continue;
      if (kept !== i) this.notices.copyWithin(kept * NOTICE_BYTES, at, at + NOTICE_BYTES);
      kept++;
    }
    this.noticeCount = kept;
    if (kept === 0) this.noticeAt = Infinity;
  }

  /** `origin`'s RELEASE was taken out of the batch: its claim (or old home still asked) asks again when there is room. */
  private askAgain(origin: Uint8Array, now: number): void {
    const i = this.claimAt(origin);
    if (i >= 0) this.nextTry[i] = now;
    const k = this.tellAt(origin);
    if (k >= 0) this.tellNext[k] = now;
  }

  /** The notices to gossip now, or null. */
  takeNotices(now: number): Uint8Array | null {
    if (now < this.noticeAt) return null;
    const out = this.notices.slice(0, this.noticeCount * NOTICE_BYTES);
    this.noticeCount = 0;
    this.noticeAt = Infinity;
    this.lastNoticeAt = now;
    return out;
  }

  /**
   * Claims due now: each asks its old home again every RETRY_MS (a RELEASE notice); `giveUp(origin,
   * successor)` ends a claim left unanswered for WAIT_MS (`successor`: the gateway its answer was owed to, or null),
   * or, while `cutOff(oldHome)`, for CUT_OFF_WAIT_MS; or WAIT_MS after a route to a cut-off old home came back.
   * The old home of a claim given up is still asked, every RETRY_MS for TELL_MS. A claim of our own
   * from the gateway we released the origin to ends without `giveUp`, still released, unless that
   * gateway is cut off.
   */
  due(now: number, cutOff: (gateway: Uint8Array) => boolean, giveUp: (origin: Uint8Array, successor: Uint8Array | null) => void): void {
    let due = 0;
    for (let i = 0; i < CLAIM_CAPACITY; i++) {
      if (Number.isNaN(this.since[i])) continue;
      const origin = this.claimed.subarray(i * NODE_ID_BYTES, (i + 1) * NODE_ID_BYTES);
      if (now >= this.since[i] + WAIT_MS) {
        const cut = cutOff(this.previousOf(i));
        if (cut && now < this.began[i] + CUT_OFF_WAIT_MS) {
          this.since[i] = now - WAIT_MS + RETRY_MS;
          this.wasCutOff[i] = 1;
        } else if (!cut && this.wasCutOff[i]) {
          // The old home is routed to again: its RELEASE could not reach it so far, so it goes now and
          // gets a whole WAIT_MS for the answer. Given up at once, the old home, never released, would
          // go on delivering the entries still on their way to it, after the position we start from
          // (5 readings twice at 1,000 nodes under stress, seed 1, with simultaneous events simulated in another order).
          this.since[i] = now;
          this.nextTry[i] = now;
          this.wasCutOff[i] = 0;
        }
      }
      if (now >= this.since[i] + WAIT_MS) {
        const successor = this.passing[i] ? this.successor.subarray(i * NODE_ID_BYTES, (i + 1) * NODE_ID_BYTES) : null;
        this.since[i] = NaN;
        // Our own claim from the gateway we had released the origin to (its entries reached us late, or
        // it came back) follows the chain of later homes: the answer is on its way, and the last home
        // delivers until it comes. Taking over beside it delivered again what it had (1 reading at
        // 1,000 nodes under stress, seed 2, the answer 20 s late); we stay released and ask no more.
        // The held entries wait in the origin's storage until a home confirms them; an origin back
        // here claims again with its next entry. Still cut off at CUT_OFF_WAIT_MS, that gateway may
        // be down for good: delivery goes on here.
        if (!successor && this.isReleased(origin) && !cutOff(this.previousOf(i))) continue;
        this.tell(origin, this.previousOf(i), this.nextTry[i], now);
        giveUp(origin, successor);
      } else if (now >= this.nextTry[i]) {
        this.asking[due++] = i;
      }
    }
    // The claims asked longest ago first; those a full batch leaves out go in the next message. In
    // claim order, at a gateway with more claims than a message holds (16 notices, one message every
    // 15 s) the last claims were left out time after time, their old homes never asked within
    // WAIT_MS, and they started anyway after readings the old home had delivered.
    const asking = this.asking.subarray(0, due).sort((a, b) => this.nextTry[a] - this.nextTry[b]);
    for (const i of asking) {
      if (!this.notify(NoticeType.Release, this.claimed.subarray(i * NODE_ID_BYTES, (i + 1) * NODE_ID_BYTES), this.previousOf(i), 0, now)) return;
      this.nextTry[i] = now + RETRY_MS;
    }
    for (let i = 0; i < TELL_CAPACITY; i++) {
      if (!(now < this.tellUntil[i])) {
        this.tellUntil[i] = NaN;
      } else if (now >= this.tellNext[i]) {
        const row = i * 2 * NODE_ID_BYTES;
        if (!this.notify(NoticeType.Release, this.told.subarray(row, row + NODE_ID_BYTES), this.told.subarray(row + NODE_ID_BYTES, row + 2 * NODE_ID_BYTES), 0, now)) return;
        this.tellNext[i] = now + RETRY_MS;
      }
    }
  }

  /** Claim `i`'s old home (a view). */
  private previousOf(i: number): Uint8Array {
    return this.previous.subarray(i * NODE_ID_BYTES, (i + 1) * NODE_ID_BYTES);
  }

  /** Whether `origin`'s old home is still asked after its claim gave up. */
  telling(origin: Uint8Array): boolean {
    return this.tellAt(origin) >= 0;
  }

  /** Keeps asking `oldHome` to release `origin` from `next` on, until TELL_MS after `now`; the row asked longest gives way. */
  private tell(origin: Uint8Array, oldHome: Uint8Array, next: number, now: number): void {
    let i = this.tellUntil.findIndex(Number.isNaN);
    if (i < 0) {
      i = 0;
      for (let k = 1; k < TELL_CAPACITY; k++) if (this.tellUntil[k] < this.tellUntil[i]) i = k;
    }
    this.told.set(origin.subarray(0, NODE_ID_BYTES), i * 2 * NODE_ID_BYTES);
    this.told.set(oldHome.subarray(0, NODE_ID_BYTES), (i * 2 + 1) * NODE_ID_BYTES);
    this.tellUntil[i] = now + TELL_MS;
    this.tellNext[i] = next;
  }

  /** The old home answered, or the origin is claimed or released again: asking for it ends. */
  private stopTelling(origin: Uint8Array): void {
    const i = this.tellAt(origin);
    if (i >= 0) this.tellUntil[i] = NaN;
  }

  private tellAt(origin: Uint8Array): number {
    for (let i = 0; i < TELL_CAPACITY; i++) {
      if (!Number.isNaN(this.tellUntil[i]) && equalAt(this.told, i * 2 * NODE_ID_BYTES, origin, 0, NODE_ID_BYTES)) return i;
    }
    return -1;
  }

  /** When `due` or `takeNotices` next has something to do. */
  get deadline(): number {
    let t = this.noticeAt;
    // A full batch: no one else is asked before it goes.
    const asks = this.noticeCount === MAX_NOTICES ? this.noticeAt : -Infinity;
    for (let i = 0; i < CLAIM_CAPACITY; i++) {
      if (!Number.isNaN(this.since[i])) t = Math.min(t, Math.max(this.nextTry[i], asks), this.since[i] + WAIT_MS);
    }
    for (let i = 0; i < TELL_CAPACITY; i++) {
      if (!Number.isNaN(this.tellUntil[i])) t = Math.min(t, Math.max(this.tellNext[i], asks), this.tellUntil[i]);
    }
    return t;
  }

  private claimAt(origin: Uint8Array): number {
    for (let i = 0; i < CLAIM_CAPACITY; i++) {
      if (!Number.isNaN(this.since[i]) && equalAt(this.claimed, i * NODE_ID_BYTES, origin, 0, NODE_ID_BYTES)) return i;
    }
    return -1;
  }

  private releasedAt(origin: Uint8Array): number {
    for (let at = 0; at < this.released.length; at += RELEASED_BYTES) {
      if (equalAt(this.released, at, origin, 0, NODE_ID_BYTES)) return at;
    }
    return -1;
  }

  private store(next: Uint8Array): void {
    this.released = next;
    this.storage.set(KEY_RELEASED, next);
  }
}
