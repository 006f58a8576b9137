/**
 * MeshNode: one Hyphae node as a sans-I/O state machine.
 *
 * Inputs:  receive(frame, link, now) · tick(now) · publish(payload, now) · sendCommand(target, path, value, now)
 *          · injectRevocation(bytes, now)
 * Outputs: pollTransmit() frames for the link · pollEvent() events for the application
 * Time:    nextTimeout() is the next deadline; the host calls tick(now) then. `now` is integer ms
 *          from a monotonic clock and never goes backwards.
 *
 * A received frame goes through these steps, in order, and any failure drops the whole frame with a
 * counted reason before any state changes:
 *   0. before the open, from the clear header alone: header and network id; not our own; not a
 *      replay by every window its sender could be judged by; and, unless it comes from an admitted
 *      sender's bound link address (its row's, or its last accepted frame's), within the open budget
 *                                                  (wire/frame, link/replay-window, limits/open-budget)
 *   1. secretbox tag under the network key                           (link/frame-sealer)
 *   2. every record decoded and checked                              (wire/records, hello, gossip)
 *   3. sender admitted: a verified certificate, cached or carried in this frame's HELLO, not revoked,
 *      not expired                                                   (identity/*)
 *   4. (epoch, counter) fresh in the sender's replay window           (link/replay-window)
 * then its records are applied: a HELLO updates the neighbor table, each gossip message is
 * delivered once and perhaps scheduled for relay.
 */
import { equalAt, equalBytes, idHexAt, readU32, toHex, writeU32 } from "./bytes.js";
import { createNodeConfig, type NodeConfig } from "./config.js";
import { Counters, DropReason } from "./counters.js";
import type { MeshEvent, Transmit } from "./events.js";
import { AttributionTable, CheckpointWriter, decodeCheckpoint, messageDigest, verifyCheckpointSignature } from "./gossip/checkpoint.js";
import { applyCopy, expectedGain, likelyMissing, relayDelay, resetMiss, shouldRelay, wellLinked, WELL_LINKED_NEIGHBORS } from "./gossip/relay-policy.js";
import { RelayQueue } from "./gossip/relay-queue.js";
import { selectRelays, soleBridges, sparseNeighbors } from "./gossip/relay-selection.js";
import { listedPosition } from "./gossip/listed-keys.js";
import { listedKey, messageKey, RecentMessages } from "./gossip/recent-messages.js";
import { judgedFrom, judgedTo, listedSince, missingForgottenBefore, missingJudgedFrom, ownJudgedFrom } from "./gossip/repair-window.js";
import { SeenCache } from "./gossip/seen-cache.js";
import { CertificateCache } from "./identity/certificate-cache.js";
import { CertificateSlots } from "./identity/certificate-slots.js";
import { checkCertificate, CertificateStatus, decodeCertificate, Role } from "./identity/certificate.js";
import { nodeIdOf } from "./identity/node-id.js";
import { isRevoked, ownerIdOf, decodeRevocationList, verifyRevocationList, type RevocationList } from "./identity/revocation.js";
import { FrameSealer } from "./link/frame-sealer.js";
import { ReplayWindows } from "./link/replay-window.js";
import { ReplayFloors } from "./link/replay-floors.js";
import { popcount16, toQualityByte } from "./neighbors/link-quality.js";
import { idKey, NeighborTable, type Neighbor } from "./neighbors/neighbor-table.js";
import { unitFloat, type Crypto, type Random, type Storage } from "./ports.js";
import { WireError } from "./wire/errors.js";
import { MAX_PAYLOAD_BYTES, newFrameHeader, NODE_ID_BYTES } from "./wire/frame.js";
import { checkGossipAt, decodeGossip, encodeGossip, GOSSIP_HOPS_OFFSET, GOSSIP_KIND_OFFSET, GOSSIP_SEQ_OFFSET, GossipKind, newGossipView, type GossipView } from "./wire/gossip.js";
import { decodeHello, encodeHello, helloNeighborQuality, MAX_RECENT_KEYS, newHelloView, type HelloNeighbor, type HelloView } from "./wire/hello.js";
import { decodeRoute, encodeRoute, INFINITE_METRIC, MAX_ROUTE_ENTRIES, newRouteView, type RouteEntry } from "./wire/route.js";
import { RouteTable, seqnoNewer, type Route } from "./routing/route-table.js";
import { RouteDiscovery, type DiscoveryContext } from "./routing/route-discovery.js";
import type { NodeRoute } from "./routing/node-routes.js";
import { StoreAndForward, type ForwardContext } from "./forward/store-and-forward.js";
import { decodeHealthReport, MAX_REPORT_NEIGHBORS, type HealthNeighbor } from "./monitor/health-report.js";
import { NodeMonitor, type MonitorContext } from "./monitor/node-monitor.js";
import { OpenBudget } from "./limits/open-budget.js";
import { OriginLimiter } from "./limits/origin-limiter.js";
import { typedArrays } from "./typed-arrays.js";
import { resetIn, takeFrom, TokenBucket } from "./limits/token-bucket.js";
import { EclipseWatch } from "./reputation/eclipse-watch.js";
import { CustodyTrust } from "./reputation/custody-trust.js";
import { DroppedStanding } from "./reputation/dropped-standing.js";
import { Behavior, IGNORE_BELOW, PeerScores } from "./reputation/peer-scores.js";
import { RelayWatch } from "./reputation/relay-watch.js";
import { CommandInbox } from "./command/command-inbox.js";
import { checkCommandFields, commandPathText, encodeCommand, encodeCommandResend, isCommandFor, RESEND_SEQ_BYTES, resentCommandSeq,
  verifyCommandSignature } from "./command/command-message.js";
import { commandAckCertificate, encodeCommandAck, verifyCommandAck } from "./command/command-ack.js";
import { CommandOutbox, type PendingCommand } from "./command/command-outbox.js";
import { CommandOutboxStore } from "./command/command-outbox-store.js";
import { HandoverFloors } from "./forward/handover-floors.js";
import { decodeHandover, encodeHandover, handoverNames, verifyHandoverSignature } from "./forward/handover-message.js";
import { checkAck, checkData, checkDataHop, decodeData, MAX_DATA_PAYLOAD, newDataView } from "./wire/data.js";
import { MAX_RECORDS, parseRecordSpans, RECORD_HEADER_BYTES, RecordSpans, RecordType, writeRecord, type RecordView } from "./wire/records.js";
import { createContentConfig, type ContentConfig } from "./content/content-config.js";
import { ContentKind, type ManifestStatus } from "./content/content-manifest.js";
import type { ContentStore } from "./content/content-store.js";
import { ContentSwarm, type ContentContext } from "./content/content-swarm.js";
import { checkRequest, decodeHave, decodePiece, newHaveView, newPieceView } from "./wire/content.js";

/** What a node is given when it is provisioned (`hyphae keys`, then storage or the build's config). */
export interface Provisioning {
  networkId: number;
  /** 32-byte secretbox key shared by the mesh: it keeps outsiders off the air. */
  networkKey: Uint8Array;
  /** The mesh owner's Ed25519 public key: the root of admission. */
  ownerPublicKey: Uint8Array;
  /** This node's Ed25519 secret key (64 bytes, seed ‖ public). */
  secretKey: Uint8Array;
  /** This node's admission certificate, signed by the owner. */
  certificate: Uint8Array;
}

export interface NodePorts {
  crypto: Crypto;
  random: Random;
  storage: Storage;
  /** Where content pieces go (firmware and configuration over the mesh); without it the node takes no part in content transfers. */
  content?: { store: ContentStore; config?: Partial<ContentConfig> };
  /**
   * Whether two link addresses given to `receive` are the same sender address. Without it they are
   * compared with ===: a host that makes a new object per datagram (a UDP peer) must bind it.
   */
  sameLink?: (a: unknown, b: unknown) => boolean;
}

/** How full each bounded table is: for monitors, and for the fuzzer's invariants (docs/architecture.md §Memory). */
export interface NodeHealth {
  neighbors: number;
  certificates: number;
  replayWindows: number;
  seen: number;
  recent: number;
  pendingRelays: number;
  routes: number;
  nodeRoutes: number;
  custody: number;
  unconfirmedReadings: number;
  outbox: number;
  events: number;
}

export interface NeighborSummary {
  id: string;
  role: number;
  /** Our reception ratio of its beacons, 0..1. */
  reception: number;
  /** Its reception ratio of ours, 0..1. */
  hearsUs: number;
  etx: number;
}

const KEY_EPOCH = "epoch";
const KEY_SEQ = "seq";
const KEY_REVOCATION = "revocation";
const KEY_ROUTE_SEQNO = "rseqno";
/** Route seqnos (a gateway's, bumped each beacon; any node's, per route request and reply) reserved per flash write. */
const ROUTE_SEQNO_BLOCK = 256;
/** Floors kept for forgotten senders' replay windows (12 B each). */
const REPLAY_FLOORS = 64;
/** Standings kept for neighbors dropped with something against them (28 B each). */
const DROPPED_STANDINGS = 8;
/** A next hop not heard for this many of its beacon periods carries no route. */
const STALE_BEACONS = 2.2;
/** A triggered ROUTE record waits 50–100 ms (so one frame carries several changes)… */
const TRIGGER_DELAY_MS = 50;
/** …and comes at most once a second. */
const MIN_TRIGGER_GAP_MS = 1000;
/** Link cost multiplier of an ordinary node as next hop: mains-powered relays and gateways are preferred. */
const NODE_HOP_PENALTY = 1.25;
/**
 * Added to the link cost of a next hop that lost too many of our readings (custody-trust.ts): sixteen
 * perfect hops, so any other route wins, yet a node whose every way out leads through one still has
 * a route (an honest hop blamed for a hole behind it earns its trust back by delivering).
 */
const DISTRUSTED_HOP_COST = 16 * 256;
/**
 * Added for each reading a distrusted next hop broke beyond those it kept (its deficit), up to
 * MAX_DEFICIT: among last resorts, the one whose record is least bad wins, not the one that claims
 * the shortest route (a hole claims one perfect hop). So a node whose every way out is distrusted
 * turns from a next hop that keeps losing its readings to one that lost fewer, and one that routes
 * around the hole earns its trust back.
 */
const BROKEN_READING_COST = 2 * 256;
const MAX_DEFICIT = 24;
/** Sequence numbers reserved per flash write: a reboot skips the unused rest, never reuses one. */
const SEQ_BLOCK = 64;
/** A HELLO carries the full certificate at least every this many beacons. */
const CERTIFICATE_EVERY = 8;
/**
 * Gateways gossip their certificate (GOSSIP kind 7: 125 B, relayed once by each relay) at boot and
 * this often after, for origins that joined since or missed it: 3 a gateway an hour. Relays pass one
 * a gateway per CERTIFICATE_RELAY_GAP_MS (origin-limiter.ts), which must stay shorter.
 */
const CERTIFICATE_GOSSIP_EVERY_MS = 20 * 60_000;
const OUTBOX_CAPACITY = 32;
/** The largest message body kept for repair (docs/architecture.md §Memory). */
const RECENT_MAX_BODY = 256;
/**
 * The repair store's arena per entry: a 32-byte reading's body is 47 bytes, so a full store of readings,
 * with the checkpoints among them (210 bytes per 16 readings), fits; what does not is kept apart.
 */
const RECENT_ARENA_PER_ENTRY = 64;
/** A repair is cancelled once the missing neighbor's estimated miss probability drops below this. */
const REPAIR_SUPPRESS_BELOW = 0.5;
/** Repairs of one stored message this node schedules at most (a repair count kept per message). */
const MAX_REPAIRS_PER_MESSAGE = 3;
/** Relay-delay units between repairers, in the order of how well the missing neighbor hears them. */
const REPAIR_RANK_UNITS = 3;
/**
 * Repairs scheduled for one neighbor's HELLO at most, or as many as the messages its HELLO is judged
 * on if more (a busy mesh): a node that missed much in light traffic catches up over several.
 */
const MAX_REPAIRS_PER_HELLO = 8;
/** Relays due within this many relay-delay units join a frame that is going out anyway. */
const PIGGYBACK_UNITS = 4;
/** What scratch views point at between frames. */
const NO_BYTES = new Uint8Array(0);
/** Extra relay delay, in relay-delay units, of a neighbor that was not designated (after the designated ones). */
const FALLBACK_DELAY_UNITS = 8;
/**
 * Neighbors likely still missing a message for a well-linked designated relay to send it (unless one
 * is a bridge): fewer are left to repair.
 */
