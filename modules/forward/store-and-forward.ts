/**
 * Store-and-forward of readings to a gateway, exactly once (docs/protocol.md §Store-and-forward).
 *
 * 1. An origin appends each reading to its feed (hash-chained), keeps it in storage until a gateway
 *    confirms it (UnsentStore), and hands it to the next hop toward its home gateway.
 * 2. Every hop takes custody: it ACKs a DATA item once it holds it (or held it before), keeps it in a
 *    bounded queue, and hands it on toward the destination, resending with backoff until the next hop
 *    ACKs. No route: it waits. Queue full: it gives up an item left unanswered for confirmAfterMs (sent
 *    again by its origin meanwhile), or else does not ACK, so the sender keeps the item.
 * 3. The gateway feeds entries and checkpoints to its FeedVerifier, which delivers each reading once,
 *    in order, and reports `reading` events; it then sends a CONFIRM (highest seq delivered) back to
 *    the origin along the reverse path the data came by, tagged under the key the two share
 *    (confirm-tag.ts; the CONFIRM answering a checkpoint from an origin without that key carries the
 *    gateway's certificate).
 * 4. The origin drops confirmed readings, on a CONFIRM whose tag checks only; readings left
 *    unconfirmed for `confirmAfterMs` are sent again. Custodians keep items in RAM only, so a
 *    custodian's crash costs at most a resend.
 * 5. An origin whose home gateway never confirms while its readings sent there are lost moves to
 *    another; the new home learns from the old one where delivery stopped before it delivers
 *    (gateway-handover.ts). Entries that still reach the old home go on to the new one.
 * 6. An origin whose store would overwrite unconfirmed readings lends them first to a neighbor, which
 *    keeps them in its storage and carries them on like its own (ReplicaStore).
 * 7. A gateway holding an origin's entries past a gap pulls the gap: its CONFIRM names the lowest seq
 *    held, and every node on the way back holding the missing ones (the origin, custodians, lenders)
 *    sends them at once rather than at its next resend.
 * Every few entries the origin also sends a feed checkpoint (with its certificate, so a gateway that
 * never met it can check the signature).
 */
import { equalBytes, readU32, toHex, writeU32 } from "../bytes.js";
import { DropReason } from "../counters.js";
import type { MeshEvent } from "../events.js";
import { feedEntryLength } from "../feed/feed-entry.js";
import { FeedLog } from "../feed/feed-log.js";
import { FeedVerifier, type FeedOutcome } from "../feed/feed-verifier.js";
import { CHUNK_ENTRIES, UnsentStore } from "../feed/unsent-store.js";
import { publicKeyOf } from "../identity/node-id.js";
import type { Crypto, Storage } from "../ports.js";
import { checkpointCertificate, checkpointKeyed, checkpointOf, encodeCheckpointPayload, setCheckpointKeyed } from "../wire/checkpoint-payload.js";
import {
  confirmCertificate, confirmGateway, confirmPreviousTop, confirmPull, confirmReveal, confirmTag, CONFIRM_BYTES, CONFIRM_CERTIFIED_BYTES, encodeConfirm,
  encodeOriginConfirm, originConfirmPull, RECEIPT_KEY_BYTES,
} from "../wire/confirm.js";
import {
  ackItem, checkAck, COMMITMENT_AT, COMMITMENT_BYTES, DataKind, encodeAck, encodeData, ENTRY_HEAD_BYTES, LEND_HOME_BYTES, MAX_ACKS, MAX_DATA_HOPS, type DataView,
} from "../wire/data.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { checkHandover, notice, NOTICE_BYTES, NoticeType } from "../wire/handover.js";
import { RecordType } from "../wire/records.js";
import { checkConfirmTag, confirmTagOf, derivePairKey } from "./confirm-tag.js";
import { CustodyPromises } from "./custody-promises.js";
import { CustodyQueue } from "./custody-queue.js";
import { ReverseRoutes } from "./reverse-routes.js";
import { GatewayHandover } from "./gateway-handover.js";
import { Handoffs } from "./handoffs.js";
import { GatewayCertificates } from "./gateway-certificates.js";
import { PairKeys } from "./pair-keys.js";
import { checkable, epochOf, epochTopKey, opens, receiptCommitment, receiptKeyOf, uncommitted } from "./receipt-chain.js";
import { ReplicaStore } from "./replica-store.js";
import { Behavior } from "../reputation/peer-scores.js";

/**
 * What store-and-forward needs from its node: the MeshNode itself (methods on its prototype cost
 * the board's heap nothing per node, where a closure each costs some 240 B).
 */
export interface ForwardContext {
  readonly id: Uint8Array;
  readonly isGateway: boolean;
  /** Slot of the next hop toward gateway `destination`; -1 without a route. */
  nextHopToward(destination: Uint8Array): number;
  /** Slot of the next hop toward any node; -1 without a route (then one is being discovered). */
  nextHopToNode(destination: Uint8Array, now: number): number;
  /** A message for this node arrived from neighbor `slot` (each (origin, seq) may arrive more than once). */
  onDirectMessage(origin: Uint8Array, seq: number, payload: Uint8Array, hops: number, slot: number): void;
  /** A message was dropped: no route to its destination was found in time. */
  messageUnroutable(): void;
  /** `target`'s ack of our command `seq` arrived (unchecked: payload per command/command-ack.ts). */
  onCommandAck(target: Uint8Array, seq: number, payload: Uint8Array, now: number): void;
  /** Whether `id` is on the revocation list this node holds. */
  isRevoked(id: Uint8Array): boolean;
  /** Id of the nearest gateway we have a route to (other than `except`); null without one. */
  nearestGatewayId(except?: Uint8Array | null): Uint8Array | null;
  /** Id of the nearest gateway other than `except` routed through a next hop we trust; null without one. */
  trustedGatewayId(except: Uint8Array, now: number): Uint8Array | null;
  /** Whether the neighbor in `slot` lost too many of the readings it took from us (a next hop of last resort). */
  distrusted(slot: number, now: number): boolean;
  /** Gateways: signs HANDOVER notices and gossips them to the other gateways (GOSSIP kind 5, forward/handover-message.ts). */
  broadcastHandover(payload: Uint8Array, now: number): void;
  /** Whether a neighbor occupies `slot` (reverse routes outlive neighbors). */
  hasNeighbor(slot: number): boolean;
  /** The slot of the k-th neighbor (k modulo their number) that may keep readings for us; -1 with none. */
  lenderSlot(k: number): number;
  /** The id of the neighbor in `slot` (a view), or null. */
  neighborId(slot: number): Uint8Array | null;
  /** The slot of neighbor `id`; -1 if it is not one. */
  slotOf(id: Uint8Array): number;
  /** Counts a record dropped for `reason`. */
  drop(reason: WireError | DropReason): void;
  /** Queues a record for a frame addressed to the neighbor in `slot`. */
  sendTo(slot: number, type: RecordType, body: Uint8Array): void;
  emit(event: MeshEvent): void;
  /** Counts an own reading sent again. */
  readingResent(): void;
  /** Holds what the neighbor in `slot` (if any) did against its reputation. */
  judge(slot: number, behavior: Behavior, now: number): void;
  /** Gateways: a health report from `origin` (or our own) arrived. */
  onHealthReport(origin: Uint8Array, seq: number, report: Uint8Array): void;
  /** The origin's public key if `certificate` admits it (verified once, cached); null otherwise. */
  admitOrigin(origin: Uint8Array, certificate: Uint8Array, now: number): Uint8Array | null;
  /** The gateway's public key if `certificate` admits it as a gateway (verified once, cached); null otherwise. */
  admitGateway(gateway: Uint8Array, certificate: Uint8Array, now: number): Uint8Array | null;
  /** The public key of node `id` if its certificate is cached here; null otherwise. */
  knownPublicKey(id: Uint8Array): Uint8Array | null;
}

export interface ForwardConfig {
  custodyCapacity: number;
  unsentCapacity: number;
  /** Own readings handed on but unconfirmed this long are sent again. */
  confirmAfterMs: number;
  /** A feed checkpoint goes with every this many own readings… */
  checkpointEvery: number;
  /** …or this long after the first reading it would cover, whichever comes first. */
  checkpointAfterMs: number;
  /** Readings this node keeps in storage for its neighbors (a multiple of 8; 0: neither keeps nor lends any). */
  replicaCapacity: number;
  /** Origins: gateway certificates heard in gateways' gossip, kept for the one that becomes home. */
  gatewayCertificateCapacity: number;
}

const KEY_HOME = "fhome";
/** The home before the last change: entries name it, so the new home asks it where delivery stopped. */
const KEY_PREVIOUS_HOME = "fprev";
/** A home gateway out of reach this long is replaced by the nearest one. */
const HOME_SWITCH_MS = 15 * 60_000;
/**
 * A home routed to, that confirmed nothing since it was chosen (or nothing for HOME_QUIET_MS),
 * while this many own readings handed toward it since then were judged lost, is left for the
 * nearest gateway routed through a trusted next hop: the way to it runs through a hole, or it was
 * chosen on a hole's lie.
 */
const HOME_BROKEN = 3;
const HOME_QUIET_MS = 5 * 60_000;
/** A home never heard from since it was chosen is left as well once it has had no route this long. */
const HOME_UNHEARD_UNROUTED_MS = 60_000;
/** Sends due this soon join the frame going out now. */
const BATCH_MS = 500;
/** Retry period while no route exists. */
const NO_ROUTE_RETRY_MS = 2000;
/** A gateway confirms an origin at most this often (confirmations of one burst coalesce). */
const CONFIRM_DELAY_MS = 500;
/** A CONFIRM with no way back is dropped after this many tries: the origin resends, we confirm again. */
const CONFIRM_TRIES = 4;
/**
 * CONFIRM keys an origin keeps: its home's and the home before's are all it takes CONFIRMs from, and
 * two more spare a key agreement (about a second on the board) when it goes back to a recent home.
 */
const ORIGIN_PAIR_KEYS = 4;
/**
 * CONFIRM keys a gateway keeps, one per origin (48 B each); an origin forgotten is agreed with again
 * from its certificate, cached here or carried by its next checkpoint.
 */
