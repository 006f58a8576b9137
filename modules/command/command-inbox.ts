/**
 * The target's side of commands (docs/protocol.md §Commands): a command addressed to this node is
 * acted on (a `command` event) only when
 *   1. it decodes strictly                                  (else the WireError is counted)
 *   2. its seq is above the last one acted on from its origin (else `command-replay`)
 *   3. its carried certificate has the command right         (else `command-unauthorized`)
 *   4. that certificate is admitted: owner-signed, for this key, unrevoked, in its window
 *      (else admit's own reason: bad-certificate, revoked, verify-budget)
 *   5. the origin's signature verifies                       (else `bad-signature`)
 * Cheap checks come first, so replays and un-righted origins cost no verify.
 *
 * Replay floors: the last seq acted on per origin, for COMMAND_ORIGINS origins (12 B each, the
 * least recently heard forgotten first), written to storage at every command, so a command captured
 * before a reboot (or before the seen cache forgot it) is refused after it.
 */
import { equalAt, readU32, toHex, writeU32 } from "../bytes.js";
import { DropReason } from "../counters.js";
import type { MeshEvent } from "../events.js";
import type { Crypto, Storage } from "../ports.js";
import { COMMAND_RIGHT, ROLE_AT } from "../identity/certificate.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import type { GossipView } from "../wire/gossip.js";
import { commandPathText, decodeCommand, isCommandFor, verifyCommandSignature } from "./command-message.js";

/** Commanding origins whose replay floor is kept (in practice the mesh's one or two gateways). */
export const COMMAND_ORIGINS = 8;
const ROW_BYTES = NODE_ID_BYTES + 4;
const KEY_FLOORS = "cmdfloors";

export interface CommandInboxContext {
  id: Uint8Array;
  crypto: Crypto;
  storage: Storage;
  /** Admits the origin by the certificate it carried (verified once, then cached): its public key, or null (dropped and counted). */
  admitOrigin(origin: Uint8Array, certificate: Uint8Array, now: number): Uint8Array | null;
  drop(reason: WireError | DropReason): void;
  emit(event: MeshEvent): void;
}

export class CommandInbox {
  /** Rows of origin ‖ last seq acted on, least recently commanding first. */
  private readonly floors = new Uint8Array(COMMAND_ORIGINS * ROW_BYTES);
  private count = -1;

  constructor(private readonly ctx: CommandInboxContext) {}

  /** A new (not seen before) command gossip; anything not addressed to this node is only relayed. */
  receive(g: GossipView, now: number): void {
    const ctx = this.ctx;
    if (!isCommandFor(g.payload, ctx.id)) return;
    const view = decodeCommand(g.payload);
    if (typeof view === "number") return ctx.drop(view);
    const row = this.rowOf(g.origin);
    if (row >= 0 && g.seq <= readU32(this.floors, row * ROW_BYTES + NODE_ID_BYTES)) return ctx.drop(DropReason.CommandReplay);
    if ((view.certificate[ROLE_AT] & COMMAND_RIGHT) === 0) return ctx.drop(DropReason.CommandUnauthorized);
    const publicKey = ctx.admitOrigin(g.origin, view.certificate, now);
    if (!publicKey) return;
    if (!verifyCommandSignature(ctx.crypto, view, g.origin, g.seq, publicKey)) return ctx.drop(DropReason.BadSignature);
    this.advance(row, g.origin, g.seq);
    ctx.emit({ type: "command", origin: toHex(g.origin), seq: g.seq, path: commandPathText(view), value: view.value.slice(), hops: g.hops + 1 });
  }

  /** The row of `origin`, or -1; loads the floors from storage the first time. */
  private rowOf(origin: Uint8Array): number {
    if (this.count < 0) {
      const stored = this.ctx.storage.get(KEY_FLOORS);
      const valid = stored && stored.length % ROW_BYTES === 0 && stored.length <= this.floors.length;
      this.count = valid ? stored.length / ROW_BYTES : 0;
      if (valid) this.floors.set(stored);
    }
    for (let r = 0; r < this.count; r++) if (equalAt(this.floors, r * ROW_BYTES, origin, 0, NODE_ID_BYTES)) return r;
    return -1;
  }

  /** Moves `origin`'s row (new if -1; the oldest goes when full) to the back with `seq`, and persists the table. */
  private advance(row: number, origin: Uint8Array, seq: number): void {
    const floors = this.floors;
    const from = row >= 0 ? row : this.count === COMMAND_ORIGINS ? 0 : this.count;
    floors.copyWithin(from * ROW_BYTES, (from + 1) * ROW_BYTES, this.count * ROW_BYTES);
    if (row < 0 && this.count < COMMAND_ORIGINS) this.count++;
    const at = (this.count - 1) * ROW_BYTES;
    floors.set(origin.subarray(0, NODE_ID_BYTES), at);
    writeU32(floors, at + NODE_ID_BYTES, seq);
    this.ctx.storage.set(KEY_FLOORS, floors.slice(0, this.count * ROW_BYTES));
  }
}