const WELL_LINKED_NEEDED = 3;
/**
 * Commands sent and not yet acked that a commanding node keeps (command-outbox.ts); up to ~450 B
 * each, allocated per command: in practice a gateway host commanding a few devices at a time. Each
 * is in flash too (command-outbox-store.ts, a key per slot, up to 357 B), so a restart resumes them.
 */
const COMMANDS_PENDING = 16;

/** A row's words in MeshNode.rowWords: its replay window, then its frame-rate bucket (two words). */
const ROW_WINDOW = 0;
const ROW_FRAMES = 1;
const ROW_WORDS = 3;

export class MeshNode implements ForwardContext, DiscoveryContext, MonitorContext, ContentContext {
  readonly id: Uint8Array;
  readonly idHex: string;
  /** idKey of our id: a frame whose sender's differs is not ours, without a read of `id` (cold). */
  private readonly idKey: number;
  readonly role: Role;
  /** Whether the owner granted this node the right to command others (sendCommand). */
  readonly mayCommand: boolean;
  readonly config: NodeConfig;
  readonly counters = new Counters();

  private readonly crypto: Crypto;
  private readonly random: Random;
  private readonly storage: Storage;
  private readonly ownerId: Uint8Array;
  /** Senders' replay windows, held by their certificate-cache entries and neighbor rows. */
  private readonly windows: ReplayWindows;
  private readonly certificates: CertificateCache;
  /** Per neighbor-table slot: the row's verified certificate… */
  private readonly peerBySlot: CertificateSlots;
  /**
   * …and ROW_WORDS side by side, one run of memory for a row's frame: its replay window (-1: none yet),
   * then its frame-rate bucket (token-bucket.ts; reset when the slot gets a new neighbor).
   */
  private readonly rowWords: Float64Array;
  /** The frame-rate buckets' rate (config.neighborFramesPerSecond); they bank twice as many. */
  private readonly framesPerSecond: number;
  /**
   * Wall seconds within which every row's certificate in peerBySlot is valid (the latest notBefore, the
   * earliest notAfter), NaN when a certificate was copied in since: a row's frame then reads none.
   */
  private rowsValidFrom = NaN;
  private rowsValidTo = NaN;
  /**
   * Rows (slot mask) whose link address sent a frame that failed to open since the row's last accepted
   * frame: their frames are opened on the open budget until one is accepted. Others' frames from the
   * row's link address (its last HELLO's) are opened outside the budget.
   */
  private forgedRows = 0;
  private readonly originLimiter: OriginLimiter;
  /** Opens spent on frames not from an admitted sender's bound link address (config.unboundOpensPerSecond). */
  private readonly openBudget: OpenBudget;
  private readonly sameLink: (a: unknown, b: unknown) => boolean;
  /** Certificate verifies this node will spend (rate, burst): see config.certificateVerifiesPerMinute. */
  private readonly verifyBudget: TokenBucket;
  /**
   * The same, for the certificates of gateways whose handover messages name us: at a busy gateway,
   * origins' certificates took every token of the shared budget as it refilled, two gateways' claims
   * went unverified for 3 minutes and gave up, and both it and they delivered 4 readings (1,000
   * nodes under stress, seed 1). Forged messages naming us drain this one, as they drained the other.
   */
  private readonly handoverVerifyBudget: TokenBucket;
  /** Gateways: per sending gateway, the handover messages acted on (their replay floor); null elsewhere. */
  private readonly handoverFloors: HandoverFloors | null;
  private readonly scores: PeerScores;
  private readonly relayWatch: RelayWatch;
  /** The relays our last HELLO designated (slot mask), held to relaying by the relay watch. */
  private designated = 0;
  private readonly custodyTrust: CustodyTrust;
  /** What neighbors dropped from the table had against them, given back if they are admitted again. */
  private readonly droppedStanding = new DroppedStanding(DROPPED_STANDINGS);
  private readonly eclipseWatch = new EclipseWatch();
  /** No neighbor expires before this (a lower bound, refreshed at each tick). */
  private expiryAt = Infinity;
  private readonly neighbors: NeighborTable;
  private readonly seen: SeenCache;
  private readonly pending: RelayQueue;
  /**
   * Neighbors a relay never leaves to repair (slot mask, refreshed at each HELLO): those through which
   * alone some two-hop neighbor is reached, and those with too few neighbors to be repaired quickly.
   */
  private bridges = 0;
  private readonly recent: RecentMessages;
  /** The keys our next HELLO lists. */
  private readonly recentKeys: Uint16Array;
  private readonly checkpoints: CheckpointWriter;
  private readonly attribution: AttributionTable;
  private readonly outbox: Transmit[] = [];
  private readonly events: MeshEvent[] = [];
  /** Gossip bodies of our own to send at the next flush. */
  private readonly ownQueue: Uint8Array[] = [];
  /** flush()'s records, reused: it runs after every frame received and every tick. */
  private readonly parts: { type: RecordType; body: Uint8Array }[] = [];

  private sealer: FrameSealer | null = null;
  private nextSeq = 1;
  private reservedSeq = 0;
  private beaconSeq = 0;
  private nextBeaconAt = Infinity;
  /**
   * The checkpoint writer's and the monitor's deadlines, copied here when they change (they change only
   * through the calls below): nextTimeout runs after every input, and reading them from their objects
   * cost two cold objects each time when many nodes run.
   */
  private checkpointDueAt = Infinity;
  private monitorDueAt = Infinity;
  /** Gateways: when our certificate is gossiped next (GOSSIP kind 7). */
  private certificateGossipAt = Infinity;
  private certificateWanted = true;
  private revocation: RevocationList | null = null;
  private revocationBytes: Uint8Array | null = null;
  private revocationPushedAt = -Infinity;
  private wallBase: number | undefined;
  private wallAt = 0;

  // Decoding scratch, reused for every frame; records are checked first, decoded one at a time when applied.
  private readonly header = newFrameHeader();
  private readonly spans = new RecordSpans();
  /** The frame's records other than gossip, as views (gossip is read from `spans`). */
  private readonly records: RecordView[] = [];
  private readonly hello = newHelloView();
  private readonly gossip: GossipView = newGossipView();
  /** `gossip` views a frame's bytes (releaseFrame lets go of them). */
  private gossipHeld = false;
  private readonly routeView = newRouteView();
  private readonly dataView = newDataView();
  private readonly haveView = newHaveView();
  private readonly pieceView = newPieceView();
  private readonly forward: StoreAndForward;
  private readonly monitor: NodeMonitor;
  private readonly commands: CommandInbox;
  /** Our commands until their targets ack them (null without the command right). */
  private readonly commandOutbox: CommandOutbox | null;
  /** Content distribution (modules/content), when the host gave a content store. */
  readonly content: ContentSwarm | null;
  /** Records for one neighbor each (DATA, ACK), sent at the next flush in unicast frames. */
  private readonly unicast = new Map<number, { type: RecordType; body: Uint8Array }[]>();
  private readonly routes: RouteTable;
  /** buildRoute's entries, emptied once encoded. */
  private readonly routeEntries: RouteEntry[] = [];
  /** Next hop of the nearest gateway route at the last selection (-1: none), to notice changes. */
  private nearestHop = -1;
  /** A triggered ROUTE record is due then (Infinity: none); the last ROUTE went out at routeUpdatedAt. */
  private routeUpdateAt = Infinity;
  private routeUpdatedAt = -Infinity;
  /** On-demand routes to any node (routing/route-discovery.ts). */
  private readonly discovery: RouteDiscovery;
  /** Our own route seqno (bumped by a gateway's beacons and by route requests and replies) and the end of its reserved block (0: not read from storage yet). */
  private routeSeqno = 0;
  private reservedRouteSeqno = 0;

  constructor(private readonly provisioning: Provisioning, ports: NodePorts, config: NodeConfig = createNodeConfig()) {
    this.crypto = ports.crypto;
    this.random = ports.random;
    this.storage = ports.storage;
    this.config = config;
    const { certificate, secretKey, ownerPublicKey, networkId } = provisioning;
    const cert = decodeCertificate(certificate);
    if (typeof cert === "number") throw new TypeError("own certificate is malformed");
    if (secretKey.length !== 64 || !equalBytes(cert.publicKey, secretKey.subarray(32))) {
      throw new TypeError("own certificate is not for this secret key");
    }
    const status = checkCertificate(this.crypto, certificate, ownerPublicKey, networkId, undefined);
    if (status !== CertificateStatus.Valid) throw new TypeError(`own certificate does not verify (${CertificateStatus[status]})`);
    this.id = nodeIdOf(this.crypto, cert.publicKey);
    this.idHex = toHex(this.id);
    this.idKey = idKey(this.id, 0);
    this.role = cert.role;
    this.mayCommand = cert.command;
    this.ownerId = ownerIdOf(this.crypto, ownerPublicKey);
    // Each window is held by at most one cache entry and one row slot.
    this.windows = new ReplayWindows(config.certificateCacheCapacity + config.neighborCapacity);
    this.certificates = new CertificateCache(config.certificateCacheCapacity, this.windows, new ReplayFloors(REPLAY_FLOORS));
    this.peerBySlot = new CertificateSlots(config.neighborCapacity);
    [this.rowWords, this.recentKeys] = typedArrays([Float64Array, config.neighborCapacity * ROW_WORDS], [Uint16Array, Math.min(MAX_RECENT_KEYS, config.recentCapacity)]);
    for (let slot = 0; slot < config.neighborCapacity; slot++) this.rowWords[ROW_WORDS * slot + ROW_WINDOW] = -1;
    this.framesPerSecond = config.neighborFramesPerSecond;
    this.neighbors = new NeighborTable(config.neighborCapacity, config.deadAfterBeacons);
    // The repair store's bodies, shared with the relay queue (recent-messages.ts).
    const arena = new Uint8Array(config.recentCapacity * RECENT_ARENA_PER_ENTRY);
    this.pending = new RelayQueue(config.pendingRelayCapacity, config.neighborCapacity, arena);
    this.seen = new SeenCache(config.seenCacheCapacity);
    this.checkpoints = new CheckpointWriter(config.checkpointEvery, config.checkpointAfterMs);
    this.attribution = new AttributionTable(config.attributionCapacity);
    this.recent = new RecentMessages(config.recentCapacity, RECENT_MAX_BODY, arena, this.pending);
    this.routes = new RouteTable(config.routeCapacity);
    this.scores = new PeerScores(config.neighborCapacity);
    this.relayWatch = new RelayWatch(config.neighborCapacity);
    this.custodyTrust = new CustodyTrust(config.neighborCapacity);
    this.verifyBudget = new TokenBucket(config.certificateVerifiesPerMinute / 60, Math.max(8, config.neighborCapacity), 0);
    this.handoverVerifyBudget = new TokenBucket(config.certificateVerifiesPerMinute / 60, 8, 0);
    this.handoverFloors = cert.role === Role.Gateway ? new HandoverFloors(config.handoverFloorCapacity, this.storage) : null;
    if (this.handoverFloors?.damagedStored) this.counters.damagedStorage++;
    this.originLimiter = new OriginLimiter(config.originRatePerMinute, config.originBurst, config.certificateCacheCapacity);
    this.sameLink = ports.sameLink ?? sameValue;
    this.openBudget = new OpenBudget(config.unboundLinkCapacity, config.unboundOpensPerLinkBurst, config.unboundOpensPerLinkPerSecond,
      config.unboundOpensBurst, config.unboundOpensPerSecond, this.sameLink);
    // The node is its parts' context (ForwardContext, DiscoveryContext, MonitorContext, ContentContext): no closures per node.
    this.forward = new StoreAndForward(this, this.crypto, this.storage, provisioning.secretKey, provisioning.certificate, config);
    this.discovery = new RouteDiscovery(this, config.nodeRouteCapacity, this.random, this.originLimiter);
    this.monitor = new NodeMonitor(this, config.healthIntervalMs);
    this.commands = new CommandInbox(this.storage);
    this.commandOutbox = cert.command ? new CommandOutbox(COMMANDS_PENDING, new CommandOutboxStore(this.storage, this.crypto)) : null;
    this.content = !ports.content ? null : new ContentSwarm(this, this.crypto, this.random, this.storage, ports.content.store,
      createContentConfig(ports.content.config), config.neighborCapacity);
  }

