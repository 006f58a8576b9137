/**
 * The commanding node's side of commands (docs/protocol.md §Commands, Acknowledgements): the
 * commands sent and not yet acknowledged by their target, until it acks or they expire.
 *
 * One command per target is in flight, the oldest: the next one to that target goes out only once
 * it is acked, expired or evicted. The target refuses a seq at or below the last one it acted on
 * from us (its replay floor), so a command sent after another and arriving first would make the
 * first one's resends useless; waiting keeps each target's commands acted on in the order sent.
 *
 * The command in flight is sent again RESEND_AFTER_MS after it first went out, then at doubling
 * gaps up to MAX_RESEND_GAP_MS, until COMMAND_EXPIRES_MS after sendCommand; resends of all commands together
 * go at most one per RESEND_PACE_MS, the most overdue first, and none within RESEND_AFTER_MS of a
 * command's first send: a burst of new commands goes first. The table holds `capacity`
 * commands; a command added to a full table evicts the oldest (the one most likely undeliverable:
 * newer commands carry the newer intent).
 *
 * With a store (command-outbox-store.ts) each command is in flash from when it is taken until it is
 * acked, expired or evicted, written before it goes out and freed before its outcome is reported, so
 * a restart resumes what was pending (restore) and never resends a command whose ack was reported.
 * Resends write nothing: their schedule restarts with each boot (docs/protocol.md §Commands).
 */
import type { CommandOutboxStore } from "./command-outbox-store.js";

/** After this long without an ack the command goes again… */
export const RESEND_AFTER_MS = 20_000;
/** …at gaps doubling up to this… */
export const MAX_RESEND_GAP_MS = 160_000;
/** …until this long after it was given to sendCommand. */
export const COMMAND_EXPIRES_MS = 15 * 60_000;
/**
 * At most one resend of any command per this: each is a flood, and spends a token of our relay
 * budget at every relay (6 a minute): resends to many targets that are off take a third of it at
 * most, and leave the rest to new commands.
 */
export const RESEND_PACE_MS = 30_000;

export interface PendingCommand {
  targetHex: string;
  /** The command's seq: its gossip seq when first sent, the one its signature binds. */
  seq: number;
  path: string;
  /** The signed command payload (command-message.ts), sent again unchanged. */
  payload: Uint8Array;
  submittedAt: number;
  /** When it first went out; -1 while it waits behind an earlier command to the same target. */
  sentAt: number;
  nextResendAt: number;
  /** Resends since it first went out in this boot. */
  resends: number;
  /** Its slot in the store, 0..capacity-1. */
  slot: number;
}

export class CommandOutbox {
  /** Oldest first (so in seq order, and each target's first is its command in flight). */
  private readonly pending: PendingCommand[] = [];
  /** No resend before this: RESEND_PACE_MS after the last resend, RESEND_AFTER_MS after the last first send. */
  private resendFrom = 0;

  constructor(readonly capacity: number, private readonly store: CommandOutboxStore | null = null) {}

  get size(): number {
    return this.pending.length;
  }

  /**
   * Takes a command to send (`takenAt`: unix s, 0 if unknown), stored before it may go out; returns
   * the oldest command, removed to make room (its slot overwritten by this one), or null.
   */
  add(targetHex: string, seq: number, path: string, payload: Uint8Array, now: number, takenAt = 0): PendingCommand | null {
    const evicted = this.pending.length >= this.capacity ? this.pending.shift()! : null;
    const slot = evicted ? evicted.slot : this.freeSlot();
    this.store?.save(slot, seq, takenAt, payload);
    this.pending.push({ targetHex, seq, path, payload, submittedAt: now, sentAt: -1, nextResendAt: Infinity, resends: 0, slot });
    return evicted;
  }

