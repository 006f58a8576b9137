/**
 * The commanding node's pending commands in flash (docs/protocol.md §Commands, "Across a restart"),
 * so a restart resumes their resends instead of forgetting them.
 *
 * One key per slot of the pending table, `cmdq0`..`cmdq15`: sixteen commands of up to 357 bytes
 * stored do not fit one Preference value (4,000 bytes), and one key per command makes each change
 * one write of one command — taken (written), acked or expired (freed), evicted (overwritten by the
 * command that pushed it out). A slot's value, version 1:
 *
 *   off  size  field
 *   0    1     version (1)
 *   1    4     check: the first 4 bytes of SHA-512 over bytes 5..end
 *   5    4     the command's seq
 *   9    4     when sendCommand took it, unix s (0: the node had no wall clock then)
 *   13   …     the signed command payload (command-message.ts), 185..344 bytes, sent again unchanged
 *
 * A free slot holds the single byte 0 (the Storage port has no delete). Any other value that does not
 * read back whole — another version, a failed check, a payload that does not decode or is not ours —
 * is dropped and counted, never trusted.
 */
import { equalAt, equalBytes, readU32, toHex, writeU32 } from "../bytes.js";
import type { Crypto, Storage } from "../ports.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";
import { commandPathText, decodeCommand } from "./command-message.js";

export const STORED_COMMAND_VERSION = 1;
const CHECK_AT = 1;
const CHECK_BYTES = 4;
const SEQ_AT = CHECK_AT + CHECK_BYTES;
const TAKEN_AT = SEQ_AT + 4;
const PAYLOAD_AT = TAKEN_AT + 4;
const FREE = Uint8Array.of(0);

export interface StoredCommand {
  slot: number;
  seq: number;
  targetHex: string;
  path: string;
  payload: Uint8Array;
  /** Unix s when sendCommand took it; 0 if unknown. */
  takenAt: number;
}

export function commandSlotKey(slot: number): string {
  return "cmdq" + slot;
}

/** The value stored for command `seq` taken at unix s `takenAt` (0: unknown). */
export function encodeStoredCommand(crypto: Crypto, seq: number, takenAt: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(PAYLOAD_AT + payload.length);
  out[0] = STORED_COMMAND_VERSION;
  writeU32(out, SEQ_AT, seq);
  writeU32(out, TAKEN_AT, takenAt);
  out.set(payload, PAYLOAD_AT);
  out.set(crypto.sha512(out.subarray(SEQ_AT)).subarray(0, CHECK_BYTES), CHECK_AT);
  return out;
}

/**
 * The command stored in `value` if it reads back whole and was signed with `certificate` (a node
 * provisioned again since holds commands its new identity cannot stand behind); null otherwise.
 */
export function decodeStoredCommand(crypto: Crypto, value: Uint8Array, certificate: Uint8Array, slot: number): StoredCommand | null {
  if (value.length <= PAYLOAD_AT || value[0] !== STORED_COMMAND_VERSION) return null;
  if (!equalAt(crypto.sha512(value.subarray(SEQ_AT)), 0, value, CHECK_AT, CHECK_BYTES)) return null;
  const payload = value.slice(PAYLOAD_AT);
  const view = decodeCommand(payload);
  if (typeof view === "number" || !equalBytes(view.certificate, certificate.subarray(0, CERTIFICATE_BYTES))) return null;
  return { slot, seq: readU32(value, SEQ_AT), targetHex: toHex(view.target), path: commandPathText(view), payload, takenAt: readU32(value, TAKEN_AT) };
}

/** Writes and frees the slots of the pending table, and reads them back at boot. */
export class CommandOutboxStore {
  constructor(private readonly storage: Storage, private readonly crypto: Crypto) {}

  save(slot: number, seq: number, takenAt: number, payload: Uint8Array): void {
    this.storage.set(commandSlotKey(slot), encodeStoredCommand(this.crypto, seq, takenAt, payload));
  }

  free(slot: number): void {
    this.storage.set(commandSlotKey(slot), FREE);
  }

  /**
   * The commands stored in slots 0..slots-1, oldest (lowest seq) first, and how many values were
   * unreadable: those slots are freed now, so the next boot does not count them again.
   */
  load(slots: number, certificate: Uint8Array): { commands: StoredCommand[]; unreadable: number } {
    const commands: StoredCommand[] = [];
    let unreadable = 0;
    for (let slot = 0; slot < slots; slot++) {
      const value = this.storage.get(commandSlotKey(slot));
      if (!value || (value.length === 1 && value[0] === 0)) continue;
      const c = decodeStoredCommand(this.crypto, value, certificate, slot);
      if (c) commands.push(c);
      else {
        unreadable++;
        this.free(slot);
      }
    }
    commands.sort((a, b) => a.seq - b.seq);
    return { commands, unreadable };
  }
}