  /**
   * Boots the node: a new epoch (so frame nonces never repeat across reboots), a fresh block of
   * sequence numbers, the stored revocation list, the commands still pending when it stopped, and a
   * first beacon at a random point of the period. A host that knows the wall clock sets it before
   * (setWallClock): the pending commands' lifetimes count the time it was off.
   */
  start(now: number): void {
    const epoch = readStoredU32(this.storage, KEY_EPOCH) + 1;
    writeStoredU32(this.storage, KEY_EPOCH, epoch);
    this.sealer = new FrameSealer(this.crypto, this.provisioning.networkId, this.provisioning.networkKey, this.id, epoch);
    this.nextSeq = Math.max(1, readStoredU32(this.storage, KEY_SEQ));
    this.reserveSeq();
    if (this.role === Role.Gateway) this.loadRouteSeqno();
    // After a first round of HELLOs: neighbors that do not know us yet would drop it.
    if (this.role === Role.Gateway) this.certificateGossipAt = now + this.config.beaconIntervalMs;
    const stored = this.storage.get(KEY_REVOCATION);
    const list = stored ? decodeRevocationList(stored) : null;
    // Stored lists were verified before they were written: trusting flash saves a verify per boot.
    if (stored && list && typeof list !== "number") {
      this.revocation = list;
      this.revocationBytes = stored;
    }
    this.restoreCommands(now);
    this.nextBeaconAt = now + Math.floor(unitFloat(this.random) * this.config.beaconIntervalMs);
    // The first report once the neighborhood has formed, at a random point so nodes do not report together.
    this.monitor.start(now, epoch, Math.floor((0.5 + unitFloat(this.random)) * this.config.healthIntervalMs));
    this.monitorDueAt = this.monitor.deadline;
    this.forward.start(now);
    this.content?.start();
  }

  /**
   * Seeds owner-signed content (a manifest and every swarm piece, as `buildManifest` gives them) from
   * a tool: it is stored, installed here if it targets this node, and offered to neighbors.
   */
  publishContent(manifest: Uint8Array, pieces: readonly Uint8Array[], now: number): ManifestStatus | null {
    if (!this.content) return null;
    const status = this.content.publish(manifest, pieces);
    this.flush(now);
    return status;
  }

  /** Sets the wall clock (unix seconds) used for certificate validity; until then windows are not checked. */
  setWallClock(unixSeconds: number, now: number): void {
    this.wallBase = unixSeconds;
    this.wallAt = now;
  }

  wallSeconds(now: number): number | undefined {
    return this.wallBase === undefined ? undefined : this.wallBase + Math.floor((now - this.wallAt) / 1000);
  }

  /** Publishes an application message to the whole mesh; returns its sequence number. */
  publish(payload: Uint8Array, now: number): number {
    const seq = this.takeSeq();
    this.publishOwn(seq, GossipKind.Data, payload, now);
    return seq;
  }

  /**
   * Sends a signed command to node `target` (8-byte id) through the mesh; returns its sequence
   * number. It goes out now, or once the target acked (or we gave up) the commands sent to it
   * before; it is sent again until the target acks it (`command-acked`) or it expires
   * (`command-expired`). Throws TypeError without the command right, RangeError for a path or value
   * the target would refuse (command-message.ts: isCommandPath, MAX_COMMAND_VALUE) or this node as
   * the target.
   */
  sendCommand(target: Uint8Array, path: string, value: Uint8Array, now: number): number {
    if (!this.mayCommand) throw new TypeError("this node's certificate lacks the command right");
    if (equalBytes(target, this.id)) throw new RangeError("a node does not command itself");
    // Before a seq is taken: one taken and not sent would leave a hole in the next checkpoint's range.
    checkCommandFields(target, path, value);
    const seq = this.takeSeq();
    const { secretKey, certificate } = this.provisioning;
    const payload = encodeCommand(this.crypto, secretKey, certificate, this.id, seq, target, path, value);
    // Covered now, though it may wait behind an earlier command to the same target: every seq taken is.
    this.checkpoints.add(seq, messageDigest(this.crypto, this.id, seq, GossipKind.Command, payload), now);
    this.checkpointDueAt = this.checkpoints.deadline();
    const targetHex = toHex(target);
    const evicted = this.commandOutbox!.add(targetHex, seq, path, payload, now, this.wallSeconds(now) ?? 0);
    if (evicted) this.commandGone(evicted, "evicted", now);
    this.sendNextCommand(targetHex, now);
    this.checkpointIfDue(now);
    this.flush(now);
    return seq;
  }

  /** Our commands pending when we stopped, back in the table: their resends resume (command-outbox.ts restore). */
  private restoreCommands(now: number): void {
    if (!this.commandOutbox) return;
    const { restored, unreadable } = this.commandOutbox.restore(this.provisioning.certificate, now, this.wallSeconds(now));
    if (restored.length === 0 && unreadable === 0) return;
    this.emit({ type: "commands-restored", commands: restored.map((c) => ({ target: c.targetHex, seq: c.seq, path: c.path })), unreadable });
  }

  /** Sends our oldest command to `targetHex` if it has not gone out yet (the one before it was acked or given up). */
  private sendNextCommand(targetHex: string, now: number): void {
    const c = this.commandOutbox!.unsentHead(targetHex);
    if (!c) return;
    this.commandOutbox!.sent(c, now);
    this.sendOwn(c.seq, GossipKind.Command, c.payload, now);
  }

  /** A command given up: reported, and the next one to its target may go. */
  private commandGone(c: PendingCommand, reason: "timeout" | "evicted", now: number): void {
    this.emit({ type: "command-expired", target: c.targetHex, seq: c.seq, path: c.path, resends: c.resends, reason });
    this.sendNextCommand(c.targetHex, now);
  }

  /** Our commands' lifetimes and resends: each resend is new gossip (kind 6) carrying the command unchanged. */
  private commandsDue(now: number): void {
    const outbox = this.commandOutbox;
    if (!outbox || now < outbox.nextDeadline()) return;
    const due: PendingCommand[] = [];
    outbox.expire(now, due);
    for (const c of due) this.commandGone(c, "timeout", now);
    const c = outbox.resendDue(now);
    if (c) this.publishOwn(this.takeSeq(), GossipKind.CommandResend, encodeCommandResend(c.seq, c.payload), now);
  }

  /**
   * Sends own gossip `seq`; its digest joins the next checkpoint, which must cover every seq in its range.
   * A gateway's certificate calls for none of its own: it is self-authenticating, so attributing it buys
   * nothing, and a checkpoint would double its airtime and spend our relay budget (our commands').
   */
  private publishOwn(seq: number, kind: GossipKind, payload: Uint8Array, now: number): void {
    this.checkpoints.add(seq, messageDigest(this.crypto, this.id, seq, kind, payload), now, kind !== GossipKind.GatewayCertificate);
    this.checkpointDueAt = this.checkpoints.deadline();
    this.sendOwn(seq, kind, payload, now);
  }

  /** Sends own gossip `seq` whose digest a checkpoint covers already (publishOwn, sendCommand). */
  private sendOwn(seq: number, kind: GossipKind, payload: Uint8Array, now: number): void {
    const body = encodeGossip(this.id, seq, kind, 0, this.config.hopLimit, payload);
    this.seen.add(this.id, seq);
    this.recent.add(messageKey(this.id, seq), body, now, false, true);
    this.ownQueue.push(body);
    this.counters.published++;
    this.checkpointIfDue(now);
    this.flush(now);
  }

  /**
   * Records a sensor reading in this node's feed and sends it toward a gateway, store-and-forward,
   * to be delivered there exactly once (a gateway's own readings are delivered here). Returns its seq.
   */
  publishReading(sensor: string, value: number, now: number): number {
    const seq = this.forward.publishReading(sensor, value, this.wallSeconds(now) ?? 0, now);
    this.forward.tick(now);
    this.flush(now);
    return seq;
  }

  /**
   * Sends `payload` (1..200 bytes) to node `destination` alone, hop by hop with custody along an
   * on-demand route (found first if need be). Returns its seq (numbered with our gossip), or 0 when
   * own items already fill their half of the custody queue (counted in `directDropped`).
   */
  sendToNode(destination: Uint8Array, payload: Uint8Array, now: number): number {
    if (destination.length !== 8 || equalBytes(destination, this.id)) throw new RangeError("destination must be another node's 8-byte id");
    if (payload.length < 1 || payload.length > MAX_DATA_PAYLOAD) throw new RangeError(`a message carries 1..${MAX_DATA_PAYLOAD} bytes`);
    const seq = this.takeSeq();
    if (!this.forward.sendMessage(destination, seq, payload, now)) {
      this.counters.directDropped++;
      return 0;
    }
    this.counters.directSent++;
    this.forward.tick(now);
    this.flush(now);
    return seq;
  }

  health(): NodeHealth {
    return {
      neighbors: this.neighbors.size,
      certificates: this.certificates.size,
      replayWindows: this.certificates.windowsOpen,
      seen: this.seen.size,
      recent: this.recent.size,
      pendingRelays: this.pending.length,
      routes: this.routes.size,
      nodeRoutes: this.discovery.routes.size,
      custody: this.forward.custodySize,
      unconfirmedReadings: this.forward.unconfirmed,
      outbox: this.outbox.length,
      events: this.events.length,
    };
  }

  /** Own readings kept in storage that no gateway has confirmed yet. */
  get unconfirmedReadings(): number {
    return this.forward.unconfirmed;
  }

  /** Neighbors' readings kept in this node's storage for them (lent storage). */
  get replicasHeld(): number {
    return this.forward.replicasHeld;
  }

  /** Own readings overwritten in storage before a gateway confirmed them or a neighbor kept a replica, once no copy of them is left that this node knows of. */
  get readingsLost(): number {
    return this.forward.readingsLost;
  }

  /** Accepts an owner-signed revocation list from a tool; false if it does not verify or is not newer. */
  injectRevocation(revocation: Uint8Array, now: number): boolean {
    const bytes = revocation.slice();
    const list = verifyRevocationList(this.crypto, bytes, this.provisioning.ownerPublicKey, this.provisioning.networkId);
    if (!list || (this.revocation && list.serial <= this.revocation.serial)) return false;
    this.seen.add(this.ownerId, list.serial);
    this.applyRevocation(list, bytes, now);
    this.ownQueue.push(encodeGossip(this.ownerId, list.serial, GossipKind.Revocation, 0, this.config.hopLimit, bytes));
    this.flush(now);
    return true;
  }

  receive(frame: Uint8Array, link: unknown, now: number): void {
    this.handleFrame(frame, link, now);
    this.releaseFrame();
  }

  /**
   * Lets go of the frame just handled: the scratch views point into its bytes (cipher and plain
   * text, up to 2.4 KB) and would keep them alive until the next frame.
   */
  private releaseFrame(): void {
    this.header.sender = this.header.box = NO_BYTES;
    if (this.gossipHeld) {
      this.gossip.origin = this.gossip.payload = NO_BYTES;
      this.gossipHeld = false;
    }
    // The other views are decoded only for records that went into `records`, and most frames hold
    // gossip alone: those touch none of them (each a cold object of its own when many nodes run).
    if (this.records.length === 0) return;
    this.records.length = 0;
    this.hello.certificate = null;
    this.hello.neighbors = this.hello.recent = NO_BYTES;
    this.dataView.origin = this.dataView.destination = this.dataView.payload = NO_BYTES;
    this.haveView.contentId = this.haveView.bits = this.pieceView.contentId = this.pieceView.data = NO_BYTES;
    for (const e of this.routeView.entries) e.destination = NO_BYTES;
    this.discovery.release(NO_BYTES);
  }

