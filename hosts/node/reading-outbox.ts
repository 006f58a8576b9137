/**
 * The gateway's durable outbox: readings the mesh delivered here that the MQTT broker has not
 * acknowledged yet. A reading is written (and fsynced) when the gateway receives it, before anything
 * is sent, and leaves when its PUBACK arrives; a gateway restarted after a crash or a kill publishes
 * whatever is left.
 *
 * The file is an append-only journal of JSON lines:
 *   {"add":ID,"r":{origin,seq,sensor,value,time,verified}}   a reading, IDs increasing
 *   {"ack":ID}                                                the broker has it
 *   {"drop":ID}                                               dropped to make room (below)
 *   {"mark":ORIGIN,"seq":N}                                   the last seq added for an origin (rewrites)
 * Opening replays it (a torn last line, from a crash in mid-write, is skipped) and rewrites it with
 * only the live entries (temporary file, fsync, rename); so does an add or an ack once the journal holds more
 * than `compactLines` lines (1024 by default) and more than twice the live entries and marks. The
 * file thus stays within about 2 × (capacity + MARK_CAPACITY) + compactLines lines.
 *
 * Each origin's last seq added is remembered (in the add lines, and as mark lines across rewrites),
 * and a reading at or below it is refused as a repeat: after a kill, the gateway's feed verifier may
 * deliver again readings that already reached the outbox (hosts/node/position-storage.ts).
 *
 * Bounded: at most `capacity` readings, and marks for `MARK_CAPACITY` origins (the least recently
 * added to forgotten first). When full, the oldest reading (of any origin) is dropped to
 * make room and reported to the caller: the newest values are what dashboards show, and every
 * dropped one is counted and announced, never silently lost.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface OutboxReading {
  origin: string;
  seq: number;
  sensor: string;
  /** JSON has no NaN or infinities: those are kept (and published) as null. */
  value: number | null;
  /** Unix seconds at the origin; 0 when it had no clock. */
  time: number;
  verified: boolean;
}

export interface OutboxEntry {
  id: number;
  reading: OutboxReading;
}

export const MARK_CAPACITY = 4096;
/** Journal lines beyond which an add or ack may trigger a rewrite (when most of them are dead). */
const COMPACT_LINES = 1024;

export class ReadingOutbox {
  /** Live entries by id, in id (arrival) order. */
  private readonly entries = new Map<number, OutboxEntry>();
  /** Per origin, the ids of its live entries, oldest first. */
  private readonly byOrigin = new Map<string, number[]>();
  /** Per origin, the last seq added (LRU order). */
  private readonly marks = new Map<string, number>();
  private nextId = 1;
  private fd: number;
  private journalLines = 0;
  /** Journal lines that did not parse when it was opened (a torn last write). */
  readonly skippedLines: number;

