/**
 * The target's side of commands (docs/protocol.md §Commands). A command addressed to this node is
 * acted on only when
 *   1. it decodes strictly                                  (else the WireError is counted)
 *   2. its seq is above the last one acted on from its origin (else `command-replay`)
 *   3. its carried certificate has the command right         (else `command-unauthorized`)
 *   4. that certificate is admitted: owner-signed, for this key, unrevoked, in its window
 *      (MeshNode's admission; else its reason: bad-certificate, revoked, verify-budget)
 *   5. the origin's signature verifies                       (else `bad-signature`)
 * `check` does 1–3, the cheap ones, so replays and un-righted origins cost no verify; MeshNode does
 * 4 and 5 (it holds the certificate cache) and then `accept`s the command.
 *
 * Replay floors: the last seq acted on per origin, for COMMAND_ORIGINS origins (12 B each, the
 * least recently commanding forgotten first), written to storage at every command, so a command
 * captured before a reboot (or before the seen cache forgot it) is refused after it. The buffer is
 * allocated at the first command: a node that is never commanded keeps none.
 *
 * Acks: the node acks each command it acts on, and again each copy of the last one acted on from
 * that origin (its seq equals the floor: the ack was lost, and the origin resent). The last ack
 * signed is kept in RAM, so answering copies again costs no signature.
 */
import { equalAt, readU32, writeU32 } from "../bytes.js";
import { DropReason } from "../counters.js";
import type { Storage } from "../ports.js";
import { COMMAND_RIGHT, ROLE_AT } from "../identity/certificate.js";
import type { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { type CommandView, decodeCommand } from "./command-message.js";

/** Commanding origins whose replay floor is kept (in practice the mesh's one or two gateways). */
export const COMMAND_ORIGINS = 8;
const ROW_BYTES = NODE_ID_BYTES + 4;
const KEY_FLOORS = "cmdfloors";

export class CommandInbox {
  /** Rows of origin ‖ last seq acted on, least recently commanding first; null until the first command. */
  private floors: Uint8Array | null = null;
  private count = 0;
  /** The last ack signed: its origin, seq and payload (command-ack.ts). */
  private lastAck: { origin: Uint8Array; seq: number; payload: Uint8Array } | null = null;

  constructor(private readonly storage: Storage) {}

  /** Checks 1–3 of `origin`'s command `seq` addressed to this node: its view, or why it is dropped. */
  check(origin: Uint8Array, seq: number, payload: Uint8Array): CommandView | WireError | DropReason {
    const view = decodeCommand(payload);
    if (typeof view === "number") return view;
    if (seq <= this.actedOn(origin)) return DropReason.CommandReplay;
    if ((view.certificate[ROLE_AT] & COMMAND_RIGHT) === 0) return DropReason.CommandUnauthorized;
    return view;
  }

  /** The seq of the last command acted on from `origin` (its floor), 0 if none is known. */
  actedOn(origin: Uint8Array): number {
    const row = this.rowOf(origin);
    return row < 0 ? 0 : readU32(this.floors!, row * ROW_BYTES + NODE_ID_BYTES);
  }

  /** The ack of `origin`'s command `seq`: the last one signed if it is that one, else `sign()`'s, kept. */
  ack(origin: Uint8Array, seq: number, sign: () => Uint8Array): Uint8Array {
    const last = this.lastAck;
    if (last && last.seq === seq && equalAt(last.origin, 0, origin, 0, NODE_ID_BYTES)) return last.payload;
    this.lastAck = { origin: origin.slice(0, NODE_ID_BYTES), seq, payload: sign() };
    return this.lastAck.payload;
  }

  /** A command that passed every check is acted on: its origin's floor moves to `seq` (the oldest row goes when full), persisted. */
  accept(origin: Uint8Array, seq: number): void {
    const floors = this.floors!;
    const row = this.rowOf(origin);
    const from = row >= 0 ? row : this.count === COMMAND_ORIGINS ? 0 : this.count;
    floors.copyWithin(from * ROW_BYTES, (from + 1) * ROW_BYTES, this.count * ROW_BYTES);
    if (row < 0 && this.count < COMMAND_ORIGINS) this.count++;
    const at = (this.count - 1) * ROW_BYTES;
    floors.set(origin.subarray(0, NODE_ID_BYTES), at);
    writeU32(floors, at + NODE_ID_BYTES, seq);
    this.storage.set(KEY_FLOORS, floors.slice(0, this.count * ROW_BYTES));
  }

  /** The row of `origin`, or -1; loads the floors from storage the first time. */
  private rowOf(origin: Uint8Array): number {
    let floors = this.floors;
    if (!floors) {
      floors = this.floors = new Uint8Array(COMMAND_ORIGINS * ROW_BYTES);
      const stored = this.storage.get(KEY_FLOORS);
      if (stored && stored.length % ROW_BYTES === 0 && stored.length <= floors.length) {
        floors.set(stored);
        this.count = stored.length / ROW_BYTES;
      }
    }
    for (let r = 0; r < this.count; r++) if (equalAt(floors, r * ROW_BYTES, origin, 0, NODE_ID_BYTES)) return r;
    return -1;
  }
}