  private handleFrame(frame: Uint8Array, link: unknown, now: number): void {
    const sealer = this.sealer;
    if (!sealer) return;
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    const header = this.header;
    const headerError = sealer.readHeader(frame, header);
    if (headerError !== WireError.None) return this.counters.drop(headerError);
    if (idKey(header.sender, 0) === this.idKey && equalBytes(header.sender, this.id)) return this.counters.drop(DropReason.Self);
    let transmitter = this.neighbors.findAt(header.sender, 0);
    const unopened = this.judgeUnopened(transmitter, link, now);
    if (unopened === Unopened.Refused) return;
    const plain = sealer.openBox(frame, header);
    if (!plain) {
      // A bound address sent a forgery: whoever forged its address, or had it bound by replaying a frame
      // of the sender we had not heard, gets this one open; the next go through the budget.
      if (unopened === Unopened.BoundRow) this.forgedRows |= 1 << transmitter!.slot;
      else if (unopened === Unopened.BoundPeer) this.certificates.heardOn(this.certificates.find(header.sender), null);
      return this.counters.drop(WireError.AuthFailed);
    }

    // Decode every record before applying any.
    // Gossip records stay spans of the plaintext (most are copies already seen); the others become views.
    const spans = this.spans;
    const error = parseRecordSpans(plain, spans);
    if (error !== WireError.None) return this.rejectRecords(error, header.sender, now);
    const records = this.records;
    if (records.length !== 0) records.length = 0;
    let hasHello = false;
    let hasRoute = false;
    let hasCustody = false;
    let hasContent = false;
    let hasDiscovery = false;
    for (let k = 0; k < spans.count; k++) {
      const type = spans.type(k);
      if (type === RecordType.Gossip || type === RecordType.Repair) {
        const e = checkGossipAt(plain, spans.start(k), spans.end(k));
        if (e !== WireError.None) return this.rejectRecords(e, header.sender, now);
        continue;
      }
      const r: RecordView = { type, body: plain.subarray(spans.start(k), spans.end(k)) };
      records.push(r);
      let e: WireError;
      if (r.type === RecordType.Hello) {
        e = hasHello ? WireError.BadField : decodeHello(r.body, this.hello);
        hasHello = true;
      } else if (r.type === RecordType.Route) {
        e = hasRoute ? WireError.BadField : decodeRoute(r.body, this.routeView);
        hasRoute = true;
      } else if (r.type === RecordType.Data) {
        e = checkData(r.body);
        if (e === WireError.None) e = checkDataHop(r.body, this.id, header.sender);
        hasCustody = true;
      } else if (r.type === RecordType.Ack) {
        e = checkAck(r.body);
        hasCustody = true;
      } else if (r.type === RecordType.ContentHave) {
        e = decodeHave(r.body, this.haveView);
        hasContent = true;
      } else if (r.type === RecordType.ContentRequest) {
        e = checkRequest(r.body);
        hasContent = true;
      } else if (r.type === RecordType.ContentPiece) {
        e = decodePiece(r.body, this.pieceView);
        hasContent = true;
      } else if (r.type === RecordType.RouteRequest) {
        e = this.discovery.checkRequest(r.body);
        hasDiscovery = true;
      } else {
        e = this.discovery.checkReply(r.body); // RouteReply: the parser admits no other type
        hasDiscovery = true;
      }
      if (e !== WireError.None) return this.rejectRecords(e, header.sender, now);
    }

    const carried = hasHello ? this.hello.certificate : null;
    // The certificate-cache slot the sender was admitted by; -1 for a neighbor known by its row.
    let peer = -1;
    let window: number;
    let senderHex: string;
    if (transmitter && (!carried || this.peerBySlot.equals(transmitter.slot, carried))) {
      // A neighbor: its verified certificate and replay window hang off its row (no lookup by id).
      senderHex = transmitter.idHex;
      if (!this.rowsValidAt(now) && this.expired(this.peerBySlot, transmitter.slot, header.sender, senderHex, now)) return;
      window = this.rowWords[ROW_WORDS * transmitter.slot + ROW_WINDOW];
    } else {
      senderHex = toHex(header.sender);
      if (this.scores.isIgnored(senderHex, now)) return this.counters.drop(DropReason.Ignored);
      peer = this.admit(senderHex, header.sender, carried, now);
      if (peer < 0) return;
      window = this.certificates.window(peer);
    }
    if (!this.windows.accept(window, header.epoch, header.counter)) return this.counters.drop(DropReason.Replay);
    if (transmitter) this.forgedRows &= ~(1 << transmitter.slot);
    if (peer >= 0) this.certificates.heardOn(peer, link);
    // An authenticated neighbor over its frame rate: nothing of the frame is applied.
    if (transmitter && !takeFrom(this.rowWords, ROW_WORDS * transmitter.slot + ROW_FRAMES, this.framesPerSecond, 2 * this.framesPerSecond, now)) {
      this.judgeNeighbor(transmitter, Behavior.RateLimited, now);
      return this.counters.drop(DropReason.RateLimited);
    }

    if (hasHello) transmitter = this.onHello(transmitter, peer, senderHex, window, link, now);
    if (hasRoute && transmitter) this.onRoute(transmitter, now);
    // Custody needs a neighbor to answer: DATA and ACK from a sender without a row are ignored.
    if (transmitter && hasCustody) {
      for (const r of records) {
        if (r.type === RecordType.Data) {
          decodeData(r.body, this.dataView); // checked above
          // A revoked origin's data is carried no further, whoever hands it on (one without the list yet).
          if (this.isRevoked(this.dataView.origin)) this.forward.refuse(this.dataView, transmitter.slot, DropReason.Revoked);
          else this.forward.onData(this.dataView, transmitter.slot, now);
        } else if (r.type === RecordType.Ack) {
          this.forward.onAck(r.body, transmitter.slot, now);
        }
      }
      this.forward.tick(now);
    }
    // Route requests and replies teach routes through their sender: it must be a neighbor.
    if (transmitter && hasDiscovery) {
      for (const r of records) {
        if (r.type === RecordType.RouteRequest) {
          this.discovery.onRequest(r.body, transmitter.slot, now);
        } else if (r.type === RecordType.RouteReply) {
          const found = this.discovery.onReply(r.body, transmitter.slot, now);
          if (found) this.forward.routeFound(found, now);
        }
      }
    }
    // Content records need a neighbor too: requests are answered and pieces judged per neighbor.
    if (transmitter && hasContent && this.content) this.onContent(transmitter, now);
    for (let k = 0; k < spans.count; k++) {
      const type = spans.type(k);
      if (type !== RecordType.Gossip && type !== RecordType.Repair) continue;
      this.onGossip(plain, spans.start(k), spans.end(k), transmitter, type === RecordType.Repair, now);
    }
    this.flush(now);
  }

  /**
   * Step 0: judges the frame whose clear header is in `header` before paying for its open, and counts
   * the drop if refused. `transmitter` is the row of the sender the header names, if any.
   *
   * A replay: refused by every window its sender could be judged by after the open — the row's, and
   * the one its certificate-cache entry has or would open (from the sender's floor) for a frame that
   * carries another certificate. Each only refuses what it would refuse after the open, so an
   * authentic frame dropped here would have been dropped there (for a replay, or for an earlier check).
   *
   * Then the open budget, for frames not from an admitted sender's bound link address — its row's
   * (its last HELLO's), else the one its cached certificate's last accepted frame came from, and not
   * since a frame from there failed to open: anyone can forge those without the network key. An
   * admitted sender's frames from its bound address are limited after authentication instead
   * (neighborFramesPerSecond, the origin limiter).
   */
  private judgeUnopened(transmitter: Neighbor | undefined, link: unknown, now: number): Unopened {
    const { sender, epoch, counter } = this.header;
    const cache = this.certificates;
    if (transmitter) {
      if (this.windows.refuses(this.rowWords[ROW_WORDS * transmitter.slot + ROW_WINDOW], epoch, counter) &&
          cache.refuses(cache.find(sender), sender, epoch, counter)) {
        this.counters.drop(DropReason.Replay);
        return Unopened.Refused;
      }
      if ((this.forgedRows & (1 << transmitter.slot)) === 0 && this.boundTo(transmitter.link, link)) return Unopened.BoundRow;
    } else {
      const peer = cache.find(sender);
      if (cache.refuses(peer, sender, epoch, counter)) {
        this.counters.drop(DropReason.Replay);
        return Unopened.Refused;
      }
      if (peer >= 0 && this.boundTo(cache.link(peer), link)) return Unopened.BoundPeer;
    }
    if (this.openBudget.allow(link, now)) return Unopened.Budgeted;
    this.counters.drop(DropReason.OpenBudget);
    return Unopened.Refused;
  }

  /** Whether `link` is the `bound` address (null: none). */
  private boundTo(bound: unknown, link: unknown): boolean {
    return bound !== null && (bound === link || this.sameLink(bound, link));
  }

  private onContent(n: Neighbor, now: number): void {
    const content = this.content!;
    for (const r of this.records) {
      if (r.type === RecordType.ContentHave) {
        decodeHave(r.body, this.haveView); // checked above
        content.onHave(n.slot, n.idHex, this.haveView, now);
      } else if (r.type === RecordType.ContentRequest) {
        content.onRequest(n.slot, n.idHex, r.body, now);
      } else if (r.type === RecordType.ContentPiece) {
        decodePiece(r.body, this.pieceView);
        content.onPiece(n.slot, n.idHex, this.pieceView, now);
      }
    }
  }

  tick(now: number): void {
    if (!this.sealer) return;
    for (const dead of this.neighbors.expire(now)) {
      this.rememberStanding(dead, now);
      this.dropRoutesVia(dead.slot);
      this.emit({ type: "neighbor-down", id: dead.idHex, reason: "silent" });
    }
    this.expiryAt = this.neighbors.nextExpiry();
    this.commandsDue(now);
    if (now >= this.certificateGossipAt) this.gossipCertificate(now);
    this.checkpointIfDue(now);
    // Most ticks are a relay's: the monitor (two cold objects) is asked only when it has something due.
    if (now >= this.monitorDueAt) {
      this.monitor.tick(now);
      this.monitorDueAt = this.monitor.deadline;
    }
    this.forward.tick(now);
    this.content?.tick(now);
    this.flush(now);
  }

  /** Signs and queues a checkpoint when enough messages are uncovered or the first has waited long enough. */
  private checkpointIfDue(now: number): void {
    if (now < this.checkpointDueAt) return;
    const seq = this.takeSeq();
    const payload = this.checkpoints.take(this.crypto, this.provisioning.secretKey, this.provisioning.certificate, this.id, seq);
    this.checkpointDueAt = this.checkpoints.deadline();
    this.seen.add(this.id, seq);
    this.ownQueue.push(encodeGossip(this.id, seq, GossipKind.Checkpoint, 0, this.config.hopLimit, payload));
  }

  nextTimeout(): number {
    return Math.min(this.nextBeaconAt, this.expiryAt, this.checkpointDueAt, this.forward.nextDeadline(), this.routeUpdateAt,
      this.pending.earliest(), this.monitorDueAt, this.content ? this.content.nextDeadline() : Infinity, this.discovery.nextDeadline(),
      this.commandOutbox ? this.commandOutbox.nextDeadline() : Infinity, this.certificateGossipAt);
  }

  pollTransmit(): Transmit | undefined {
    return this.outbox.shift();
  }

  pollEvent(): MeshEvent | undefined {
    return this.events.shift();
  }

  neighborSummary(now: number): NeighborSummary[] {
    const out: NeighborSummary[] = [];
    for (const n of this.neighbors) {
      out.push({ id: n.idHex, role: n.role, reception: n.reception(now), hearsUs: n.hearsUs / 255, etx: n.etx(now) });
    }
    return out;
  }

  /** Neighbors for a health report: the best-heard MAX_REPORT_NEIGHBORS with their reputation. */
  neighborReport(now: number): HealthNeighbor[] {
    const out: HealthNeighbor[] = [];
    for (const n of this.neighbors) out.push({ id: n.idHex, reception: n.reception(now), score: this.scores.score(n.slot, now) });
    out.sort((a, b) => b.reception - a.reception);
    out.length = Math.min(out.length, MAX_REPORT_NEIGHBORS);
    return out;
  }

  get revocationSerial(): number {
    return this.revocation ? this.revocation.serial : 0;
  }