const GATEWAY_PAIR_KEYS = 256;
/** A message still without a route after this many tries (2 s apart, sends included) is dropped. */
const MESSAGE_TRIES = 8;
/** Unanswered sends to one neighbor before each further one counts against it. */
const UNACKED_TRIES = 3;
const NO_HOME = new Uint8Array(NODE_ID_BYTES);
/** An uncommitted entry's commitment, and the previous top key a CONFIRM in epoch 0 reveals. */
const NO_COMMITMENT = new Uint8Array(COMMITMENT_BYTES);
const NO_KEY = new Uint8Array(RECEIPT_KEY_BYTES);

/** What a custodian makes of a CONFIRM passing through (receipt-chain.ts). */
const enum Receipt {
  /** It opens the commitment of an entry held here: the gateway sent it. */
  Checked,
  /** Nothing committed to it and checkable held here: carried on, but keeps no promise committed to it. */
  Unchecked,
  /** It fails to open the commitment it was checked against. */
  Forged,
}
/** A gossiped home certificate that was refused (no verify to spare, or a forgery) is tried again after this. */
const ADMIT_AGAIN_MS = 60_000;
/** Readings that this many more would overwrite unconfirmed are lent to a neighbor now. */
const LEND_AHEAD = 32;
/** While a gateway holds an origin's entries past a gap it pulls again this often… */
const PULL_EVERY_MS = 10_000;
/** …this many times (then each new delivery starts again). */
const PULL_TRIES = 12;

export class StoreAndForward {
  private readonly custody: CustodyQueue;
  /** Rows due in this tick (reused). */
  private readonly due: Uint16Array;
  /** Others' readings we handed on, until their CONFIRM comes back through us. */
  private readonly promises: CustodyPromises;
  private readonly feed: FeedLog;
  private readonly unsent: UnsentStore;
  private readonly verifier: FeedVerifier | null;
  private readonly reverse = new ReverseRoutes(64);
  /** When, and to which neighbor slot, each own unconfirmed reading was last handed on. */
  private readonly handoffs: Handoffs;
  private home: Uint8Array | null = null;
  private homeLostAt = Infinity;
  private previousHome: Uint8Array | null = null;
  /** When the home was chosen, and last confirmed progress (-Infinity: never since chosen). */
  private homeSince = 0;
  private homeHeardAt = -Infinity;
  /**
   * The first own reading taken since the home was chosen: another gateway's CONFIRM is the home's
   * progress only if it reaches it (earlier ones may come from the home before, still delivering what
   * was on its way); the home's own CONFIRM, named and tagged by it, always is (confirmed).
   */
  private homeFirstSeq = 0;
  /** Own readings handed toward the home since homeSince and judged lost since it last confirmed progress. */
  private homeBroken = 0;
  /**
   * Whether a CONFIRM of the home's own brought progress since it was chosen (or since boot). None at
   * all, and the home may never have had an entry of ours: it is not named to the next one (moveHome).
   */
  private homeConfirmed = false;
  /** Gateways: origins changing home to or from this one. */
  private readonly handover: GatewayHandover | null;
  /** CONFIRM keys shared with our gateways (on a gateway, with its origins): confirm-tag.ts. */
  private readonly pairKeys: PairKeys;
  /** Origins: gateways' certificates heard in their gossip, for the gateway that becomes home; null on a gateway. */
  private readonly gatewayCertificates: GatewayCertificates | null;
  /** Origins: a home's certificate refused (gatewayKey) is not tried again before this. */
  private admitAgainAt = -Infinity;
  /** Whether a checkpoint (with our certificate) went out since boot or the last home change. */
  private introduced = false;
  private sinceCheckpoint = 0;
  private checkpointDueAt = Infinity;
  private nextSweepAt = Infinity;
  /** Gateway: origins to confirm, and when; `certified`: the CONFIRM carries our certificate (it answers a checkpoint). */
  private readonly confirmAt = new Map<string, { origin: Uint8Array; at: number; pulls: number; certified: boolean }>();
  /** Storage lent to neighbors (null on gateways and with replicaCapacity 0). */
  private readonly replicas: ReplicaStore | null;
  private nextReplicaAt = Infinity;
  /** Own readings up to this seq are held by a lender too (lent; not kept through reboots). */
  private lentThrough = 0;
  /**
   * The highest own reading a lend was made for (made in order over the readings storage holds; RAM
   * only): one storage still holds up to it has its lend waiting in the queue, or ACKed (a lender keeps
   * it) above lentThrough while a lend below waits for its ACK.
   */
  private lentMade = 0;
  /** Own readings storage overwrote whose last copy we knew of (queued, or handed on) was given up since. */
  private givenUp = 0;
  /** Pulled for lent readings no longer held here: if still pulled then, no lender has them (it died). */
  private writeOffAt = Infinity;
  /** The start of the gap that wait began with: a gap pulled from higher up starts it again. */
  private writeOffFrom = 0;
  /** The neighbor that kept our last lend: the first asked for the next one (-1: none yet). */
  private lender = -1;
  /** Per chunk of the unsent store, the id of the neighbor that kept its last lend (zero: none): the one a pull of it is handed to. RAM only. */
  private readonly lentTo: Uint8Array;
  private readonly acks = new Map<number, { origin: Uint8Array; kind: DataKind; seq: number }[]>();
  private readonly outcomes: FeedOutcome[] = [];
  /**
   * nextDeadline's answer, NaN when it must be found again. It is asked after every input to the
   * node, most of which never reach this part; every public method here clears it first (its state
   * changes through them alone), so it is never stale.
   */
  private deadline = NaN;
  /** Counted: custody refused (queue full), items dropped at the hop limit, readings delivered here. */
  refused = 0;
  expired = 0;

  constructor(
    private readonly ctx: ForwardContext,
    private readonly crypto: Crypto,
    private readonly storage: Storage,
    private readonly secretKey: Uint8Array,
    private readonly certificate: Uint8Array,
    private readonly config: ForwardConfig,
  ) {
    this.custody = new CustodyQueue(config.custodyCapacity);
    this.due = new Uint16Array(config.custodyCapacity);
    this.promises = new CustodyPromises(2 * config.custodyCapacity, config.confirmAfterMs);
    this.feed = new FeedLog(crypto, storage, ctx.id, secretKey);
    this.unsent = new UnsentStore(storage, config.unsentCapacity);
    this.handoffs = new Handoffs(config.unsentCapacity);
    this.lentTo = new Uint8Array((config.unsentCapacity / CHUNK_ENTRIES) * NODE_ID_BYTES);
    this.verifier = ctx.isGateway ? new FeedVerifier(crypto, storage, 1024) : null;
    this.replicas = ctx.isGateway || config.replicaCapacity === 0 ? null : new ReplicaStore(storage, config.replicaCapacity);
    // The home gateway survives a reboot: picking another one would hand it readings the first
    // delivered but had not confirmed yet.
    const home = storage.get(KEY_HOME);
    if (home && home.length === 8) this.home = home;
    const previous = storage.get(KEY_PREVIOUS_HOME);
    if (previous && previous.length === NODE_ID_BYTES) this.previousHome = previous;
    this.handover = ctx.isGateway ? new GatewayHandover(storage) : null;
    this.pairKeys = new PairKeys(ctx.isGateway ? GATEWAY_PAIR_KEYS : ORIGIN_PAIR_KEYS);
    this.gatewayCertificates = ctx.isGateway ? null : new GatewayCertificates(config.gatewayCertificateCapacity);
  }

  /** Items held for the next hop (own and others'). */
  get custodySize(): number {
    return this.custody.size;
  }

  /** Readings stored here and not yet confirmed by a gateway. */
  get unconfirmed(): number {
    return this.unsent.size;
  }

  /** Readings held here for neighbors (lent storage). */
  get replicasHeld(): number {
    return this.replicas ? this.replicas.size : 0;
  }

  /**
   * Own readings overwritten before any gateway confirmed them or a neighbor took a replica, counted
   * once no copy of them is left that we know of (docs/protocol.md §Lending storage, step 5).
   */
  get readingsLost(): number {
    return this.unsent.lost + this.givenUp;
  }

  /** After boot: stored unconfirmed readings, and readings kept for neighbors, go out again as soon as a route allows. */
  start(now: number): void {
    this.deadline = NaN;
    // A home kept through a reboot is judged afresh.
    this.homeSince = now;
    this.homeHeardAt = now;
    if (this.unsent.size > 0) this.nextSweepAt = now;
    if (this.replicas && this.replicas.size > 0) this.nextReplicaAt = now;
  }

  publishReading(sensor: string, value: number, time: number, now: number): number {
    this.deadline = NaN;
    const { seq, bytes } = this.feed.append(sensor, value, time);
    if (this.verifier) {
      // A gateway's own readings are delivered where they are taken.
      this.verifier.offerEntry(toHex(this.ctx.id), this.ctx.id, bytes, seq, this.outcomes);
      this.report(now);
      return seq;
    }
    // A reading storage still holds up to lentMade had its lend made: waiting, or ACKed (lent). Not in
    // the lost run then: the base waits for its lender's copy.
    this.unsent.add(seq, bytes, Math.max(this.keptThrough(), this.lentMade), (overwritten) => this.onItsWay(overwritten));
    this.takeOwn(DataKind.Entry, seq, this.entryPayload(bytes), now);
    // Readings about to be overwritten are lent, unless confirmed meanwhile (in a mesh with a route, soon);
    // not again up to lentMade (lend()).
    if (this.replicas && this.unsent.doomedThrough(LEND_AHEAD) > this.lendsMadeThrough()) {
      this.nextSweepAt = Math.min(this.nextSweepAt, now + NO_ROUTE_RETRY_MS);
    }
    if (this.sinceCheckpoint++ === 0) this.checkpointDueAt = now + this.config.checkpointAfterMs;
    // A new home has most likely never had our certificate: a checkpoint takes it now (and, if we lack
    // the home's key, the CONFIRM answering it brings the home's), rather than after 16 readings or a
    // resend. Holding the home's key says nothing of that: it may come from the home's gossip.
    if (this.sinceCheckpoint >= this.config.checkpointEvery || !this.introduced) {
      this.queueCheckpoint(now);
    }
    return seq;
  }