  private constructor(readonly path: string, private capacity: number, private readonly compactLines: number, lines: string[]) {
    let skipped = 0;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as { add?: number; ack?: number; drop?: number; r?: OutboxReading; mark?: string; seq?: number };
        if (typeof record.mark === "string" && typeof record.seq === "number") {
          this.remember(record.mark, record.seq);
        } else if (typeof record.add === "number" && record.r) {
          this.insert({ id: record.add, reading: record.r });
        } else if (typeof record.ack === "number" || typeof record.drop === "number") {
          this.remove((record.ack ?? record.drop)!);
        } else {
          skipped++;
        }
      } catch {
        skipped++;
      }
    }
    this.skippedLines = skipped;
    this.fd = this.rewrite();
  }

  /**
   * Opens (or creates) the journal at `path` and compacts it. Returns the readings dropped because
   * `capacity` is now smaller than what the journal held, with the outbox.
   */
  static open(path: string, capacity: number, compactLines = COMPACT_LINES): { outbox: ReadingOutbox; dropped: OutboxEntry[] } {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("outbox capacity must be a positive integer");
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const outbox = new ReadingOutbox(path, Number.MAX_SAFE_INTEGER, compactLines, text.split("\n"));
    const dropped = outbox.shrinkTo(capacity);
    return { outbox, dropped };
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Writes a reading durably; returns its entry and the entry dropped to make room, if any, or null
   * for a repeat (seq not above its origin's last).
   */
  add(reading: OutboxReading): { entry: OutboxEntry; dropped: OutboxEntry | null } | null {
    if (reading.seq <= (this.marks.get(reading.origin) ?? 0)) return null;
    const dropped = this.entries.size >= this.capacity ? this.dropOldest() : null;
    const entry = { id: this.nextId, reading };
    if (dropped) this.append({ drop: dropped.id }, false);
    this.append({ add: entry.id, r: reading });
    this.insert(entry);
    this.compactIfDue();
    return { entry, dropped };
  }

  /** The broker has entry `id` (no-op when it is gone already, e.g. dropped while in flight). */
  ack(id: number): void {
    if (!this.entries.has(id)) return;
    this.append({ ack: id });
    this.remove(id);
    this.compactIfDue();
  }

  /** The oldest live reading of `origin`. */
  firstOf(origin: string): OutboxEntry | undefined {
    const ids = this.byOrigin.get(origin);
    return ids ? this.entries.get(ids[0]) : undefined;
  }

  origins(): IterableIterator<string> {
    return this.byOrigin.keys();
  }

  close(): void {
    closeSync(this.fd);
  }

  private insert(entry: OutboxEntry): void {
    this.entries.set(entry.id, entry);
    const ids = this.byOrigin.get(entry.reading.origin);
    if (ids) ids.push(entry.id);
    else this.byOrigin.set(entry.reading.origin, [entry.id]);
    this.nextId = Math.max(this.nextId, entry.id + 1);
    this.remember(entry.reading.origin, entry.reading.seq);
  }

  private remember(origin: string, seq: number): void {
    const last = Math.max(seq, this.marks.get(origin) ?? 0);
    this.marks.delete(origin);
    this.marks.set(origin, last);
    if (this.marks.size > MARK_CAPACITY) this.marks.delete(this.marks.keys().next().value as string);
  }

  private remove(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const ids = this.byOrigin.get(entry.reading.origin)!;
    ids.splice(ids.indexOf(id), 1);
    if (ids.length === 0) this.byOrigin.delete(entry.reading.origin);
  }

  /** Forgets the oldest entry; the caller journals it (a `drop` line, or a rewrite). */
  private dropOldest(): OutboxEntry {
    const oldest = this.entries.values().next().value as OutboxEntry;
    this.remove(oldest.id);
    return oldest;
  }

  private shrinkTo(capacity: number): OutboxEntry[] {
    this.capacity = capacity;
    const dropped: OutboxEntry[] = [];
    while (this.entries.size > capacity) dropped.push(this.dropOldest());
    if (dropped.length > 0) {
      closeSync(this.fd);
      this.fd = this.rewrite();
    }
    return dropped;
  }

  private compactIfDue(): void {
    if (this.journalLines > this.compactLines && this.journalLines > 2 * (this.entries.size + this.marks.size)) {
      closeSync(this.fd);
      this.fd = this.rewrite();
    }
  }

  private append(record: object, sync = true): void {
    writeSync(this.fd, JSON.stringify(record) + "\n");
    if (sync) fsyncSync(this.fd);
    this.journalLines++;
  }

  /** Replaces the journal with the live entries (atomically); returns a descriptor appending to it. */
  private rewrite(): number {
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, "w", 0o600);
    let text = "";
    for (const [origin, seq] of this.marks) text += JSON.stringify({ mark: origin, seq }) + "\n";
    for (const entry of this.entries.values()) text += JSON.stringify({ add: entry.id, r: entry.reading }) + "\n";
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, this.path);
    const dir = openSync(dirname(this.path), "r");
    fsyncSync(dir);
    closeSync(dir);
    this.journalLines = this.marks.size + this.entries.size;
    return openSync(this.path, "a");
  }
}