  /**
   * Step 3: the sender's verified certificate, verifying the one its HELLO carries if new to us.
   * Returns its certificate-cache slot, or -1 (dropped).
   */
  private admit(senderHex: string, sender: Uint8Array, carried: Uint8Array | null, now: number, budget = this.verifyBudget): number {
    let peer = this.certificates.get(sender);
    if (carried && (peer < 0 || !this.certificates.entries.equals(peer, carried))) {
      // A verify costs about a second on the board: a swarm of fake identities must not buy them at will.
      if (!budget.take(now)) {
        this.counters.drop(DropReason.VerifyBudget);
        return -1;
      }
      const wall = this.wallSeconds(now);
      this.counters.certificatesVerified++;
      const status = checkCertificate(this.crypto, carried, this.provisioning.ownerPublicKey, this.provisioning.networkId, wall);
      const cert = status === CertificateStatus.Valid ? decodeCertificate(carried) : null;
      if (!cert || typeof cert === "number" || !equalBytes(nodeIdOf(this.crypto, cert.publicKey), sender)) {
        this.counters.drop(DropReason.BadCertificate);
        return -1;
      }
      if (this.isRevoked(sender)) {
        this.counters.drop(DropReason.Revoked);
        return -1;
      }
      peer = this.certificates.put(sender, carried);
    }
    if (peer < 0) {
      this.counters.drop(DropReason.UnknownSender);
      // Whoever this is does not know us either, most likely: introduce ourselves in the next HELLO.
      this.certificateWanted = true;
      return -1;
    }
    return this.expired(this.certificates.entries, peer, sender, senderHex, now) ? -1 : peer;
  }

  /** An origin known by the certificate its message carried (admit): its public key, or null (dropped). */
  admitOrigin(origin: Uint8Array, certificate: Uint8Array, now: number): Uint8Array | null {
    const peer = this.admit(toHex(origin), origin, certificate, now);
    return peer < 0 ? null : this.certificates.entries.publicKey(peer);
  }

  /** A gateway known by the certificate its CONFIRM carried (admit, and the role): its public key, or null (dropped). */
  admitGateway(gateway: Uint8Array, certificate: Uint8Array, now: number, budget = this.verifyBudget): Uint8Array | null {
    const peer = this.admit(toHex(gateway), gateway, certificate, now, budget);
    if (peer < 0) return null;
    if (this.certificates.entries.role(peer) === Role.Gateway) return this.certificates.entries.publicKey(peer);
    this.counters.drop(DropReason.BadCertificate);
    return null;
  }

  /** The public key of node `id` if its verified certificate is cached; null otherwise. */
  knownPublicKey(id: Uint8Array): Uint8Array | null {
    const peer = this.certificates.get(id);
    return peer < 0 ? null : this.certificates.entries.publicKey(peer);
  }

  /**
   * Whether the validity window of peer `id`'s certificate (`slot` of `certificates`) has passed;
   * then the peer is forgotten and the frame dropped.
   */
  private expired(certificates: CertificateSlots, slot: number, id: Uint8Array, idHex: string, now: number): boolean {
    const wall = this.wallSeconds(now);
    if (wall === undefined || certificates.validity(slot, wall) === CertificateStatus.Valid) return false;
    this.forgetPeer(id, idHex, "expired", now);
    this.counters.drop(DropReason.BadCertificate);
    return true;
  }

  /** Row `slot` takes the certificate of certificate-cache slot `peer`. */
  private copyPeer(slot: number, peer: number): void {
    this.peerBySlot.copy(slot, this.certificates.entries, peer);
    this.rowsValidFrom = this.rowsValidTo = NaN;
  }

  /** Whether every row's certificate is valid at `now` (false: some may not be, ask expired). */
  private rowsValidAt(now: number): boolean {
    const wall = this.wallSeconds(now);
    if (wall === undefined) return true;
    if (this.rowsValidFrom !== this.rowsValidFrom) {
      let from = -Infinity;
      let to = Infinity;
      for (let k = 0; k < this.neighbors.size; k++) {
        const slot = this.neighbors.slotAt(k);
        from = Math.max(from, this.peerBySlot.notBefore(slot));
        to = Math.min(to, this.peerBySlot.notAfter(slot));
      }
      this.rowsValidFrom = from;
      this.rowsValidTo = to;
    }
    return wall >= this.rowsValidFrom && wall <= this.rowsValidTo;
  }

  /**
   * `n` is the sender's row if it has one (found by id when the frame came in); `peer` its
   * certificate-cache slot if the cache admitted it (always so without a row), -1 if its row did.
   */
  private onHello(n: Neighbor | undefined, peer: number, senderHex: string, window: number, link: unknown, now: number): Neighbor | undefined {
    const hello = this.hello;
    const cache = this.certificates;
    if (n) {
      if (peer >= 0) this.copyPeer(n.slot, peer);
    } else {
      const role = cache.entries.role(peer);
      const admitted = this.neighbors.admit(cache.idOf(peer), senderHex, link, role, hello.beaconSeq, hello.intervalMs, now);
      if (!admitted) {
        this.counters.drop(DropReason.TableFull);
      } else {
        n = admitted.neighbor;
        this.copyPeer(n.slot, peer);
        // The slot's previous window (if any) is let go only now, as a slot held it until reused.
        const row = ROW_WORDS * n.slot;
        const previous = this.rowWords[row + ROW_WINDOW];
        this.windows.hold(window);
        if (previous >= 0) this.windows.release(previous);
        this.rowWords[row + ROW_WINDOW] = window;
        this.forgedRows &= ~(1 << n.slot);
        resetIn(this.rowWords, row + ROW_FRAMES, 2 * this.framesPerSecond, now);
        // The evicted neighbor's reputation is still the slot's until the newcomer's replaces it.
        if (admitted.evicted) this.rememberStanding(admitted.evicted, now);
        this.droppedStanding.restore(senderHex, n.slot, now, this.scores, this.relayWatch, this.custodyTrust);
        this.expiryAt = Math.min(this.expiryAt, this.neighbors.nextExpiry());
        if (admitted.evicted) this.dropRoutesVia(admitted.evicted.slot);
        if (admitted.evicted) this.emit({ type: "neighbor-down", id: admitted.evicted.idHex, reason: "evicted" });
        this.emit({ type: "neighbor-up", id: senderHex, role });
      }
    }
    if (n) {
      this.neighbors.heard(n, hello, this.id, link, now);
      if (this.config.relayPolicy === "coverage") this.repairFor(n, hello, now);
    }
    // Anti-entropy for revocations: a neighbor that holds an older list gets ours, once per period.
    if (this.revocationBytes && hello.revocationSerial < this.revocation!.serial &&
        now - this.revocationPushedAt >= this.config.beaconIntervalMs) {
      this.revocationPushedAt = now;
      this.ownQueue.push(encodeGossip(this.ownerId, this.revocation!.serial, GossipKind.Revocation, 0, this.config.hopLimit, this.revocationBytes));
    }
    return n;
  }

  /**
   * A GOSSIP or REPAIR record, checked, whose body is plain[start .. end): most are copies already
   * seen, handled in place before any view or decoding.
   */
  private onGossip(plain: Uint8Array, start: number, end: number, transmitter: Neighbor | undefined, repaired: boolean, now: number): void {
    // The origin is the body's first 8 bytes: the lookups below read it in place.
    const seq = readU32(plain, start + GOSSIP_SEQ_OFFSET);
    // Relayed, not its own: the transmitter's id is the frame's sender, read from the header (its row is cold).
    if (transmitter && !equalAt(this.header.sender, 0, plain, start, NODE_ID_BYTES)) this.relayWatch.heardRelaying(transmitter.slot);
    if (this.seen.has(plain, seq, start)) {
      this.counters.messagesDuplicate++;
      const p = this.pending.find(plain, seq, start);
      if (p >= 0) {
        this.pending.heardCopy(p);
        if (transmitter) applyCopy(this.pending.miss, transmitter, this.pending.missAt(p));
      }
      return;
    }
    const body = plain.subarray(start, end);
    const g = this.gossip;
    decodeGossip(body, g); // checked in handleFrame
    this.gossipHeld = true;
    if (this.isRevoked(g.origin)) {
      // Relayed by a neighbor that has not heard the list yet: neither delivered nor relayed. Seen, and
      // kept as a key, so our HELLO lists it and neighbors do not repair it to us.
      this.seen.add(g.origin, g.seq);
      this.recent.add(messageKey(g.origin, g.seq), null, now, repaired);
      return this.counters.drop(DropReason.Revoked);
    }
    if (g.kind === GossipKind.Revocation) {
      // Self-authenticating: verified before it is marked seen or relayed, so a forgery cannot
      // occupy the slot of the real list.
      if (g.seq <= this.revocationSerial) return;
      const bytes = g.payload.slice();
      const list = equalBytes(g.origin, this.ownerId)
        ? verifyRevocationList(this.crypto, bytes, this.provisioning.ownerPublicKey, this.provisioning.networkId)
        : null;
      if (!list || list.serial !== g.seq) return this.counters.drop(DropReason.BadSignature);
      this.applyRevocation(list, bytes, now);
    }
    // A gateway's certificate passes the cheap checks before it is marked seen, relayed or spends the
    // certificate budget, at every node: a made-up one goes no farther than the insider's neighbors,
    // and cannot occupy the slot of the gateway's own.
    if (g.kind === GossipKind.GatewayCertificate && !this.isGatewayCertificate(g.origin, g.payload)) {
      return this.counters.drop(DropReason.BadCertificate);
    }
    this.seen.add(g.origin, g.seq);
    this.counters.messagesNew++;
    this.relayWatch.newMessage(this.designated);
    this.eclipseWatch.heardOrigin(idKey(g.origin, 0));
    if (transmitter) this.scores.record(transmitter.slot, Behavior.FirstDelivery, now);
    const originHex = toHex(g.origin);
    // Revocations are the owner's, and urgent: never rate-limited. A gateway's certificate has a budget
    // of its own (origin-limiter.ts): it must not starve the gateway's commands, nor they it.
    const withinRate = g.kind === GossipKind.Revocation ||
      (g.kind === GossipKind.GatewayCertificate ? this.originLimiter.allowCertificate(g.origin, now) : this.originLimiter.allow(g.origin, now));
    if (!withinRate) this.counters.relaysRateLimited++;
    const relayable = this.role !== Role.Leaf && g.hops + 1 < g.hopLimit && withinRate;
    const copy = relayable ? body.slice() : null;
    if (copy) copy[GOSSIP_HOPS_OFFSET] = g.hops + 1;
    // Over-budget messages stay out of the repair store and HELLO lists: a flood must not push honest
    // messages out of them.
    // Kept: a view of the store's arena, queued below as its run (the handlers between publish at most
    // a message or two of our own, and the store holds 8 or more: this entry stays).
    const kept = withinRate ? this.recent.add(messageKey(g.origin, g.seq), copy, now, repaired) : null;
    if (g.kind === GossipKind.Data) {
      this.emit({ type: "message", origin: originHex, seq: g.seq, payload: g.payload.slice(), hops: g.hops + 1 });
      if (this.config.attribute) {
        this.attribution.remember(originHex, g.seq, messageDigest(this.crypto, g.origin, g.seq, g.kind, g.payload));
      }
    } else if (g.kind === GossipKind.Checkpoint && this.config.attribute) {
      this.attributeCheckpoint(g, originHex, now);
    } else if (g.kind === GossipKind.Command && isCommandFor(g.payload, this.id)) {
      this.onCommand(g.origin, originHex, g.seq, g.payload, g.hops, now);
    } else if (g.kind === GossipKind.CommandResend && isCommandFor(g.payload.subarray(RESEND_SEQ_BYTES), this.id)) {
      const seq = resentCommandSeq(g.payload, g.seq);
      if (seq === 0) this.counters.drop(WireError.BadField);
      else this.onCommand(g.origin, originHex, seq, g.payload.subarray(RESEND_SEQ_BYTES), g.hops, now);
    } else if (g.kind === GossipKind.Handover && this.role === Role.Gateway) {
      this.onHandover(g.origin, g.seq, g.payload, now);
    } else if (g.kind === GossipKind.GatewayCertificate && this.role !== Role.Gateway) {
      this.forward.onGatewayCertificate(g.origin, g.payload, g.hops + 1);
    }
    if (!copy) return;
    // Under the coverage policy the neighbors that the transmitter of our first copy designated
    // relay first (OLSR's rule). An unknown transmitter, or one that designated nobody yet, counts as
    // designating, and so does a repair: the chain of designated relays broke where we missed it, so
    // it resumes here for any neighbor still missing the message. Where links are good
    // (wellLinked), a designated relay goes out only for WELL_LINKED_NEEDED neighbors or more (or a
    // bridge), and the others never relay: a small gap is HELLO-driven repair's, which sends only
    // where a miss is shown; its budget per HELLO grows with the messages judged, so it keeps up in a
    // busy mesh too. Where they are poor, the others wait FALLBACK_DELAY_UNITS longer and relay only
    // where the copies they heard meanwhile leave a neighbor likely missing it, which fills the gaps
    // loss tears.
    let needed = 1;
    let extraDelay = 0;
    if (this.config.relayPolicy === "coverage" && !repaired && transmitter && transmitter.selectsAny) {
      // Gaps are left only while the origin's budget here can still pay for a repair (its first
      // copy's token taken): an origin publishing near its rate has none to spare.
      const good = this.canRepair(body, now) && wellLinked(this.neighbors);
      if (transmitter.selectsUs) needed = good ? WELL_LINKED_NEEDED : 1;
      else if (good) return;
      else extraDelay = FALLBACK_DELAY_UNITS * this.config.relayDelayMs;
    }
    const p = this.pending.add(kept ?? copy, g.seq, false, needed);
    if (p < 0) return this.counters.drop(DropReason.QueueFull);
    resetMiss(this.pending.miss, this.pending.missAt(p), this.neighbors.capacity);
    if (transmitter) applyCopy(this.pending.miss, transmitter, this.pending.missAt(p));
    this.schedule(p, now, extraDelay);
  }