  /**
   * Sends a health report (numbered `seq`) toward the home gateway; a gateway reports its own where
   * it is. Only the newest is worth carrying: an older one still held here is dropped.
   */
  publishHealth(report: Uint8Array, seq: number, now: number): void {
    this.deadline = NaN;
    if (this.verifier) return this.ctx.onHealthReport(this.ctx.id, seq, report);
    this.dropOlder(this.ctx.id, DataKind.Health, seq + 1);
    this.takeOwn(DataKind.Health, seq, report, now);
  }

  /** Sends an application message to node `destination`; false when own items fill their half of the queue. */
  sendMessage(destination: Uint8Array, seq: number, payload: Uint8Array, now: number): boolean {
    this.deadline = NaN;
    return this.ownRoom() && this.custody.add(this.ctx.id, destination, DataKind.Message, seq, 0, payload, now);
  }

  /**
   * Acks `destination`'s command `seq` (payload: command/command-ack.ts), routed like a message. One
   * held already is enough; with no room the origin's resend asks again.
   */
  sendCommandAck(destination: Uint8Array, seq: number, payload: Uint8Array, now: number): void {
    this.deadline = NaN;
    if (this.custody.find(this.ctx.id, DataKind.CommandAck, seq) < 0 && this.ownRoom()) {
      this.custody.add(this.ctx.id, destination, DataKind.CommandAck, seq, 0, payload, now);
    }
  }

  /** A route to `destination` was found: items waiting for one go at the next tick. */
  routeFound(destination: Uint8Array, now: number): void {
    this.deadline = NaN;
    for (let i = 0; i < this.custody.size; i++) {
      const row = this.custody.at(i);
      const to = this.custody.destination(row);
      if (to && equalBytes(to, destination) && this.custody.nextTryAt(row) > now) this.custody.unsent(row, now, false);
    }
  }

  /**
   * A DATA record from the neighbor in `from` not taken (its origin is revoked): dropped for
   * `reason`, and ACKed, so that a sender without the revocation list yet stops resending it (a
   * lend is ACKed only if kept).
   */
  refuse(d: DataView, from: number, reason: DropReason): void {
    this.ctx.drop(reason);
    if (d.kind === DataKind.Lend) return;
    this.deadline = NaN;
    this.ack(from, d);
  }

  /** Forgets the CONFIRM keys shared with the ids `drop` names (revoked ones): no CONFIRM of theirs is acted on again. */
  forgetKeys(drop: (id: Uint8Array) => boolean): void {
    this.pairKeys.forgetWhere(drop);
  }

  /** A DATA record from the neighbor in `from`; it passed checkData and checkDataHop (node.ts). */
  onData(d: DataView, from: number, now: number): void {
    this.deadline = NaN;
    const kind = d.kind;
    if (equalBytes(d.destination, this.ctx.id)) {
      // A lend is ACKed only if kept: a lender with no room stays silent and the origin asks another.
      if (kind === DataKind.Lend) return this.lent(d, from, now);
      // Another origin's CONFIRM addressed to us: that origin's own answer (sent once, not in custody).
      if (kind === DataKind.Confirm && !equalBytes(d.origin, this.ctx.id)) return this.originConfirmed(d, now);
      this.ack(from, d);
      if (kind === DataKind.Message) {
        this.ctx.onDirectMessage(d.origin, d.seq, d.payload, d.hops + 1, from);
      } else if (kind === DataKind.CommandAck) {
        this.ctx.onCommandAck(d.origin, d.seq, d.payload, now);
      } else if (kind === DataKind.Confirm) {
        if (equalBytes(d.origin, this.ctx.id) && this.authentic(d, now)) {
          this.confirmed(d.seq, confirmGateway(d.payload), now);
          if (!this.pullOf(d, now)) this.writeOffAt = Infinity;
          // The neighbor it came through may be keeping replicas for us: only our word drops them (in
          // the frame with the ACK).
          this.tellConfirmed(from);
        }
      } else if (kind === DataKind.Health) {
        if (this.verifier) this.ctx.onHealthReport(d.origin, d.seq, d.payload);
      } else if (this.verifier) {
        this.reverse.learn(d.origin, from, kind === DataKind.Entry ? d.seq : 0);
        this.deliver(d, kind, d.payload, now);
      }
      return;
    }
    // A CONFIRM failing its receipt is dropped, and ACKed: the sender may be an honest hop that could not check it.
    const receipt = kind === DataKind.Confirm ? this.receiptOf(d) : Receipt.Unchecked;
    if (receipt === Receipt.Forged) {
      this.ctx.drop(DropReason.BadConfirm);
      return this.ack(from, d);
    }
    const checked = receipt === Receipt.Checked;
    const held = this.custody.find(d.origin, kind, d.seq);
    if (held >= 0) {
      // The same CONFIRM with the gateway's certificate replaces one without: the origin may need it.
      // Not one checked here with one unchecked: that may be a forgery with a certificate attached.
      const replaces = kind === DataKind.Confirm && certified(d.payload) && !certified(this.custody.payload(held)) && (checked || !this.custody.checked(held));
      if (!replaces) return this.ack(from, d);
      this.custody.remove(held);
    }
    if (d.hops + 1 >= MAX_DATA_HOPS) {
      this.expired++;
      return this.ack(from, d);
    }
    if (kind === DataKind.Entry && equalBytes(d.origin, this.ctx.id) && this.unsent.holds(d.seq)) {
      // One of our readings handed back to us while storage still holds it (not one a lender carries
      // for us): the sweep sends it again now, made for our current home (as it is, made before a
      // home change, it would not name the old home, and the new one would deliver it at once: twice).
      this.handoffs.delete(d.seq);
      this.nextSweepAt = now;
      return this.ack(from, d);
    }
    if (kind === DataKind.Entry && equalBytes(d.origin, this.ctx.id) && d.seq <= this.unsent.confirmed) {
      // One of our readings a gateway confirmed, from a lender (or a late custodian) whose way to the
      // gateway runs through us: the CONFIRM ended here, so it never passes the sender. We answer for
      // our own readings: taken (ACK), and confirmed up to where we were.
      this.tellConfirmed(from);
      return this.ack(from, d);
    }
    if (kind === DataKind.Confirm || kind === DataKind.Health) {
      if (kind === DataKind.Confirm) {
        // Unchecked, not the promises of readings committed to this gateway's receipts (custody-promises.ts).
        this.promises.confirm(d.origin, d.seq, confirmGateway(d.payload), checked, (slot) => this.ctx.judge(slot, Behavior.KeptCustody, now));
        // A lender cannot tell a forged CONFIRM: it waits for the origin's word (originConfirmed), and
        // hands the origin a copy in person, so that the word comes back to it (the CONFIRM itself may
        // reach the origin through another neighbor).
        if (this.replicas?.defer(d.origin, d.seq, now)) {
          const borrower = this.ctx.slotOf(d.origin);
          if (borrower >= 0) this.ctx.sendTo(borrower, RecordType.Data, encodeData(d.origin, d.origin, kind, d.hops + 1, d.seq, d.payload));
        }
        this.pullOf(d, now);
      }
      // Only the newest confirmation (or health report) per origin is worth carrying; and an older
      // CONFIRM with the gateway's certificate, when the newer has none: without it the origin may
      // be unable to check any (it takes one on until then); and an older one checked here, when the
      // newer could not be checked: it may be forged.
      this.dropOlder(d.origin, kind, d.seq, kind === DataKind.Confirm && !certified(d.payload), kind === DataKind.Confirm && !checked);
    } else {
      this.reverse.learn(d.origin, from, kind === DataKind.Entry ? d.seq : 0);
    }
    // Others' items leave a quarter of the queue to our own: a custodian on a busy path still gets its
    // readings out (a CONFIRM, small and the end of a delivery, is always taken while there is room).
    const othersCap = this.custody.capacity - (this.custody.capacity >> 2);
    const room = kind === DataKind.Confirm || this.custody.size < othersCap || this.custody.size - this.ownCount() < othersCap;
    let taken = room && this.custody.add(d.origin, d.destination, kind, d.seq, d.hops + 1, d.payload, now);
    if (!taken && this.giveUpStale()) taken = this.custody.add(d.origin, d.destination, kind, d.seq, d.hops + 1, d.payload, now);
    if (taken && checked) this.custody.setChecked(this.custody.find(d.origin, kind, d.seq));
    if (taken) this.ack(from, d);
    else this.refused++;
  }

  /**
   * A custodian checks a gateway's CONFIRM against the committed reading of its origin, for its
   * gateway, that it holds (in the queue, or as a promise) with the highest seq it can check
   * (receipt-chain.ts): S − s hashes, and one for the commitment.
   */
  private receiptOf(d: DataView): Receipt {
    const gateway = confirmGateway(d.payload);
    let seq = -1;
    let commitment: Uint8Array = NO_COMMITMENT;
    const promise = this.promises.checkableBy(d.origin, gateway, d.seq);
    if (promise >= 0) {
      seq = this.promises.seq(promise);
      commitment = this.promises.commitment(promise);
    }
    const custody = this.custody;
    for (let i = 0; i < custody.size; i++) {
      const row = custody.at(i);
      const s = custody.seq(row);
      if (s <= seq || custody.kind(row) !== DataKind.Entry || !checkable(s, d.seq) || !custody.isFrom(row, d.origin)) continue;
      const to = custody.destination(row);
      const c = entryCommitment(custody.payload(row));
      if (to && equalBytes(to, gateway) && !uncommitted(c)) {
        seq = s;
        commitment = c;
      }
    }
    if (seq < 0) return Receipt.Unchecked;
    return opens(this.crypto, confirmReveal(d.payload), confirmPreviousTop(d.payload), d.seq, seq, commitment) ? Receipt.Checked : Receipt.Forged;
  }