  /**
   * At boot, before any add: the stored commands back in the table, oldest first. Each target's
   * oldest is in flight (it went out before the restart), resent RESEND_AFTER_MS from `now`, then at
   * doubling gaps. A command's age is known from the wall clock when it was taken and is now
   * (`wallSeconds`); otherwise its whole lifetime runs again from `now`. Returns what was restored
   * and how many stored values were unreadable (dropped).
   */
  restore(certificate: Uint8Array, now: number, wallSeconds: number | undefined): { restored: PendingCommand[]; unreadable: number } {
    if (!this.store) return { restored: [], unreadable: 0 };
    const { commands, unreadable } = this.store.load(this.capacity, certificate);
    for (const s of commands) {
      const age = wallSeconds !== undefined && s.takenAt !== 0 ? Math.max(0, wallSeconds - s.takenAt) * 1000 : 0;
      const first = !this.pending.some((p) => p.targetHex === s.targetHex);
      this.pending.push({ targetHex: s.targetHex, seq: s.seq, path: s.path, payload: s.payload, submittedAt: now - age,
        sentAt: first ? now : -1, nextResendAt: first ? now + RESEND_AFTER_MS : Infinity, resends: 0, slot: s.slot });
    }
    if (commands.length > 0) this.resendFrom = now + RESEND_AFTER_MS;
    return { restored: this.pending.slice(), unreadable };
  }

  /** The lowest slot no pending command holds (there is one: the table is not full). */
  private freeSlot(): number {
    let slot = 0;
    while (this.pending.some((c) => c.slot === slot)) slot++;
    return slot;
  }

  /** The oldest command to `targetHex` if it has not gone out yet (it may now), else null. */
  unsentHead(targetHex: string): PendingCommand | null {
    const c = this.pending.find((p) => p.targetHex === targetHex);
    return c && c.sentAt < 0 ? c : null;
  }

  /** `c` went out now: its first resend is due RESEND_AFTER_MS later, and no other before then (new commands go first). */
  sent(c: PendingCommand, now: number): void {
    c.sentAt = now;
    c.nextResendAt = now + RESEND_AFTER_MS;
    this.resendFrom = Math.max(this.resendFrom, c.nextResendAt);
  }

  /** The command in flight to `targetHex` whose seq is `seq`, or null (not ours, or acked already). */
  inFlight(targetHex: string, seq: number): PendingCommand | null {
    return this.pending.find((p) => p.targetHex === targetHex && p.seq === seq && p.sentAt >= 0) ?? null;
  }

  /** `c` was acked: freed in the store before the caller reports it. */
  remove(c: PendingCommand): void {
    const i = this.pending.indexOf(c);
    if (i < 0) return;
    this.store?.free(c.slot);
    this.pending.splice(i, 1);
  }

  /** Removes the commands whose lifetime ended by `now` into `out`, freed in the store. */
  expire(now: number, out: PendingCommand[]): void {
    for (let i = 0; i < this.pending.length; ) {
      const c = this.pending[i];
      if (now - c.submittedAt < COMMAND_EXPIRES_MS) {
        i++;
        continue;
      }
      this.store?.free(c.slot);
      out.push(...this.pending.splice(i, 1));
    }
  }

  /** The command in flight whose resend is most overdue by `now`, with its next resend scheduled; null if none is due or the pace forbids. */
  resendDue(now: number): PendingCommand | null {
    if (now < this.resendFrom) return null;
    let due: PendingCommand | null = null;
    for (const c of this.pending) if (c.sentAt >= 0 && c.nextResendAt <= now && (!due || c.nextResendAt < due.nextResendAt)) due = c;
    if (!due) return null;
    due.resends++;
    due.nextResendAt = now + Math.min(MAX_RESEND_GAP_MS, RESEND_AFTER_MS * 2 ** due.resends);
    this.resendFrom = now + RESEND_PACE_MS;
    return due;
  }

  nextDeadline(): number {
    let expiry = Infinity;
    let resend = Infinity;
    for (const c of this.pending) {
      expiry = Math.min(expiry, c.submittedAt + COMMAND_EXPIRES_MS);
      resend = Math.min(resend, c.nextResendAt);
    }
    return Math.min(expiry, Math.max(resend, this.resendFrom));
  }
}