  /**
   * `origin`'s command `seq` for this node (docs/protocol.md §Commands), first sent or resent (its
   * gossip `hops` so far): the inbox's cheap checks, then the carried certificate's admission and the
   * origin's signature; only then is it acted on, and acked. A copy of the last command acted on from
   * that origin is acked again: the origin resent it because our ack did not reach it.
   */
  private onCommand(origin: Uint8Array, originHex: string, seq: number, payload: Uint8Array, hops: number, now: number): void {
    const view = this.commands.check(origin, seq, payload);
    if (typeof view === "number") {
      if (view === DropReason.CommandReplay && seq === this.commands.actedOn(origin)) this.ackCommand(origin, seq, now);
      return this.counters.drop(view);
    }
    const publicKey = this.admitOrigin(origin, view.certificate, now);
    if (!publicKey) return;
    if (!verifyCommandSignature(this.crypto, view, origin, seq, publicKey)) return this.counters.drop(DropReason.BadSignature);
    this.commands.accept(origin, seq);
    this.emit({ type: "command", origin: originHex, seq, path: commandPathText(view), value: view.value.slice(), hops: hops + 1 });
    this.ackCommand(origin, seq, now);
  }

  /**
   * Gateway `origin`'s handover message (docs/protocol.md §Store-and-forward, "Changing home"): its
   * notices are acted on only if the gateway named as origin signed them, and only once. Cheap checks
   * first: the decode, whether a notice is for us (others are relayed unverified), the sender's replay
   * floor (a replay costs no verify); then the carried certificate's admission with the gateway role,
   * and the signature. Only a verified message moves the floor: a forgery must not refuse the genuine.
   */
  private onHandover(origin: Uint8Array, seq: number, payload: Uint8Array, now: number): void {
    const view = decodeHandover(payload);
    if (typeof view === "number") return this.counters.drop(view);
    if (!handoverNames(view, this.id)) return;
    const floors = this.handoverFloors!;
    if (floors.refuses(origin, seq, now)) return this.counters.drop(DropReason.HandoverReplay);
    const publicKey = this.admitGateway(origin, view.certificate, now, this.handoverVerifyBudget);
    if (!publicKey) return;
    if (!verifyHandoverSignature(this.crypto, view, origin, seq, publicKey)) return this.counters.drop(DropReason.BadSignature);
    floors.accept(origin, seq, now);
    this.forward.onHandover(origin, view.notices, now);
  }

  /**
   * The cheap checks of gateway `gateway`'s gossiped certificate (docs/protocol.md §Store-and-forward,
   * "Gateway certificates"): a gateway's, its key hashing to the gossip's origin (one SHA-512), no
   * signature; store-and-forward keeps it for the day the gateway becomes our home, and admits it then.
   */
  private isGatewayCertificate(gateway: Uint8Array, certificate: Uint8Array): boolean {
    const cert = decodeCertificate(certificate);
    return typeof cert !== "number" && cert.role === Role.Gateway && equalBytes(nodeIdOf(this.crypto, cert.publicKey), gateway);
  }

  /** Gateways: our certificate, gossiped mesh-wide, so origins hold our CONFIRM key before their first reading. */
  private gossipCertificate(now: number): void {
    this.certificateGossipAt = now + CERTIFICATE_GOSSIP_EVERY_MS;
    this.publishOwn(this.takeSeq(), GossipKind.GatewayCertificate, this.provisioning.certificate, now);
  }

  /** Sends `origin` our signed ack of its command `seq` (the one signed last is reused), hop by hop. */
  private ackCommand(origin: Uint8Array, seq: number, now: number): void {
    const { secretKey, certificate } = this.provisioning;
    const payload = this.commands.ack(origin, seq, () => encodeCommandAck(this.crypto, secretKey, certificate, origin, this.id, seq));
    this.forward.sendCommandAck(origin, seq, payload, now);
    this.forward.tick(now);
  }

  /** `target`'s ack of our command `seq`: checked only for a command in flight, then signed by the target's admitted key. */
  onCommandAck(target: Uint8Array, seq: number, payload: Uint8Array, now: number): void {
    const c = this.commandOutbox?.inFlight(toHex(target), seq);
    if (!c) return;
    const publicKey = this.admitOrigin(target, commandAckCertificate(payload), now);
    if (!publicKey) return;
    if (!verifyCommandAck(this.crypto, payload, this.id, target, seq, publicKey)) return this.counters.drop(DropReason.BadSignature);
    this.commandOutbox!.remove(c);
    this.emit({ type: "command-acked", target: c.targetHex, seq, path: c.path, resends: c.resends, ms: now - c.submittedAt });
    this.sendNextCommand(c.targetHex, now);
  }

  /** Schedules repairs of the recent messages that `n`'s HELLO shows it missed. */
  private repairFor(n: Neighbor, hello: HelloView, now: number): void {
    if (this.role === Role.Leaf || n.hearsUs === 0) return;
    const opened = ownJudgedFrom(now, hello.recentWindowMs);
    const from = judgedFrom(now, hello.recentWindowMs, hello.intervalMs);
    const to = judgedTo(now);
    const recent = this.recent;
    const end = recent.firstAfter(to);
    if (end === 0) return;
    // The HELLO lists newest first and we walk oldest first: the first lookup starts at its end.
    let near = hello.recentCount - 1;
    // As many as the messages judged (at least MAX_REPAIRS_PER_HELLO), so that repair keeps up with a
    // busy mesh's gaps; the relay queue's second half stays the first relays' (below) all the same.
    let budget = Math.max(MAX_REPAIRS_PER_HELLO, end - recent.firstAfter(from));
    // The neighbors that `n` hears better than us repair first, REPAIR_RANK_UNITS apart: most have
    // the message too, and a repair heard from one of them cancels ours.
    let rank = 0;
    for (let k = 0; k < hello.neighborCount; k++) if (helloNeighborQuality(hello, k) > n.hearsUs) rank++;
    const rankDelay = rank * REPAIR_RANK_UNITS * this.config.relayDelayMs;
    const again = missingJudgedFrom(now, hello.recentWindowMs, hello.intervalMs);
    const forgotten = missingForgottenBefore(now, hello.intervalMs);
    // Entries older than both the span and every entry shown missing are judged for no one; from
    // `opened` on only while one of ours may be among them.
    let lowest = Infinity;
    let i = recent.firstAfter(Math.min(recent.lastOwnAt > opened ? opened : from, recent.shownFrom - 1));
    for (; i < end && budget > 0; i++) {
      const at = recent.receivedAt(i);
      let missing = recent.missing(i);
      if (missing !== 0) {
        if (recent.missingAt(i) <= forgotten) {
          recent.forgetMissing(i);
          missing = 0;
        } else if (at < lowest) lowest = at;
      }
      // The time checks first: most entries are out of the span (or listed), and a probe costs more.
      const shown = (missing & (1 << n.slot)) !== 0;
      // Before `from`, only our own messages are judged (no neighbor had one before we sent it).
      if (!shown && (at <= opened || (at <= from && !recent.own(i)))) continue;
      if (!recent.canRepair(i)) continue;
      const position = listedPosition(hello, listedKey(recent.key(i)), near);
      if (position >= 0) {
        near = position - 1;
        if (shown) recent.listedBy(i, n.slot);
        continue;
      }
      if (shown && recent.missingAt(i) <= again) continue;
      recent.shownMissing(i, n.slot, now);
      if (at < lowest) lowest = at;
      const body = recent.body(i)!;
      const seq = readU32(body, 8);
      const p = this.pending.find(body, seq);
      if (p >= 0) {
        // Shown missing: the pending relay goes out for it alone if need be.
        this.pending.miss[this.pending.missAt(p) + n.slot] = 255;
        this.pending.setNeeded(p, 1);
        continue;
      }
      // Repairs never take the second half of the relay queue: first relays keep their room.
      if (this.pending.length >= this.config.pendingRelayCapacity / 2) return;
      // A repair is a transmission of the origin's traffic too: it takes a token of its budget when
      // it goes out (takeDueRelays; one suppressed meanwhile costs none), and is scheduled only while
      // one is left. At most MAX_REPAIRS_PER_MESSAGE per message, so that an origin within its rate
      // keeps budget for its next messages even where relays leave many gaps to repair.
      if (recent.repairs(i) >= MAX_REPAIRS_PER_MESSAGE || !this.canRepair(body, now)) continue;
      recent.repaired(i);
      const repair = this.pending.add(body, seq, true);
      this.pending.miss[this.pending.missAt(repair) + n.slot] = 255;
      this.schedule(repair, now, rankDelay);
      budget--;
    }
    // A scan that saw every entry from shownFrom on knows the oldest still shown missing.
    if (i >= end) recent.scannedFromShown(lowest);
  }

  /** Whether a repair of gossip `body` could go out now: its origin has a token to spare, if it costs one. */
  private canRepair(body: Uint8Array, now: number): boolean {
    return !costsToken(body) || this.originLimiter.spare(body, now) >= 1;
  }

  /** Sets when queued relay `p` fires: a delay that shrinks as its expected gain (from its miss row) grows. */
  private schedule(p: number, now: number, extraDelay: number): void {
    const { relayPolicy, relayDelayMs } = this.config;
    const gain = expectedGain(this.pending.miss, this.neighbors, this.pending.missAt(p));
    this.pending.setFireAt(p, now + extraDelay + relayDelay(relayPolicy, gain, relayDelayMs, unitFloat(this.random)));
  }

  private attributeCheckpoint(g: GossipView, originHex: string, now: number): void {
    const view = decodeCheckpoint(g.payload, g.seq);
    if (!view) return this.counters.drop(DropReason.BadSignature);
    const peer = this.admit(originHex, g.origin, view.certificate, now);
    if (peer < 0) return;
    this.counters.checkpointsVerified++;
    if (!verifyCheckpointSignature(this.crypto, view, g.origin, g.seq, this.certificates.entries.publicKey(peer))) {
      return this.counters.drop(DropReason.BadSignature);
    }
    const seqs = this.attribution.attribute(originHex, view);
    if (seqs.length > 0) this.emit({ type: "attributed", origin: originHex, seqs });
  }

  private applyRevocation(list: RevocationList, bytes: Uint8Array, now: number): void {
    this.revocation = list;
    this.revocationBytes = bytes;
    this.storage.set(KEY_REVOCATION, bytes);
    for (const n of [...this.neighbors]) {
      if (isRevoked(list, n.id)) this.forgetPeer(n.id, n.idHex, "revoked", now);
    }
    for (const slot of this.certificates.slotsByUse()) {
      const id = this.certificates.idOf(slot);
      if (isRevoked(list, id)) this.forgetPeer(id, toHex(id), "revoked", now);
    }
    this.forward.forgetKeys((id) => isRevoked(list, id));
    this.emit({ type: "revocation", serial: list.serial, count: list.count });
  }

  private forgetPeer(id: Uint8Array, idHex: string, reason: "revoked" | "expired", now: number): void {
    const n = this.neighbors.get(idHex);
    if (n) {
      // A revoked peer is never admitted again; one whose certificate expired may come back renewed.
      if (reason === "expired") this.rememberStanding(n, now);
      this.neighbors.remove(n);
      this.dropRoutesVia(n.slot);
      this.emit({ type: "neighbor-down", id: idHex, reason });
    }
    this.certificates.delete(id);
  }