  onAck(body: Uint8Array, from: number, now: number): void {
    this.deadline = NaN;
    if (checkAck(body) !== 0) return;
    for (let i = 0; i < body[0]; i++) {
      const { origin, kind, seq } = ackItem(body, i);
      const row = this.custody.acknowledged(from, origin, kind, seq);
      if (row >= 0 && kind === DataKind.Lend) {
        this.lender = from;
        const lender = this.ctx.neighborId(from);
        if (lender) this.lentTo.set(lender.subarray(0, NODE_ID_BYTES), this.lentAt(seq));
        if (seq === Math.max(this.lentThrough, this.unsent.confirmed) + 1) this.advanceLentThrough(seq);
      }
      if (row < 0 || kind !== DataKind.Entry) continue;
      if (equalBytes(origin, this.ctx.id)) {
        // Handed on: if no confirmation comes in time, the sweep sends it again. The row it takes
        // was an older reading's: one storage no longer holds is carried while its copy is on its way,
        // else given up.
        this.handoffs.set(seq, now, from, this.unsent.firstHeld, now - this.config.confirmAfterMs, (gone) => this.giveUp(gone));
        this.nextSweepAt = Math.min(this.nextSweepAt, now + this.config.confirmAfterMs);
      } else if (!this.isNeighbor(this.custody.destination(row), from) && !this.isNeighbor(origin, from)) {
        // The gateway the entry is for took it: nothing past it can drop it. Its CONFIRM goes back by
        // its own reverse route, or waits for a gap a hole made; neither says it broke a promise. Nor
        // the entry's origin: the CONFIRM ends there, and the origin answers for its own readings.
        this.promises.made(origin, seq, this.custody.destination(row)!, entryCommitment(this.custody.payload(row)), from, now);
      }
    }
  }

  /** Whether `id` is the neighbor in `slot`. */
  private isNeighbor(id: Uint8Array | null, slot: number): boolean {
    const at = this.ctx.neighborId(slot);
    return id !== null && at !== null && equalBytes(id, at);
  }

  tick(now: number): void {
    this.deadline = NaN;
    // Lost readings count against a home still routed to: one cut off by a partition is not behind a hole
    // (and could not answer the new home's claim).
    const routed = this.homeLostAt === Infinity;
    if ((this.homeBroken >= HOME_BROKEN && routed) || (this.homeHeardAt === -Infinity && now - this.homeLostAt >= HOME_UNHEARD_UNROUTED_MS)) this.leaveHome(now);
    // Checked here, not as an entry is sent: the entries waiting are made again, naming the home left.
    // A revoked home is gone for good (its frames are refused, no route leads to it): left at once.
    if (now - this.homeLostAt >= HOME_SWITCH_MS || (this.home && this.ctx.isRevoked(this.home))) this.switchUnreachableHome(now);
    if (now >= this.nextSweepAt) this.sweep(now);
    if (now >= this.nextReplicaAt) this.forwardReplicas(now);
    // Custody taken of others' readings and never honoured: the next hop is a hole, or leads to one.
    // Asked only when one may be due: the callback is an allocation, and most ticks are a relay's.
    if (now >= this.promises.deadline) this.promises.expire(now, (slot) => this.ctx.judge(slot, Behavior.BrokenCustody, now));
    if (now >= this.checkpointDueAt) this.queueCheckpoint(now);
    if (this.confirmAt.size > 0) this.sendConfirmations(now);
    if (this.handover) {
      // The batch due goes first: what a full one left out is asked in the next.
      const notices = this.handover.takeNotices(now);
      if (notices) this.ctx.broadcastHandover(notices, now);
      this.handover.due(now, (gateway) => this.ctx.nextHopToward(gateway) < 0, (origin, successor) => (successor ? this.answerClaimer(origin, successor, 0, false, now) : this.takeOver(origin, 0, now)));
    }
    // Items due within the batching window go now too: one frame carries them, not one each. A send
    // may remove its item, so the due rows are listed first.
    const due = this.due;
    let count = 0;
    for (let i = 0; i < this.custody.size; i++) {
      const row = this.custody.at(i);
      if (this.custody.nextTryAt(row) <= now + BATCH_MS) due[count++] = row;
    }
    for (let i = 0; i < count; i++) this.send(due[i], now);
    this.flushAcks();
  }

  /** Confirmations whose delay ended join the custody queue. */
  private sendConfirmations(now: number): void {
    for (const [originHex, c] of this.confirmAt) {
      if (now < c.at) continue;
      this.confirmAt.delete(originHex);
      // Held while its old home is asked where delivery stopped: confirmed once taken over.
      if (this.handover!.claiming(c.origin)) continue;
      // An origin whose certificate we lack cannot be confirmed: it sends again, with a checkpoint.
      const key = this.originKey(c.origin, null);
      if (!key) continue;
      const seq = this.verifier!.deliveredSeq(originHex);
      // Entries held past a gap: the CONFIRM pulls the gap, again every PULL_EVERY_MS while it lasts.
      const held = this.verifier!.heldPast(originHex);
      const pull = seq > 0 && held > seq ? held : 0;
      let queued = seq > 0 ? this.custody.find(c.origin, DataKind.Confirm, seq) : -1;
      // One with our certificate replaces the same CONFIRM waiting without it.
      if (queued >= 0 && c.certified && !certified(this.custody.payload(queued))) {
        this.custody.remove(queued);
        queued = -1;
      }
      if (seq > 0 && queued < 0 && !this.custody.full) {
        const tag = confirmTagOf(this.crypto, key, this.ctx.id, c.origin, seq, pull);
        // The receipt: keys of everything up to seq, delivered (receipt-chain.ts; ≤ 35 SHA-512s).
        const epoch = epochOf(seq);
        const previousTop = epoch > 0 ? epochTopKey(this.crypto, key, epoch - 1) : NO_KEY;
        const payload = encodeConfirm(this.ctx.id, pull, tag, receiptKeyOf(this.crypto, key, seq), previousTop, c.certified ? this.certificate : null);
        this.custody.add(c.origin, c.origin, DataKind.Confirm, seq, 0, payload, now);
      }
      if (pull && c.pulls < PULL_TRIES) this.confirmAt.set(originHex, { origin: c.origin, at: now + PULL_EVERY_MS, pulls: c.pulls + 1, certified: false });
    }
  }

  /** ACKs owed are sent with whatever else goes out now. */
  flushAcks(): void {
    this.deadline = NaN;
    if (this.acks.size === 0) return;
    for (const [slot, items] of this.acks) {
      for (let i = 0; i < items.length; i += MAX_ACKS) this.ctx.sendTo(slot, RecordType.Ack, encodeAck(items.slice(i, i + MAX_ACKS)));
    }
    this.acks.clear();
  }

  nextDeadline(): number {
    if (this.deadline === this.deadline) return this.deadline;
    let t = Math.min(this.custody.nextDeadline(), this.nextSweepAt, this.nextReplicaAt, this.checkpointDueAt, this.promises.deadline);
    if (this.handover) t = Math.min(t, this.handover.deadline);
    if (this.confirmAt.size > 0) for (const c of this.confirmAt.values()) if (c.at < t) t = c.at;
    this.deadline = t;
    return t;
  }

  private ack(slot: number, d: DataView): void {
    let list = this.acks.get(slot);
    if (!list) this.acks.set(slot, (list = []));
    if (!list.some((a) => a.seq === d.seq && a.kind === d.kind && equalBytes(a.origin, d.origin))) {
      list.push({ origin: d.origin.slice(), kind: d.kind, seq: d.seq });
    }
  }

  private deliver(d: DataView, kind: DataKind, payload: Uint8Array, now: number): void {
    const verifier = this.verifier!;
    const origin = d.origin;
    const originHex = toHex(origin);
    if (kind === DataKind.Entry && payload.length > ENTRY_HEAD_BYTES) {
      // base ‖ commitment ‖ entry ‖ the origin's previous home, once it changed home.
      const end = ENTRY_HEAD_BYTES + feedEntryLength(payload, ENTRY_HEAD_BYTES);
      const named = end > ENTRY_HEAD_BYTES && payload.length === end + NODE_ID_BYTES ? payload.subarray(end) : null;
      const onward = this.handover!.releasedTo(origin);
      if (onward && d.seq > verifier.position(originHex, origin)) this.forwardLate(origin, onward, d.seq, d.hops, payload, now);
      if (!this.accepts(origin, originHex, named, onward, now)) return;
      verifier.offerEntry(originHex, origin, payload.subarray(ENTRY_HEAD_BYTES, named ? end : payload.length), readU32(payload, 0), this.outcomes);
    } else if (this.handover!.isReleased(origin)) {
      return;
    }
    // A checkpoint's answer carries our certificate when the origin says it lacks our key (it never
    // had it, or lost it: a reboot, a key forgotten).
    let certify = false;
    if (kind === DataKind.Checkpoint) {
      const certificate = checkpointCertificate(payload);
      const publicKey = this.ctx.admitOrigin(origin, certificate, now);
      if (publicKey) verifier.offerCheckpoint(originHex, origin, publicKey, checkpointOf(payload), this.outcomes);
      certify = this.originKey(origin, certificate) !== null && !checkpointKeyed(payload);
    }
    this.report(now);
    const c = this.confirmAt.get(originHex);
    if (!c) this.confirmAt.set(originHex, { origin: origin.slice(), at: now + CONFIRM_DELAY_MS, pulls: 0, certified: certify });
    else {
      c.pulls = 0;
      if (certify) c.certified = true;
    }
  }

  /**
   * Gateways: the CONFIRM key shared with `origin`, if not kept agreed on from the public key of its
   * certificate (given, or cached here); null without one. The owner's signature is not needed for
   * this (nor waited for: the verify budget may hold it back for minutes after a partition heals):
   * the origin's id is its key's hash, so a key that hashes to it is the origin's, and only the
   * origin can agree on the pair key with us.
   */
  private originKey(origin: Uint8Array, certificate: Uint8Array | null): Uint8Array | null {
    const kept = this.pairKeys.get(origin);
    if (kept) return kept;
    const known = certificate ? publicKeyOf(this.crypto, origin, certificate) : this.ctx.knownPublicKey(origin);
    const key = known && derivePairKey(this.crypto, this.secretKey, known);
    if (key) this.pairKeys.put(origin, key);
    return key;
  }

