/**
 * What a node counts about itself: traffic, and every dropped input by reason. Plain numbers, so a
 * monitor can read them cheaply and a report can sum them over nodes.
 */
import { WIRE_ERROR_NAMES, WireError } from "./wire/errors.js";

/** Reasons beyond the wire decoder's. Append only: values appear in reports. */
export enum DropReason {
  /** Our own broadcast heard back. */
  Self = 32,
  /** Sender has no verified certificate with us, and the frame carried none. */
  UnknownSender = 33,
  /** The certificate carried did not verify, or does not match the sender id. */
  BadCertificate = 34,
  /** Sender's certificate is on the owner's revocation list. */
  Revoked = 35,
  /** Frame counter already seen, or older than the replay window. */
  Replay = 36,
  /** Neighbor table full of good links. */
  TableFull = 37,
  /** A revocation list, checkpoint or command that failed verification. */
  BadSignature = 38,
  /** Relay queue or outbox full (the host is not draining, or a burst exceeded the caps). */
  QueueFull = 39,
  /** Host did not drain events in time; the oldest was dropped. */
  EventOverflow = 40,
  /** A neighbor sent frames faster than its rate limit. */
  RateLimited = 41,
  /** Sender is ignored for a cool-down after its score fell too low. */
  Ignored = 42,
  /** A certificate to verify arrived with this node's verify budget spent. */
  VerifyBudget = 43,
  /** A content piece whose hash is wrong, or a content manifest that does not verify. */
  BadContent = 44,
  /** Content bigger than this node's store can hold (its manifest is dropped before any piece is asked). */
  ContentTooLarge = 45,
  /** A command for this node whose origin's certificate lacks the command right (modules/command). */
  CommandUnauthorized = 46,
  /** A command for this node no newer than the last one acted on from its origin (a replay). */
  CommandReplay = 47,
  /** A CONFIRM for this node whose tag does not check under the key it shares with the gateway named (a forgery). */
  BadConfirm = 48,
  /**
   * Not opened: the frame is not from an admitted sender on its own link address, and the opens
   * budgeted for such frames (its address's or all addresses') are spent (limits/open-budget.ts).
   */
  OpenBudget = 49,
  /**
   * A gateway's handover message naming this gateway, acted on already, or below its sender's window
   * (32 seqs under the highest acted on, open 2 min after it): a replay (forward/handover-floors.ts).
   */
  HandoverReplay = 50,
}

const DROP_NAMES: Record<number, string> = {
  32: "self", 33: "unknown-sender", 34: "bad-certificate", 35: "revoked", 36: "replay",
  37: "table-full", 38: "bad-signature", 39: "queue-full", 40: "event-overflow", 41: "rate-limited", 42: "ignored", 43: "verify-budget",
  44: "bad-content", 45: "content-too-large", 46: "command-unauthorized", 47: "command-replay", 48: "bad-confirm",
  49: "open-budget", 50: "handover-replay",
};

export function dropReasonName(reason: WireError | DropReason): string {
  return reason < 32 ? WIRE_ERROR_NAMES[reason] : DROP_NAMES[reason];
}

export class Counters {
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  beaconsOut = 0;
  /** Gossip messages first received (new to us). */
  messagesNew = 0;
  /** Gossip copies received again (duplicates). */
  messagesDuplicate = 0;
  /** Gossip messages we rebroadcast (repairs included). */
  relays = 0;
  /** Of those, repairs for a neighbor whose HELLO showed it missed the message. */
  repairs = 0;
  /** Pending relays cancelled because neighbors were covered (or a copy was heard). */
  relaysSuppressed = 0;
  /** Own readings sent again because no gateway confirmed them in time. */
  readingsResent = 0;
  /** New messages not relayed because their origin exceeded its rate limit. */
  relaysRateLimited = 0;
  /** Own messages published. */
  published = 0;
  /** Messages to nodes sent here (`sendToNode`), delivered here, and dropped: no room to hold them, or no route found in time. */
  directSent = 0;
  directDelivered = 0;
  directDropped = 0;
  certificatesVerified = 0;
  checkpointsVerified = 0;
  /** Stored values found damaged at boot and ignored: the state they held starts afresh. */
  damagedStorage = 0;
  /** Dropped inputs by reason code (WireError or DropReason). */
  readonly drops = new Map<number, number>();

  drop(reason: WireError | DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  dropped(reason: WireError | DropReason): number {
    return this.drops.get(reason) ?? 0;
  }
}