  /** Neighbor `n` leaves the table, its reputation still in its slot: what it had against it is kept for its return. */
  private rememberStanding(n: Neighbor, now: number): void {
    this.droppedStanding.remember(n.idHex, n.slot, now, this.scores, this.relayWatch, this.custodyTrust);
  }

  /** A neighbor left the table: no route of either kind goes through it any more. */
  private dropRoutesVia(slot: number): void {
    this.routes.dropNeighbor(slot);
    this.discovery.dropNeighbor(slot);
  }

  isRevoked(id: Uint8Array): boolean {
    return this.revocation !== null && isRevoked(this.revocation, id);
  }

  /** A neighbor's ROUTE record: its routes to gateways, candidates for ours. Leaves route for no one. */
  private onRoute(n: Neighbor, now: number): void {
    if (n.role === Role.Leaf) return;
    // An avoided neighbor's routes take no candidate places: a liar's attractive routes would crowd
    // the honest ones out of the table.
    if (this.avoids(n.slot, now)) {
      this.routes.dropNeighbor(n.slot);
    } else {
      const view = this.routeView;
      for (let i = 0; i < view.count; i++) {
        const entry = view.entries[i];
        // A retraction (with the sender's FD seqno) asks for a newer seqno: a gateway issues one
        // with its next record, and a neighbor holding one already tells it now.
        if (entry.metric !== INFINITE_METRIC) continue;
        const wanted = (entry.seqno + 1) & 0xffff;
        const ours = this.role === Role.Gateway && equalBytes(entry.destination, this.id);
        if (ours || this.routes.wants(n.slot, entry.destination, wanted)) this.triggerRouteUpdate(now);
      }
      this.routes.updateFrom(n.slot, view, this.id, this.revocation);
    }
    this.selectRoutes(now);
  }

  /**
   * Cost of handing data to the neighbor in `slot` (metric units), Infinity when it carries no
   * route. Leaves relay for no one; `leafOk` admits one as the last hop of a route to itself.
   */
  private linkCost(slot: number, now: number, leafOk: boolean): number {
    const n = this.neighbors.bySlot(slot);
    if (!n || (n.role === Role.Leaf && !leafOk) || this.avoids(slot, now)) return Infinity;
    // Silent for two beacons and more: probably gone, so it carries no route (the table waits
    // longer before dropping it); a route through it would hold readings for nothing.
    if (now - n.lastHeardAt > STALE_BEACONS * n.intervalMs) return Infinity;
    const cost = n.etx(now) * 256 * (n.role === Role.Node ? NODE_HOP_PENALTY : 1);
    const deficit = this.custodyTrust.deficit(slot, now);
    return deficit > 0 ? cost + DISTRUSTED_HOP_COST + Math.min(MAX_DEFICIT, deficit) * BROKEN_READING_COST : cost;
  }

  private selectRoutes(now: number): void {
    this.routes.select((slot) => this.linkCost(slot, now, false));
    // A route lost (to any gateway), or the one to the nearest gateway found or moved to another next
    // hop, is news worth telling before the next beacon: neighbors that route through us repair one
    // hop per trigger instead of one per beacon.
    const hop = this.routes.nearest()?.nextHop ?? -1;
    if (this.routes.takeAnswered()) this.triggerRouteUpdate(now);
    if (this.routes.takeLost()) this.triggerRouteUpdate(now);
    if (hop !== this.nearestHop) {
      this.nearestHop = hop;
      this.triggerRouteUpdate(now);
    }
  }

  /**
   * Schedules our ROUTE record 50–100 ms from now, or as soon as the once-a-second limit allows:
   * a repair found just after a retraction went out must still travel before the next beacon.
   */
  private triggerRouteUpdate(now: number): void {
    if (this.routeUpdateAt !== Infinity || this.role === Role.Leaf) return;
    const soon = now + TRIGGER_DELAY_MS + Math.floor(unitFloat(this.random) * TRIGGER_DELAY_MS);
    this.routeUpdateAt = Math.max(soon, this.routeUpdatedAt + MIN_TRIGGER_GAP_MS);
  }

  /** Our ROUTE record for this beacon: ourselves if we are a gateway, then the routes we selected. */
  private buildRoute(now: number): Uint8Array | null {
    if (this.role === Role.Leaf) return null;
    this.routeUpdateAt = Infinity;
    this.routeUpdatedAt = now;
    const entries = this.routeEntries;
    if (this.role === Role.Gateway) {
      entries.push({ destination: this.id, seqno: this.freshRouteSeqno(-1), metric: 0 });
    }
    this.selectRoutes(now);
    this.routes.advertise(entries, MAX_ROUTE_ENTRIES);
    // A lost route's retractions repeat a second apart, not a beacon: one lost copy would leave
    // neighbors routing through us, and its ask for a newer seqno unheard, for a whole beacon.
    if (this.routes.retractingLoss()) this.triggerRouteUpdate(now);
    const record = entries.length > 0 ? encodeRoute(entries) : null;
    // Encoded: its entries are not held until the next beacon.
    entries.length = 0;
    return record;
  }

  /**
   * The next hop toward any node: the node itself when it is a usable neighbor, else the gateway
   * route when it is a gateway, else the on-demand route (discovered when missing or broken).
   */
  nextHopToNode(destination: Uint8Array, now: number): number {
    const n = this.neighbors.findAt(destination, 0);
    if (n && this.linkCost(n.slot, now, true) < Infinity) return n.slot;
    const r = this.routes.routeTo(destination);
    if (r && this.linkCost(r.nextHop, now, false) < Infinity) return r.nextHop;
    return this.discovery.nextHop(destination, now);
  }

  onDirectMessage(origin: Uint8Array, seq: number, payload: Uint8Array, hops: number, slot: number): void {
    // Custody resends after a lost ACK: deliver each (origin, seq) once.
    if (this.seen.has(origin, seq)) return;
    this.seen.add(origin, seq);
    this.counters.directDelivered++;
    const from = this.neighbors.bySlot(slot);
    this.emit({ type: "direct-message", origin: toHex(origin), seq, payload: payload.slice(), hops, from: from ? from.idHex : "" });
  }

  /** Valid on-demand routes to other nodes, for monitors and the simulator's loop checks (next hops as ids). */
  nodeRouteSummary(now: number): { destination: string; nextHop: string; seqno: number; metric: number }[] {
    const out: { destination: string; nextHop: string; seqno: number; metric: number }[] = [];
    for (const r of this.discovery.routes.routes(now) as NodeRoute[]) {
      const hop = this.neighbors.bySlot(r.nextHop);
      if (hop) out.push({ destination: r.destination, nextHop: hop.idHex, seqno: r.seqno, metric: r.metric });
    }
    return out;
  }

  /** Route discovery's traffic so far: requests started here, relayed, dropped (queue full); replies sent as target, reply records sent. */
  get discoveryCounters(): { requestsStarted: number; requestsRelayed: number; requestsDropped: number; repliesSent: number; replyRecords: number } {
    const d = this.discovery;
    return { requestsStarted: d.requestsStarted, requestsRelayed: d.requestsRelayed, requestsDropped: d.requestsDropped,
      repliesSent: d.repliesSent, replyRecords: d.replyRecords };
  }

  /** The way to the nearest gateway: its id, the neighbor to hand data to, and the path's metric (ETX × 256). */
  nearestGateway(): { gateway: string; nextHop: string; metric: number } | null {
    return this.describeRoute(this.routes.nearest());
  }

  /** Every selected route, for monitors and the simulator's loop checks. */
  routeSummary(): { gateway: string; nextHop: string; metric: number; seqno: number }[] {
    const out: { gateway: string; nextHop: string; metric: number; seqno: number }[] = [];
    for (const r of this.routes.routes()) {
      const d = this.describeRoute(r);
      if (d) out.push({ ...d, seqno: r.seqno });
    }
    return out;
  }

  private describeRoute(r: Route | null): { gateway: string; nextHop: string; metric: number } | null {
    const hop = r ? this.neighbors.bySlot(r.nextHop) : null;
    return r && hop ? { gateway: r.destinationHex, nextHop: hop.idHex, metric: r.metric } : null;
  }

  /** Sends what is due now — a beacon, relays whose delay ended, our own messages — packed into frames. */
  private flush(now: number): void {
    const parts = this.parts;
    const beacon = now >= this.nextBeaconAt;
    if (beacon) {
      parts.push({ type: RecordType.Hello, body: this.buildHello(now) });
      const route = this.buildRoute(now);
      if (route) parts.push({ type: RecordType.Route, body: route });
      const { beaconIntervalMs, beaconJitter } = this.config;
      this.nextBeaconAt = now + Math.max(1, Math.round(beaconIntervalMs * (1 + beaconJitter * (2 * unitFloat(this.random) - 1))));
      this.counters.beaconsOut++;
    } else if (now >= this.routeUpdateAt) {
      const route = this.buildRoute(now);
      if (route) parts.push({ type: RecordType.Route, body: route });
    }
    if (this.ownQueue.length > 0) {
      for (const body of this.ownQueue) parts.push({ type: RecordType.Gossip, body });
      this.ownQueue.length = 0;
    }
    this.discovery.takeDue(now, parts);
    this.content?.takeBroadcast(parts, beacon, now);
    this.takeDueRelays(now, now, false, parts);
    // A frame is going out anyway: relays due within the piggyback window that would go out now ride
    // along, saving a seal and a transmission each (coverage policy; the baselines stay as defined).
    if (parts.length > 0 && this.config.relayPolicy === "coverage") {
      this.takeDueRelays(now, now + PIGGYBACK_UNITS * this.config.relayDelayMs, true, parts);
    }
    if (parts.length > 0) {
      this.pack(parts, null);
      parts.length = 0;
    }
    if (this.unicast.size === 0) return;
    for (const [slot, list] of this.unicast) {
      const n = this.neighbors.bySlot(slot);
      if (n) this.pack(list, n.link);
    }
    this.unicast.clear();
  }

  /** Moves pending relays due by `until` into `parts` (or drops them as suppressed). */
  private takeDueRelays(now: number, until: number, onlyIfRelaying: boolean, parts: { type: RecordType; body: Uint8Array }[]): void {
    const pending = this.pending;
    // Most flushes follow a frame received while no relay is due: skip the scan.
    if (pending.earliest() > until) return;
    for (let i = 0; i < pending.length; ) {
      const p = pending.slotAt(i);
      const fireAt = pending.fireAt(p);
      const repair = pending.isRepair(p);
      const target = repair ? REPAIR_SUPPRESS_BELOW : this.config.coverageTarget;
      // A repair takes its token of the origin's budget only now, as it goes out (see repairFor).
      const relay = fireAt <= until && shouldRelay(this.config.relayPolicy, pending.copies(p), pending.miss, this.neighbors,
        target, pending.missAt(p), pending.needed(p)) && (!repair || !costsToken(pending.body(p)) || this.originLimiter.allow(pending.body(p), now));
      if (fireAt > until || (onlyIfRelaying && !relay)) {
        i++;
        continue;
      }
      // Too few neighbors miss it to send now, but a bridge (or a sparse neighbor) may: wait and listen (a bridge relays
      // what it gets, and so is heard), then relay for any neighbor still missing it. A chain's
      // message thus waits a few relay delays at a hop, not a HELLO.
      if (!relay && pending.needed(p) > 1 && likelyMissing(pending.miss, this.neighbors, target, pending.missAt(p), this.bridges) > 0) {
        pending.setNeeded(p, 1);
        pending.setFireAt(p, fireAt + FALLBACK_DELAY_UNITS * this.config.relayDelayMs);
        i++;
        continue;
      }
      const body = pending.body(p);
      const seq = pending.seq(p);
      pending.removeAt(i);
      if (relay) {
        parts.push({ type: repair ? RecordType.Repair : RecordType.Gossip, body });
        this.counters.relays++;
        if (repair) {
          this.counters.repairs++;
          this.recent.repairSent(messageKey(body, seq), now);
        }
        this.emit({ type: "relayed", origin: idHexAt(body, 0), seq, hops: body[GOSSIP_HOPS_OFFSET] });
      } else {
        this.counters.relaysSuppressed++;
      }
    }
  }