  /**
   * Whether the gateway a CONFIRM for us names sent it: its tag checks under the key we share (a wrong
   * one is dropped and counted). The key is agreed on from the certificate a CONFIRM carries, for our
   * home or the home before only: a forger naming other gateways buys no key agreements. Without a
   * key the CONFIRM is not acted on: our readings stay, go again, and the checkpoint sent with them
   * brings a CONFIRM with the gateway's certificate.
   */
  private authentic(d: DataView, now: number): boolean {
    const gateway = confirmGateway(d.payload);
    let key = this.gatewayKey(gateway, now);
    const certificate = confirmCertificate(d.payload);
    if (!key && certificate && this.isHomeOrPrevious(gateway)) {
      const publicKey = this.ctx.admitGateway(gateway, certificate, now);
      key = publicKey && derivePairKey(this.crypto, this.secretKey, publicKey);
      if (key) this.pairKeys.put(gateway, key);
    }
    if (!key) return false;
    if (checkConfirmTag(this.crypto, key, gateway, this.ctx.id, d.seq, confirmPull(d.payload), confirmTag(d.payload))) return true;
    this.ctx.drop(DropReason.BadConfirm);
    return false;
  }

  /**
   * A gateway's certificate heard in its gossip (GOSSIP kind 7), which came `hops` hops; the node checked
   * it is a gateway's whose key hashes to `gateway`: kept, unverified, in case the gateway becomes our home.
   */
  onGatewayCertificate(gateway: Uint8Array, certificate: Uint8Array, hops: number): void {
    this.gatewayCertificates?.put(gateway, certificate, hops, this.home, this.previousHome);
  }

  /**
   * Origins: the CONFIRM key shared with `gateway` if kept or, for our home or the home before only,
   * agreed on (one X25519, ~0.5 s on the board) from its certificate heard in its gossip, admitted
   * first (its owner signature checked once, by the certificate cache); null otherwise: our entries go
   * uncommitted, and the CONFIRM answering our checkpoint brings the home's certificate. Only homes:
   * gossip from every gateway must not buy a key agreement each.
   */
  private gatewayKey(gateway: Uint8Array, now: number): Uint8Array | null {
    const kept = this.pairKeys.get(gateway);
    const heard = kept || !this.isHomeOrPrevious(gateway) || now < this.admitAgainAt ? null : this.gatewayCertificates!.get(gateway);
    if (!heard) return kept;
    const publicKey = this.ctx.admitGateway(gateway, heard, now);
    // Refused: no verify to spare now, or a forgery (the genuine certificate replaces it when its gossip
    // comes again). Tried again a while later, not at every send: a forgery costs a verify a minute at most.
    if (!publicKey) {
      this.admitAgainAt = now + ADMIT_AGAIN_MS;
      return null;
    }
    const key = derivePairKey(this.crypto, this.secretKey, publicKey);
    if (key) this.pairKeys.put(gateway, key);
    return key;
  }

  private isHomeOrPrevious(gateway: Uint8Array): boolean {
    return (this.home !== null && equalBytes(gateway, this.home)) || (this.previousHome !== null && equalBytes(gateway, this.previousHome));
  }

  /**
   * An entry of an origin released from here to gateway `to`, never delivered here: it goes on to
   * `to`, in custody like any DATA, and joins the delivery there, which started where ours stopped. A
   * lent reading made before the origin moved names no home (or one from before ours), and no gateway
   * after us can get it from anywhere else: dropped, or held by a claim that nobody down the chain
   * answered, it was lost. Released in turn, `to` passes it on; the hop limit bounds a
   * round between gateways released to each other, and its lender or origin sends it again.
   */
  private forwardLate(origin: Uint8Array, to: Uint8Array, seq: number, hops: number, payload: Uint8Array, now: number): void {
    if (hops + 1 >= MAX_DATA_HOPS) return void this.expired++;
    if (this.custody.find(origin, DataKind.Entry, seq) >= 0) return;
    // Its commitment is to our receipts, not `to`'s: uncommitted from here, or custodians on the way would refuse `to`'s CONFIRMs.
    const late = payload.slice();
    late.fill(0, COMMITMENT_AT, ENTRY_HEAD_BYTES);
    if (!this.custody.add(origin, to, DataKind.Entry, seq, hops + 1, late, now)) this.refused++;
  }

  /** A neighbor asks us to keep one of its readings: kept (and ACKed) if our lending quota allows. */
  private lent(d: DataView, from: number, now: number): void {
    const entry = d.payload.subarray(LEND_HOME_BYTES);
    if (this.verifier) {
      // A gateway keeps nothing for later: it delivers.
      this.ack(from, d);
      this.reverse.learn(d.origin, from, d.seq);
      return this.deliver(d, DataKind.Entry, entry, now);
    }
    if (!this.replicas || !this.replicas.add(d.origin, d.payload.subarray(0, LEND_HOME_BYTES), d.seq, entry, now)) return;
    this.ack(from, d);
    this.reverse.learn(d.origin, from, d.seq);
    this.nextReplicaAt = Math.min(this.nextReplicaAt, now);
  }

  /**
   * Tells the neighbor in `slot` that a gateway confirmed our readings up to where we are: our own
   * CONFIRM, once, outside the queue; with `pull` (> confirmed), that the gateway misses them below it.
   */
  private tellConfirmed(slot: number, pull = 0): void {
    const neighbor = this.ctx.neighborId(slot);
    if (neighbor) this.ctx.sendTo(slot, RecordType.Data, encodeData(this.ctx.id, neighbor, DataKind.Confirm, 0, this.unsent.confirmed, encodeOriginConfirm(pull)));
  }

  /**
   * An origin tells us, its lender, that a gateway confirmed its readings up to `d.seq`: the replicas
   * we keep of them go; and, with a pull, that the gateway misses the ones up to it: they go now,
   * first. Only the origin's own word counts (checkDataHop: from the origin in person): a hole cannot
   * release anyone else's, nor forge the gateway's CONFIRM to the origin (it checks the tag).
   */
  private originConfirmed(d: DataView, now: number): void {
    this.replicas?.confirm(d.origin, d.seq);
    const pull = originConfirmPull(d.payload);
    if (pull > 0) this.pulled(d.origin, d.seq + 1, pull - 1, now);
  }

  /** A gateway's CONFIRM that pulls (naming the lowest seq held past the gap) makes the gap go now; false for a plain one. */
  private pullOf(d: DataView, now: number): boolean {
    const pull = d.payload.length >= CONFIRM_BYTES ? confirmPull(d.payload) : 0;
    if (pull === 0) return false;
    this.pulled(d.origin, d.seq + 1, pull - 1, now);
    return true;
  }

  /** A gateway misses `origin`'s seqs `from`..`to`: whatever of them is held here goes now. */
  private pulled(origin: Uint8Array, from: number, to: number, now: number): void {
    const own = equalBytes(origin, this.ctx.id);
    for (let i = 0; i < this.custody.size; i++) {
      const row = this.custody.at(i);
      const seq = this.custody.seq(row);
      if (this.custody.kind(row) === DataKind.Entry && seq >= from && seq <= to && this.custody.nextTryAt(row) > now && this.custody.isFrom(row, origin)) {
        this.custody.unsent(row, now, false);
      }
    }
    if (own) {
      // Those storage holds go again now. One it no longer holds, handed on, stays handed on: a custodian
      // holds it (and the pull makes it send it now), and our entries' base waits for it confirmAfterMs;
      // forgotten, the base skipped it at once, and the gateway the copy that came after.
      for (let seq = from; seq <= to && seq - from < this.config.unsentCapacity; seq++) if (this.unsent.holds(seq)) this.handoffs.delete(seq);
      this.nextSweepAt = now;
      // Only lenders held the start of the gap. They resend within confirmAfterMs: a gap still pulled
      // after that was lost with a lender, and the base skips it. A gap starting higher than the one
      // the wait began with shows the lenders delivering (slowly, through loss): it waits afresh.
      if (from >= this.unsent.firstHeld) this.writeOffAt = Infinity;
      else if (this.writeOffAt === Infinity || from > this.writeOffFrom) {
        this.writeOffAt = now + this.config.confirmAfterMs;
        this.writeOffFrom = from;
      } else if (now >= this.writeOffAt) {
        const keptThrough = this.keptThrough();
        this.unsent.writeOff(to, (seq) => this.kept(seq, keptThrough));
      }
      if (from < this.unsent.firstHeld && now < this.writeOffAt) this.pullFromLenders(from, Math.min(to, this.unsent.firstHeld - 1));
    }
    if (this.replicas?.pull(origin, from, to)) this.nextReplicaAt = now;
  }

  /**
   * Hands a gateway's pull of our lent readings `from`..`to` to the neighbors that kept them, in
   * person: the CONFIRM need not pass them, and one that holds many readings may not resend these
   * before the write-off (30 nodes, seed 42, partition: a lender holding 128 readings of several
   * origins drained them for over a minute, and an origin wrote off its 6..16 while it held them).
   */
  private pullFromLenders(from: number, to: number): void {
    if (to <= this.unsent.confirmed) return;
    const chunks = this.lentTo.length / NODE_ID_BYTES;
    let told = -1;
    for (let seq = from - ((from - 1) % CHUNK_ENTRIES), n = 0; seq <= to && n < chunks; seq += CHUNK_ENTRIES, n++) {
      const at = this.lentAt(seq);
      const slot = this.ctx.slotOf(this.lentTo.subarray(at, at + NODE_ID_BYTES));
      if (slot >= 0 && slot !== told) this.tellConfirmed(slot, to + 1);
      told = slot;
    }
  }

  /** Offset in `lentTo` of the chunk holding own reading `seq`. */
  private lentAt(seq: number): number {
    return (Math.floor((seq - 1) / CHUNK_ENTRIES) % (this.lentTo.length / NODE_ID_BYTES)) * NODE_ID_BYTES;
  }

  /** Carries the readings kept for neighbors toward their gateways, again after `confirmAfterMs` without a CONFIRM. */
  private forwardReplicas(now: number): void {
    const replicas = this.replicas!;
    let stopped = false;
    replicas.due(now, this.config.confirmAfterMs, (origin, home, seq, payload, pulled) => {
      const to = equalBytes(home, NO_HOME) ? this.ctx.nearestGatewayId() : home;
      // Our copy still held, maybe for a home the origin has left since (its row re-homed,
      // ReplicaStore), goes to the row's home: left for the old one, maybe gone, it waited for good.
      // (A relayed copy, hops > 0, keeps the destination its sender gave it.)
      const held = this.custody.find(origin, DataKind.Entry, seq);
      if (held >= 0 && this.custody.hops(held) === 0 && !equalBytes(home, NO_HOME)) this.custody.setDestination(held, home);
      if (held >= 0) return true;
      // Relayed items keep half the queue, as against own items; a pulled one takes any free row: the
      // origin writes it off confirmAfterMs after the pull (30 nodes, seed 86, partition: lenders whose
      // queues held over half others' items sent two origins' pulled 6..16 only after their write-offs).
      const room = pulled || this.custody.size < this.custody.capacity / 2;
      stopped = !to || !room || !this.custody.add(origin, to, DataKind.Entry, seq, 0, payload, now);
      return !stopped;
    });
    this.nextReplicaAt = stopped ? now + NO_ROUTE_RETRY_MS : replicas.nextDue(this.config.confirmAfterMs);
  }

  /**
   * Whether this gateway takes `origin`'s entries. Not once it released the origin to another
   * gateway, nor while it claims the origin for a newer home. An entry naming a previous home starts
   * a claim (gateway-handover.ts), and the verifier holds the origin's entries until the answer:
   * from the gateway named, for an origin not taken over here; for one released here, from the
   * gateway it was released to, whatever the entry names. The origin came back, from that gateway
   * or from a later home down the chain, which only that gateway can follow; or the entry is a late
   * copy from an earlier stay, and the answer says how far the origin was delivered since.
   */
  private accepts(origin: Uint8Array, originHex: string, named: Uint8Array | null, releasedTo: Uint8Array | null, now: number): boolean {
    const handover = this.handover!;
    if (handover.claiming(origin)) return handover.successorOf(origin) === null;
    const oldHome = releasedTo ?? (named && !equalBytes(named, this.ctx.id) && !this.verifier!.tookOver(originHex) ? named : null);
    if (named && oldHome) {
      // A revoked old home never answers a claim (its frames are refused): delivery starts here, from
      // the entries' base, as for a feed met for the first time.
      if (!releasedTo && this.ctx.isRevoked(oldHome)) return true;
      // Too many claims under way: the origin sends the entry again later.
      if (!handover.claim(origin, oldHome, now)) return false;
      this.verifier!.hold(originHex, origin);
      return true;
    }
    return !releasedTo;
  }

  /**
   * Gateways: another gateway's HANDOVER notices (wire/handover.ts), signed by `sender` (checked by the
   * node: forward/handover-message.ts). A RELEASE of ours: the origin
   * is released here and the claimer told how far it was delivered. A RELEASED for our claim: we
   * take the origin over from there, or pass the answer on to the claimer we asked for.
   */
  onHandover(sender: Uint8Array, payload: Uint8Array, now: number): void {
    this.deadline = NaN;
    const handover = this.handover;
    if (!handover || checkHandover(payload) !== WireError.None) return;
    for (let i = 0; i < payload.length / NOTICE_BYTES; i++) {
      const n = notice(payload, i);
      if (!equalBytes(n.gateway, this.ctx.id)) continue;
      if (n.type === NoticeType.Release) {
        // Released to another gateway before: delivery went on there, so we ask it, for the claimer
        // (too many claims under way: the claimer asks again). The claimer itself is answered at once.
        const onward = handover.releasedTo(n.origin);
        if (onward && !equalBytes(onward, sender) && !handover.claim(n.origin, onward, now)) continue;
        // Claiming it: where delivery stopped is known once the gateway we claim from answers
        // (answerClaimer); till then late entries still go on to the one we released the origin to.
        if (handover.passOn(n.origin, sender)) continue;
        handover.release(n.origin, sender);
        this.passAnswer(n.origin, sender, 0, now);
      } else {
        const successor = handover.successorOf(n.origin);
        if (!handover.answered(n.origin, sender)) continue;
        if (successor) this.answerClaimer(n.origin, successor, n.position, true, now);
        else this.takeOver(n.origin, n.position, now);
      }
    }
  }

  /**
   * Tells `claimer` that `origin` was delivered up to `position` or our own position, whichever is
   * farther; a position learned from another gateway is kept as ours, so a claimer asking again
   * (our answer lost) hears it again.
   */
  private passAnswer(origin: Uint8Array, claimer: Uint8Array, position: number, now: number): void {
    const originHex = toHex(origin);
    this.verifier!.skip(originHex, origin, position);
    this.handover!.notify(NoticeType.Released, origin, claimer, this.verifier!.position(originHex, origin), now);
  }

  /**
   * Our claim for `claimer` ended: answered by the gateway we asked (`answered`, with its `position`),
   * or given up. Answered, the origin is the claimer's from now on. Given up, a gateway we had already
   * released the origin to stays the one late entries go on to (forwardLate): it is the last home we
   * know of. Released to the claimer at its RELEASE, as we were, a claimer whose own claim down the
   * chain gave up still released and we were released to each other, the last home to neither, and
   * late entries went round between us to the hop limit.
   */
  private answerClaimer(origin: Uint8Array, claimer: Uint8Array, position: number, answered: boolean, now: number): void {
    if (answered || !this.handover!.isReleased(origin)) this.handover!.release(origin, claimer);
    this.passAnswer(origin, claimer, position, now);
  }

  /** The new home's side: `origin` is ours from after `position` (the old home's answer, or 0 when none came). */
  private takeOver(origin: Uint8Array, position: number, now: number): void {
    const originHex = toHex(origin);
    this.handover!.unrelease(origin);
    this.handover!.withdrawAnswers(origin);
    this.verifier!.resume(originHex, origin, position, this.outcomes);
    this.report(now);
    // Our first CONFIRM since the origin moved here carries our certificate: the checkpoint it
    // introduced itself with came while we claimed it, and went unanswered (sendConfirmations).
    // Without our key the origin acts on none of our CONFIRMs: it keeps its readings, and its lenders
    // theirs (only its word drops them), full, refusing the lends that would free its queue.
    const c = this.confirmAt.get(originHex);
    if (!c) this.confirmAt.set(originHex, { origin: origin.slice(), at: now + CONFIRM_DELAY_MS, pulls: 0, certified: true });
    else c.certified = true;
  }

  private report(_now: number): void {
    for (const o of this.outcomes) this.ctx.emit(o);
    this.outcomes.length = 0;
  }

  /** Acts on a CONFIRM of our readings up to `seq`, tagged by `gateway` (authentic: checked by the caller). */
  private confirmed(seq: number, gateway: Uint8Array, now: number): void {
    const progress = seq > this.unsent.confirmed;
    const byHome = this.home !== null && equalBytes(gateway, this.home);
    // Only the home's own CONFIRM says our entries reached it (so it claimed us from the home before):
    // the home before, confirming late what reached it, says nothing of this one. Taken for the home's,
    // it had 827 deliver reading 9 again at 1,000 nodes under stress, seed 2 (origin 315: 412 → 371 →
    // 827; 412 confirmed reading 8 after the move, no entry ever reached 371, and 371 was named).
    if (progress && byHome) this.homeConfirmed = true;
    // The home's own CONFIRM is its progress, whichever readings it covers: those taken before the move
    // are ours to deliver too. Counted only from homeFirstSeq, origins whose home confirmed those
    // readings left it 5 minutes on all the same (100 nodes, seed 3, black holes: 10 of the 11 moves
    // after 600 s, for no better way).
    if (progress && (byHome || seq >= this.homeFirstSeq)) {
      this.homeHeardAt = now;
      this.homeBroken = 0;
    }
    this.unsent.confirm(seq);
    this.handoffs.confirm(seq, (slot) => this.ctx.judge(slot, Behavior.KeptCustody, now));
    for (let i = this.custody.size - 1; i >= 0; i--) {
      const row = this.custody.at(i);
      const kind = this.custody.kind(row);
      if ((kind === DataKind.Entry || kind === DataKind.Checkpoint) && this.custody.seq(row) <= seq && this.custody.isFrom(row, this.ctx.id)) {
        this.custody.remove(row);
      }
    }
  }

  /**
   * A queue with no room for a relayed item gives up the others' item its next hops have left
   * unanswered longest, if for `confirmAfterMs` at least (true): by then its origin (or lender, or
   * gateway) has sent it again, so it only holds a slot. Two custodians full of each other's items
   * (flows to different gateways crossing) would otherwise wait on each other for good. Messages
   * are kept: nobody sends them again.
   */
  private giveUpStale(): boolean {
    const custody = this.custody;
    let stalest = -1;
    let longest = this.config.confirmAfterMs;
    for (let i = 0; i < custody.size; i++) {
      const row = custody.at(i);
      if (custody.kind(row) === DataKind.Message || custody.isFrom(row, this.ctx.id)) continue;
      const ms = custody.unansweredMs(row);
      if (ms >= longest) {
        stalest = row;
        longest = ms;
      }
    }
    if (stalest < 0) return false;
    custody.remove(stalest);
    return true;
  }

  /**
   * Drops items of `kind` from `origin` older than `seq` (but CONFIRMs carrying a certificate, with
   * `keepCertified`, and CONFIRMs checked here, with `keepChecked`).
   */
  private dropOlder(origin: Uint8Array, kind: DataKind, seq: number, keepCertified = false, keepChecked = false): void {
    const custody = this.custody;
    for (let i = custody.size - 1; i >= 0; i--) {
      const row = custody.at(i);
      if (custody.kind(row) !== kind || custody.seq(row) >= seq || !custody.isFrom(row, origin)) continue;
      if (!(keepCertified && certified(custody.payload(row))) && !(keepChecked && custody.checked(row))) {
        custody.remove(row);
      }
    }
  }

  /** Own items take at most half the custody queue: relayed items keep their room. */
  private takeOwn(kind: DataKind, seq: number, payload: Uint8Array, now: number): boolean {
    if (this.custody.find(this.ctx.id, kind, seq) >= 0) return true;
    if (this.ownRoom() && this.custody.add(this.ctx.id, null, kind, seq, 0, payload, now)) {
      return true;
    }
    // No room now: the sweep tries again soon.
    this.nextSweepAt = Math.min(this.nextSweepAt, now + NO_ROUTE_RETRY_MS);
    return false;
  }