  /** Packs records into as few sealed frames as fit, for broadcast (`to` null) or one neighbor's link. */
  private pack(parts: { type: RecordType; body: Uint8Array }[], to: unknown | null): void {
    let start = 0;
    while (start < parts.length) {
      let size = 0;
      let end = start;
      while (end < parts.length && end - start < MAX_RECORDS &&
             size + RECORD_HEADER_BYTES + parts[end].body.length <= MAX_PAYLOAD_BYTES) {
        size += RECORD_HEADER_BYTES + parts[end].body.length;
        end++;
      }
      const payload = new Uint8Array(size);
      let at = 0;
      for (let i = start; i < end; i++) at = writeRecord(payload, at, parts[i].type, parts[i].body);
      const frame = this.sealer!.seal(payload);
      if (!frame || this.outbox.length >= OUTBOX_CAPACITY) {
        this.counters.drop(DropReason.QueueFull);
      } else {
        this.outbox.push({ bytes: frame, to });
        this.counters.framesOut++;
        this.counters.bytesOut += frame.length;
      }
      start = end;
    }
  }

  private buildHello(now: number): Uint8Array {
    const list: HelloNeighbor[] = [];
    let unacknowledged = this.neighbors.size === 0;
    const avoided = this.avoidedSlots(now);
    const relays = this.config.relayPolicy === "coverage"
      ? selectRelays(this.neighbors, this.idKey, this.config.relaySelectionMiss, this.notToDesignate(now)) : 0;
    this.designated = relays;
    this.bridges = this.config.relayPolicy === "coverage"
      ? (soleBridges(this.neighbors, this.idKey) | sparseNeighbors(this.neighbors, WELL_LINKED_NEIGHBORS)) >>> 0 : 0;
    const signs = this.eclipseWatch.check(now, popcount16(avoided & 0xffff) + popcount16(avoided >>> 16), this.neighbors.size);
    if (signs) this.emit({ type: "eclipse-suspected", ...signs });
    for (const n of this.neighbors) {
      list.push({ id: n.id, quality: toQualityByte(n.reception(now)), relay: ((relays >>> n.slot) & 1) === 1 });
      if (n.hearsUs === 0) unacknowledged = true;
    }
    const withCertificate = unacknowledged || this.certificateWanted || this.beaconSeq % CERTIFICATE_EVERY === 0;
    this.certificateWanted = false;
    const since = listedSince(now, this.config.beaconIntervalMs);
    const listed = this.recent.keysSince(since, this.recentKeys);
    const body = encodeHello(this.beaconSeq, this.config.beaconIntervalMs, this.revocationSerial,
      withCertificate ? this.provisioning.certificate : null, list, this.recent.listedWindow(since, now, listed),
      this.recentKeys.subarray(0, listed));
    this.beaconSeq = (this.beaconSeq + 1) & 0xffff;
    return body;
  }

  private takeSeq(): number {
    const seq = this.nextSeq++;
    if (this.nextSeq >= this.reservedSeq) this.reserveSeq();
    return seq;
  }

  /** Persists the end of a new block before any number in it is used. */
  private reserveSeq(): void {
    this.reservedSeq = this.nextSeq + SEQ_BLOCK;
    writeStoredU32(this.storage, KEY_SEQ, this.reservedSeq);
  }

  /** A frame that authenticated but carried a bad record: dropped whole, and held against its sender. */
  private rejectRecords(error: WireError, sender: Uint8Array, now: number): void {
    this.counters.drop(error);
    const n = this.neighbors.findAt(sender, 0);
    if (n) this.judgeNeighbor(n, Behavior.InvalidRecord, now);
  }

  /** Scores what a neighbor did; one that falls below IGNORE_BELOW is dropped and ignored for a while. */
  private judgeNeighbor(n: Neighbor, behavior: Behavior, now: number): void {
    if (behavior === Behavior.BrokenCustody) {
      this.custodyTrust.recordBroken(n.slot, now);
      // Its cost as a next hop just rose: choose again before the reading it lost is resent.
      this.selectRoutes(now);
    } else if (behavior === Behavior.KeptCustody) this.custodyTrust.recordKept(n.slot, now);
    if (this.scores.record(n.slot, behavior, now) >= IGNORE_BELOW) return;
    this.scores.ignore(n.idHex, now);
    this.rememberStanding(n, now);
    this.neighbors.remove(n);
    this.dropRoutesVia(n.slot);
    this.emit({ type: "neighbor-down", id: n.idHex, reason: "ignored" });
  }

  /** Neighbors not to rely on (low score, or never heard relaying), as a slot mask. */
  private avoidedSlots(now: number): number {
    let mask = 0;
    for (const n of this.neighbors) if (this.avoids(n.slot, now)) mask |= 1 << n.slot;
    return mask >>> 0;
  }

  // What the node's parts ask of it (their contexts); hosts have no use for these.

  get isGateway(): boolean {
    return this.role === Role.Gateway;
  }

  get isLeaf(): boolean {
    return this.role === Role.Leaf;
  }

  get ownerPublicKey(): Uint8Array {
    return this.provisioning.ownerPublicKey;
  }

  get networkId(): number {
    return this.provisioning.networkId;
  }

  neighborAt(slot: number): string | null {
    return this.neighbors.bySlot(slot)?.idHex ?? null;
  }

  drop(reason: DropReason | WireError): void {
    this.counters.drop(reason);
  }

  nextHopToward(destination: Uint8Array): number {
    const r = this.routes.routeTo(destination);
    return r && this.neighbors.bySlot(r.nextHop) ? r.nextHop : -1;
  }

  nearestGatewayId(except: Uint8Array | null = null): Uint8Array | null {
    return this.routes.nearest(except)?.destination ?? null;
  }

  trustedGatewayId(except: Uint8Array, now: number): Uint8Array | null {
    return this.routes.nearest(except, (slot) => !this.custodyTrust.distrusted(slot, now))?.destination ?? null;
  }

  distrusted(slot: number, now: number): boolean {
    return this.custodyTrust.distrusted(slot, now);
  }

  broadcastHandover(notices: Uint8Array, now: number): void {
    const seq = this.takeSeq();
    const { secretKey, certificate } = this.provisioning;
    this.publishOwn(seq, GossipKind.Handover, encodeHandover(this.crypto, secretKey, certificate, this.id, seq, notices), now);
  }

  hasNeighbor(slot: number): boolean {
    return this.neighbors.bySlot(slot) !== null;
  }

  lenderSlot(k: number): number {
    // Leaves keep their battery; a neighbor that does not hear us could not ACK.
    let count = 0;
    for (const n of this.neighbors) if (n.role !== Role.Leaf && n.hearsUs > 0) count++;
    if (count === 0) return -1;
    let i = k % count;
    for (const n of this.neighbors) if (n.role !== Role.Leaf && n.hearsUs > 0 && i-- === 0) return n.slot;
    return -1;
  }

  slotOf(id: Uint8Array): number {
    return this.neighbors.findAt(id, 0)?.slot ?? -1;
  }

  neighborId(slot: number): Uint8Array | null {
    return this.neighbors.bySlot(slot)?.id ?? null;
  }

  /** A Leaf's own requests and replies teach the way to it (it relays and passes on neither). */
  nodeRouteLinkCost(slot: number, now: number): number {
    return this.linkCost(slot, now, true);
  }

  messageUnroutable(): void {
    this.counters.directDropped++;
  }

  readingResent(): void {
    this.counters.readingsResent++;
  }

  judge(slot: number, behavior: Behavior, now: number): void {
    const n = this.neighbors.bySlot(slot);
    if (n) this.judgeNeighbor(n, behavior, now);
  }

  onHealthReport(origin: Uint8Array, seq: number, report: Uint8Array): void {
    const decoded = decodeHealthReport(report);
    if (typeof decoded === "number") return this.counters.drop(decoded);
    this.emit({ type: "health", origin: toHex(origin), seq, report: decoded });
  }

  sendHealthReport(report: Uint8Array, seq: number, now: number): void {
    this.forward.publishHealth(report, seq, now);
  }

  neighborIds(): Set<string> {
    const ids = new Set<string>();
    for (const n of this.neighbors) ids.add(n.idHex);
    return ids;
  }

  contentStatus(): { firmwareVersion: number; configVersion: number; transferVersion: number; transferHeld: number; transferTotal: number } {
    const swarm = this.content;
    const transfer = swarm ? swarm.progress(ContentKind.Firmware) : { version: 0, held: 0, total: 0 };
    return {
      firmwareVersion: swarm ? swarm.installedVersion(ContentKind.Firmware) : 0,
      configVersion: swarm ? swarm.installedVersion(ContentKind.Config) : 0,
      transferVersion: transfer.version, transferHeld: transfer.held, transferTotal: transfer.total,
    };
  }

  /** Queues a record for a frame addressed to the neighbor in `slot` (sent at the next flush). */
  sendTo(slot: number, type: RecordType, body: Uint8Array): void {
    let parts = this.unicast.get(slot);
    if (!parts) this.unicast.set(slot, (parts = []));
    parts.push({ type, body });
  }

  /** Neighbors not to designate as relays (low score, or designated yet never heard relaying), as a slot mask. */
  private notToDesignate(now: number): number {
    let mask = 0;
    for (const n of this.neighbors) if (this.scores.avoid(n.slot, now) || this.relayWatch.brokePromise(n.slot)) mask |= 1 << n.slot;
    return mask >>> 0;
  }

  /**
   * Silence (never heard relaying) says nothing of a gateway: readings end there, and one whose
   * neighbors all cover its gossip relays none. Avoiding it would drop every route to it at its own
   * neighbors, and the whole mesh would lose it.
   */
  private avoids(slot: number, now: number): boolean {
    return this.scores.avoid(slot, now) || (this.relayWatch.silent(slot) && this.neighbors.bySlot(slot)?.role !== Role.Gateway);
  }

  /** A route seqno of our own newer than `after` (-1: any); storage is read at the first one, and written once per block. */
  freshRouteSeqno(after: number): number {
    if (this.reservedRouteSeqno === 0) this.loadRouteSeqno();
    this.routeSeqno = (this.routeSeqno + 1) >>> 0;
    // A requester knew a newer one of ours (our storage was lost): go past it.
    if (after >= 0 && !seqnoNewer(this.routeSeqno & 0xffff, after)) this.routeSeqno += ((after - this.routeSeqno) & 0xffff) + 1;
    if (this.routeSeqno >= this.reservedRouteSeqno) this.reserveRouteSeqno();
    return this.routeSeqno & 0xffff;
  }

  private loadRouteSeqno(): void {
    this.routeSeqno = readStoredU32(this.storage, KEY_ROUTE_SEQNO);
    this.reserveRouteSeqno();
  }

  private reserveRouteSeqno(): void {
    this.reservedRouteSeqno = this.routeSeqno + ROUTE_SEQNO_BLOCK;
    writeStoredU32(this.storage, KEY_ROUTE_SEQNO, this.reservedRouteSeqno);
  }

  emit(event: MeshEvent): void {
    if (this.events.length >= this.config.eventCapacity) {
      this.events.shift();
      this.counters.drop(DropReason.EventOverflow);
    }
    this.events.push(event);
  }
}

/** What judgeUnopened decided about a frame, from its clear header. */
const enum Unopened {
  /** Dropped (and counted) without an open. */
  Refused,
  /** To be opened on the open budget. */
  Budgeted,
  /** From the link address of the sender's neighbor row, not since a forgery. */
  BoundRow,
  /** From the bound address of the sender's certificate-cache entry (no row). */
  BoundPeer,
}

/**
 * Whether relaying gossip `body` again (a repair) takes a token of its origin's budget: not a gateway's
 * certificate, whose first relay here was within a budget of its own (origin-limiter.ts), and which is
 * repaired MAX_REPAIRS_PER_MESSAGE times at most, like any message.
 */
function costsToken(body: Uint8Array): boolean {
  return body[GOSSIP_KIND_OFFSET] !== GossipKind.GatewayCertificate;
}

/** Link addresses compared as values, when the host gives no sameLink. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b;
}

function readStoredU32(storage: Storage, key: string): number {
  const v = storage.get(key);
  return v && v.length === 4 ? readU32(v, 0) : 0;
}

function writeStoredU32(storage: Storage, key: string, value: number): void {
  const v = new Uint8Array(4);
  writeU32(v, 0, value);
  storage.set(key, v);
}