  /**
   * The lend of `seq`, next after lentThrough, ACKed: lentThrough moves to it and on, up to lentMade,
   * over the lends ACKed out of order above it (no own Lend row left: one leaves the queue only ACKed,
   * or dropped, which lowers lentMade below it). Else entries of readings lent above a gap ACKed late
   * were kept as last copies, and a lent reading whose handoff lapsed counted lost. Not into a run
   * storage overwrote unlent (UnsentStore.unlent): lentMade rose past it with the lends made since, but
   * its readings were never lent; taken for lent, they were counted again by a write-off (test/changing-home,
   * an old home gone for good: 123..128), and an entry of one, its last copy, could give its row to a lend.
   */
  private advanceLentThrough(seq: number): void {
    this.lentThrough = seq;
    while (this.lentThrough < this.lentMade && this.custody.find(this.ctx.id, DataKind.Lend, this.lentThrough + 1) < 0 && !this.unsent.unlent(this.lentThrough + 1)) this.lentThrough++;
  }

  /**
   * Own readings up to this seq are held outside storage: lent, or in the lends waiting in the queue
   * (made in order). Storage overwriting one whose lend waits for a lender with room loses nothing;
   * counted lost, the base skipped it, and the gateway dropped the copy the lender carried later.
   */
  private keptThrough(): number {
    let kept = Math.max(this.lentThrough, this.unsent.confirmed);
    while (this.custody.find(this.ctx.id, DataKind.Lend, kept + 1) >= 0) kept++;
    return kept;
  }

  /**
   * Whether own reading `seq`, which storage no longer holds, is held outside it by a lend: lent (ACKed),
   * or its lend waiting in the queue. Up to keptThrough, in order; and up to lentMade outside the runs
   * storage overwrote unlent (UnsentStore.unlent): lends are made in order over the readings storage
   * holds, so one overwritten outside a run had its lend made, and with no lend of ours left in the queue
   * it was ACKed, out of order past a lend still unanswered. A run's readings were never lent, though the
   * lends made since took lentMade past them. Counted lost as their entries' copies were given up, lent
   * readings were delivered by their lenders; and a write-off of them did not count them.
   */
  private kept(seq: number, keptThrough = this.keptThrough()): boolean {
    return seq <= keptThrough || (seq <= this.lentMade && !this.unsent.unlent(seq));
  }

  /** Own readings up to this seq have had their lend made: ACKed (lent), or waiting in the queue. */
  private lendsMadeThrough(): number {
    return Math.max(this.lentThrough, this.lentMade);
  }

  /**
   * Whether a copy of own reading `seq` is on its way that we know of: an entry or lend of it queued,
   * or handed on (given up confirmAfterMs later, as entryBase stops waiting for it: sweep).
   */
  private onItsWay(seq: number): boolean {
    return this.handoffs.at(seq) >= 0 || this.custody.find(this.ctx.id, DataKind.Entry, seq) >= 0 || this.custody.find(this.ctx.id, DataKind.Lend, seq) >= 0;
  }

  /** The last copy we knew of own reading `seq`, which storage no longer holds, is gone from sight: lost, unless lent or still on its way. */
  private giveUp(seq: number): void {
    if (!this.kept(seq) && !this.onItsWay(seq)) this.givenUp++;
  }

  /**
   * The base our entries and lends carry: the store's, or lower while readings storage overwrote are
   * still on their way: entries of them waiting in the queue (no route for minutes), or handed on
   * within confirmAfterMs (in a custodian's queue: the next ones may overtake them). Counted lost, the
   * store's base skips them; above their seq, the gateway flags them malformed and drops them, and
   * the first entry with it makes the gateway skip the rest.
   */
  private entryBase(now: number): number {
    const custody = this.custody;
    const confirmed = this.unsent.confirmed;
    let base = this.handoffs.lowest(confirmed, this.unsent.base, now - this.config.confirmAfterMs);
    for (let i = 0; i < custody.size; i++) {
      const row = custody.at(i);
      const seq = custody.seq(row);
      if (seq < base && seq > confirmed && custody.kind(row) === DataKind.Entry && custody.hops(row) === 0 && custody.isFrom(row, this.ctx.id)) base = seq;
    }
    return base;
  }

  /**
   * Drops the newest own entry (or lend) from the queue whose reading storage still holds (the sweep,
   * or the next lend, makes it again) or a lender keeps; false if none. Of a reading storage overwrote
   * unlent, it is the last copy.
   */
  private dropNewestOwn(kind: DataKind.Entry | DataKind.Lend): boolean {
    for (let i = this.custody.size - 1; i >= 0; i--) {
      const row = this.custody.at(i);
      const seq = this.custody.seq(row);
      if (this.custody.kind(row) === kind && this.custody.isFrom(row, this.ctx.id) && (this.unsent.holds(seq) || seq <= this.lentThrough)) {
        this.custody.remove(row);
        // Lends are made again in order from the first without one: the ones past it may be ACKed, or not.
        if (kind === DataKind.Lend) this.lentMade = Math.min(this.lentMade, seq - 1);
        this.nextSweepAt = Math.min(this.nextSweepAt, this.custody.nextTryAt(row));
        return true;
      }
    }
    return false;
  }

  private ownRoom(): boolean {
    return this.ownCount() < this.custody.capacity / 2;
  }

  private ownCount(): number {
    let own = 0;
    for (let i = 0; i < this.custody.size; i++) if (this.custody.isFrom(this.custody.at(i), this.ctx.id)) own++;
    return own;
  }

  /**
   * Own readings go to one home gateway. It is kept through route losses shorter than
   * HOME_SWITCH_MS: switching sooner would send readings it delivered but could not yet confirm
   * to a second gateway, which would deliver them again.
   */
  private homeGateway(now: number): Uint8Array | null {
    if (this.home && this.ctx.nextHopToward(this.home) >= 0) {
      this.homeLostAt = Infinity;
      return this.home;
    }
    if (this.home && this.homeLostAt === Infinity) this.homeLostAt = now;
    if (!this.home) {
      const nearest = this.ctx.nearestGatewayId();
      if (nearest) this.setHome(nearest, now);
    }
    return this.home;
  }

  /**
   * A home out of reach for HOME_SWITCH_MS is left for the nearest gateway, named like a home left
   * for silence: it may have delivered readings whose CONFIRM never reached us. Switched unnamed, the
   * new home delivered them again (3 readings at 1,000 nodes under stress, seed 1: origin 746, 198's
   * CONFIRM of 4 to 6 lost, 847 delivered them again).
   */
  private switchUnreachableHome(now: number): void {
    const nearest = this.ctx.nearestGatewayId();
    if (!nearest) return;
    this.homeLostAt = Infinity;
    if (!equalBytes(nearest, this.home!)) this.moveHome(nearest, now);
  }

  /**
   * A home never heard from (or not for HOME_QUIET_MS) while HOME_BROKEN readings sent toward it
   * were lost, or never heard from and out of reach for HOME_UNHEARD_UNROUTED_MS, is left for the
   * nearest gateway behind a trusted next hop; when no next hop to another is trusted, for the
   * nearest other routed at all (route metrics rank distrusted next hops by their record). A home
   * out of reach holds every reading; one still routed, that lost them all that while, is reached
   * through holes alone, perhaps (every way out blamed for them): kept, it held them for good (at
   * 100 nodes, seed 3, black holes: origin 48, whose home was behind the holes only, delivered
   * nothing in 13 minutes, 7 readings lost; grey: 24, four origins). The entries name the old home
   * from then on, so the new one asks it where delivery stopped before it delivers, and no reading
   * is delivered twice (gateway-handover.ts).
   *
   * A home still routed is left for what its way lost, and for a different way: not while the way to
   * it starts at a next hop we trust, nor for a gateway routed through the same next hop. Blame moves
   * routes off the hops that lost readings, so the way to a home that lost them may just have moved
   * to one that lost none, and the readings sent again through it are the test; and the first hop is
   * all of the way the origin chooses. Left on either, origins swung between two homes every
   * HOME_QUIET_MS, each new one as silent as the last (100 nodes, seed 3, black holes, with gossiped
   * gateway certificates: origins 61 and 12 left G34, behind the holes alone, for G49, then G49 for
   * G34 again through the very next hop G49 was routed through, and lost 7 readings each).
   */
  private leaveHome(now: number): void {
    const home = this.home;
    // A new home is given HOME_QUIET_MS too: it may be holding our entries while it claims us.
    if (!home || now - this.homeHeardAt < HOME_QUIET_MS || now - this.homeSince < HOME_QUIET_MS) return;
    const hop = this.ctx.nextHopToward(home);
    if (hop >= 0 && !this.ctx.distrusted(hop, now)) return;
    const next = this.ctx.trustedGatewayId(home, now) ?? this.ctx.nearestGatewayId(home);
    if (!next || equalBytes(next, home) || (hop >= 0 && this.ctx.nextHopToward(next) === hop)) return;
    this.moveHome(next, now);
  }

  /** Our readings go to `next` from now on, naming the home left (gateway-handover.ts). */
  private moveHome(next: Uint8Array, now: number): void {
    const home = this.home!;
    // A home left with nothing confirmed since it was chosen may never have had an entry of ours, so
    // never claimed us from the home before it: asked, it would say it delivered nothing, and the new
    // home would deliver again what that one delivered unconfirmed. The home before is named on: it
    // knows where delivery stopped, or the gateway it released us to (this one, if it claimed us) does.
    if (this.homeConfirmed || !this.previousHome) {
      this.previousHome = home;
      this.storage.set(KEY_PREVIOUS_HOME, home);
    }
    this.setHome(next, now);
    this.introduced = false;
    // Entries waiting here were made without the old home's name: the sweep makes them again (not one
    // of a reading storage no longer holds: given up).
    for (let i = this.custody.size - 1; i >= 0; i--) {
      const row = this.custody.at(i);
      if (this.custody.kind(row) !== DataKind.Entry || !this.custody.isFrom(row, this.ctx.id)) continue;
      const seq = this.custody.seq(row);
      this.custody.remove(row);
      if (seq < this.unsent.firstHeld) this.giveUp(seq);
    }
    this.nextSweepAt = now;
  }

  private setHome(gateway: Uint8Array, now: number): void {
    this.storage.set(KEY_HOME, gateway);
    // The first home is every reading's; a later one, only of those taken from now on.
    this.homeFirstSeq = this.home ? this.feed.headSeq + 1 : 0;
    this.home = gateway;
    this.homeLostAt = Infinity;
    this.homeSince = now;
    this.homeHeardAt = -Infinity;
    this.homeBroken = 0;
    this.homeConfirmed = false;
  }

  /**
   * An own entry's DATA payload: base (u32) ‖ receipt commitment (both set when sent; a lend's stays
   * zero) ‖ entry ‖ the previous home, once there is one; after `before` bytes left for the caller (a
   * lend's home).
   */
  private entryPayload(entry: Uint8Array, before = 0): Uint8Array {
    const previous = this.previousHome;
    const out = new Uint8Array(before + ENTRY_HEAD_BYTES + entry.length + (previous ? NODE_ID_BYTES : 0));
    out.set(entry, before + ENTRY_HEAD_BYTES);
    if (previous) out.set(previous, before + ENTRY_HEAD_BYTES + entry.length);
    return out;
  }

  private queueCheckpoint(now: number): void {
    const checkpoint = this.feed.checkpoint();
    this.checkpointDueAt = Infinity;
    if (!checkpoint) return;
    this.sinceCheckpoint = 0;
    this.introduced = true;
    const payload = encodeCheckpointPayload(checkpoint, this.certificate);
    // Only the newest is worth carrying: it covers what the older ones did. It takes the place of an
    // own entry, or lend, waiting in the queue (that one is in storage: the sweep, or the next lend,
    // makes it again): it carries our certificate, and a gateway that lacks it confirms nothing.
    // Lends that full lenders refuse can hold every row: they keep replicas until our word, which
    // needs a CONFIRM we can check, which needs a checkpoint to bring the gateway's certificate.
    const seq = this.feed.headSeq;
    this.dropOlder(this.ctx.id, DataKind.Checkpoint, seq);
    if (this.custody.find(this.ctx.id, DataKind.Checkpoint, seq) < 0 && !this.ownRoom() && (this.dropNewestOwn(DataKind.Entry) || this.dropNewestOwn(DataKind.Lend))) {
      this.custody.add(this.ctx.id, null, DataKind.Checkpoint, seq, 0, payload, now);
    } else this.takeOwn(DataKind.Checkpoint, seq, payload, now);
  }

  /**
   * Lends a neighbor the own readings that LEND_AHEAD more would overwrite unconfirmed, oldest first:
   * home ‖ base ‖ entry (‖ previous home), as a DATA lend to the neighbor chosen when it leaves.
   */
  private lend(now: number): void {
    const through = this.unsent.doomedThrough(LEND_AHEAD);
    // Up to lentMade each lend waits in the queue or was ACKed: one ACKed past a lend still unanswered
    // (out of order) is not made again; made again at every sweep, they held the origin's half of the
    // queue, and its own entries never left.
    const made = this.lendsMadeThrough();
    if (through <= made) return;
    for (const { seq, bytes } of this.unsent.pending()) {
      if (seq > through) break;
      if (seq <= made || this.custody.find(this.ctx.id, DataKind.Lend, seq) >= 0) continue;
      // A lend goes before own entries waiting in the queue: they are in storage, the sweep takes them back.
      // So in a queue full of others' items too (a lender carrying replicas): else no lend gets a row.
      if ((!this.ownRoom() || this.custody.full) && !this.dropNewestOwn(DataKind.Entry)) {
        this.nextSweepAt = Math.min(this.nextSweepAt, now + NO_ROUTE_RETRY_MS);
        break;
      }
      // Named like an own entry: the new home holds it until the old one says how far it delivered.
      const payload = this.entryPayload(bytes, LEND_HOME_BYTES);
      payload.set(this.home ?? NO_HOME, 0);
      writeU32(payload, LEND_HOME_BYTES, this.entryBase(now));
      if (this.custody.add(this.ctx.id, null, DataKind.Lend, seq, 0, payload, now)) this.lentMade = Math.max(this.lentMade, seq);
    }
  }

  /** Sends again the own readings that were handed on but never confirmed, oldest first. */
  private sweep(now: number): void {
    this.nextSweepAt = Infinity;
    // One storage no longer holds, handed on confirmAfterMs ago, is given up (entryBase no longer waits for it).
    this.handoffs.lapse(this.unsent.firstHeld, now - this.config.confirmAfterMs, (seq) => this.giveUp(seq));
    if (this.replicas) this.lend(now);
    let resent = 0;
    for (const { seq, bytes } of this.unsent.pending()) {
      const handedAt = this.handoffs.at(seq);
      if (handedAt >= 0 && now - handedAt < this.config.confirmAfterMs) {
        this.nextSweepAt = Math.min(this.nextSweepAt, handedAt + this.config.confirmAfterMs);
        continue;
      }
      // Custody taken and never honoured: a black or grey hole, or a path through one.
      if (handedAt >= 0) {
        this.ctx.judge(this.handoffs.slot(seq), Behavior.BrokenCustody, now);
        if (handedAt >= this.homeSince) this.homeBroken++;
      }
      if (!this.takeOwn(DataKind.Entry, seq, this.entryPayload(bytes), now)) break;
      if (handedAt >= 0) this.ctx.readingResent();
      this.handoffs.delete(seq);
      resent++;
    }
    if (resent > 0) this.queueCheckpoint(now);
  }

  private send(row: number, now: number): void {
    const custody = this.custody;
    const kind = custody.kind(row);
    let slot = -1;
    if (kind === DataKind.Confirm) {
      const origin = custody.destination(row)!;
      slot = this.reverse.wayBack(origin, custody.seq(row), custody.lastSentTo(row) < 0);
      if (slot >= 0 && !this.ctx.hasNeighbor(slot)) slot = this.reverse.get(origin);
      if (slot >= 0 && !this.ctx.hasNeighbor(slot)) slot = -1;
      if (slot < 0 && custody.tries(row) >= CONFIRM_TRIES) return custody.remove(row);
    } else if (kind === DataKind.Lend) {
      // The neighbor that kept the last one first; each unanswered try asks the next (one with no room does not ACK).
      const tries = custody.tries(row);
      if (tries > 0 && custody.lastSentTo(row) === this.lender) this.lender = -1;
      slot = tries === 0 && this.lender >= 0 && this.ctx.hasNeighbor(this.lender) ? this.lender : this.ctx.lenderSlot(tries);
      const id = slot >= 0 ? this.ctx.neighborId(slot) : null;
      if (id) custody.setDestination(row, id);
      else slot = -1;
    } else if (kind === DataKind.Message || kind === DataKind.CommandAck) {
      slot = this.ctx.nextHopToNode(custody.destination(row)!, now);
      if (slot < 0 && custody.tries(row) >= MESSAGE_TRIES) {
        // A lost ack costs the command's origin a resend, answered with the ack again.
        if (kind === DataKind.Message) this.ctx.messageUnroutable();
        return custody.remove(row);
      }
    } else {
      // Our own items go to our current home, except one a gateway confirmed, handed back to us by a
      // late custodian (a checkpoint: such entries we answer, onData): made before a home change, it
      // does not name the old home, and the new one would deliver it again (1 reading twice at 1,000
      // nodes under stress, seed 1). It keeps the destination it came with, where it is a duplicate.
      if (custody.isFrom(row, this.ctx.id) && (custody.hops(row) === 0 || custody.seq(row) > this.unsent.confirmed)) {
        const home = this.homeGateway(now);
        if (home) custody.setDestination(row, home);
      }
      const destination = custody.destination(row);
      if (destination) slot = this.ctx.nextHopToward(destination);
    }
    if (slot < 0) return custody.unsent(row, now + NO_ROUTE_RETRY_MS, kind === DataKind.Confirm || kind === DataKind.Message || kind === DataKind.CommandAck);
    // Our own entries say, as they leave, from where a gateway that never met us should start.
    if (kind === DataKind.Entry && custody.hops(row) === 0 && custody.isFrom(row, this.ctx.id)) {
      writeU32(custody.payload(row), 0, this.entryBase(now));
    }
    // …and commit to the receipt of the gateway they go to, whose key we hold (else zero: unchecked on the
    // way), made here because the home may change while they wait: ≤ 34 SHA-512s (receipt-chain.ts).
    if (kind === DataKind.Entry && custody.isFrom(row, this.ctx.id)) {
      const key = this.gatewayKey(custody.destination(row)!, now);
      custody.payload(row).set(key ? receiptCommitment(this.crypto, key, custody.seq(row)) : NO_COMMITMENT, COMMITMENT_AT);
    }
    // …and our checkpoints whether we hold the key of the gateway they go to: if not, its answer
    // brings its certificate (a home change or a lost key since the checkpoint was made included).
    if (kind === DataKind.Checkpoint && custody.hops(row) === 0 && custody.isFrom(row, this.ctx.id)) {
      setCheckpointKeyed(custody.payload(row), this.gatewayKey(custody.destination(row)!, now) !== null);
    }
    // Sent to the same neighbor again and again without an ACK: it is not keeping its side.
    if (kind !== DataKind.Lend && custody.lastSentTo(row) === slot && custody.tries(row) >= UNACKED_TRIES) this.ctx.judge(slot, Behavior.Unacknowledged, now);
    this.ctx.sendTo(slot, RecordType.Data, custody.body(row).slice());
    custody.sent(row, slot, now);
  }
}

/** Whether a gateway's CONFIRM payload carries the gateway's certificate. */
function certified(payload: Uint8Array): boolean {
  return payload.length === CONFIRM_CERTIFIED_BYTES;
}

/** An entry payload's receipt commitment (a view); zeros for one too short to carry any. */
function entryCommitment(payload: Uint8Array): Uint8Array {
  return payload.length > ENTRY_HEAD_BYTES ? payload.subarray(COMMITMENT_AT, ENTRY_HEAD_BYTES) : NO_COMMITMENT;
}
