/**
 * The Node.js host: a MeshNode on a UDP link, driven by the NodeDriver with a single timer, plus the
 * sample application (a reading published every `publishEveryMs`). The caller builds the node with
 * its ports (FileStorage, NodeRandom, nodeCrypto) and receives every event as a HostEvent.
 *
 * Time: `now` is performance.now() floored to integer ms (monotonic, as the core requires); the wall
 * clock for certificate windows is set from Date at start and refreshed at every wake-up, so clock
 * corrections (NTP) reach the core.
 */
import { performance } from "node:perf_hooks";
import { toHex } from "../../modules/bytes.js";
import { dropReasonName } from "../../modules/counters.js";
import { ContentKind, type ManifestStatus } from "../../modules/content/content-manifest.js";
import { NodeDriver } from "../../modules/driver.js";
import type { MeshNode } from "../../modules/node.js";
import { type HostEvent, hostEventOf } from "./host-event.js";
import { loadAverage, SAMPLE_SENSOR, sampleReading } from "./reading.js";
import { UdpLink, type UdpLinkOptions, type UdpPeer } from "./udp-link.js";

export interface NodeHostOptions {
  /** Not yet started; the host starts it. */
  node: MeshNode;
  link: Omit<UdpLinkOptions, "onFrame" | "onError">;
  /** Period of the sample message to every node, ms; 0 publishes nothing. The first is one period after start. */
  publishEveryMs: number;
  /** Period of the sensor reading sent to a gateway (store-and-forward), ms; 0 takes none. */
  readingEveryMs: number;
  /** A content-progress event per content kind that changed is emitted at most this often, ms; 0 or absent: never. */
  progressEveryMs?: number;
  onEvent(event: HostEvent): void;
}

function monotonicNow(): number {
  return Math.floor(performance.now());
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class NodeHost {
  private readonly driver: NodeDriver;
  private timer: NodeJS.Timeout | undefined;
  /** The node's deadline (from the driver's wakeAt) and the next reading: the one timer serves the earlier. */
  private nodeAt = Infinity;
  private publishAt = Infinity;
  private readingAt = Infinity;
  private progressAt = Infinity;
  /** The last content-progress line per kind, to print only changes. */
  private readonly lastProgress = new Map<number, string>();
  private readings = 0;
  private stopped = false;

  /** Binds the link and starts the node; rejects when the socket cannot be bound. */
  static async start(options: NodeHostOptions): Promise<NodeHost> {
    let host: NodeHost | undefined;
    const link = await UdpLink.open({
      ...options.link,
      onFrame: (bytes, from) => host?.receive(bytes, from),
      onError: (message) => options.onEvent({ type: "error", message }),
    });
    host = new NodeHost(options, link);
    return host;
  }

  private constructor(private readonly options: NodeHostOptions, private readonly link: UdpLink) {
    const { node, onEvent, publishEveryMs, readingEveryMs } = options;
    this.driver = new NodeDriver(node, {
      link,
      wakeAt: (at) => {
        this.nodeAt = at;
        this.arm();
      },
      onEvent: (e) => onEvent(hostEventOf(e)),
    });
    const { address, port } = link.local;
    onEvent({ type: "started", id: node.idHex, address, port, broadcast: link.broadcastTargets });
    const now = monotonicNow();
    node.setWallClock(unixSeconds(), now);
    if (publishEveryMs > 0) this.publishAt = now + publishEveryMs;
    if (readingEveryMs > 0) this.readingAt = now + readingEveryMs;
    if (options.progressEveryMs && node.content) this.progressAt = now + options.progressEveryMs;
    this.driver.start(now);
    this.arm();
  }

  /** Stops the timer and closes the socket, then reports the node's counters. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.link.close();
    const c = this.options.node.counters;
    const counters: Record<string, number> = { ...this.link.counters };
    for (const [name, value] of Object.entries(c)) if (typeof value === "number") counters[name] = value;
    const drops: Record<string, number> = {};
    for (const [reason, n] of c.drops) drops[dropReasonName(reason)] = n;
    this.options.onEvent({ type: "stopped", counters, drops });
  }

  /** Sends a command into the mesh (NodeDriver.sendCommand); returns its seq. */
  sendCommand(target: Uint8Array, path: string, value: Uint8Array): number {
    const seq = this.driver.sendCommand(target, path, value, monotonicNow());
    this.arm();
    return seq;
  }

  /** Seeds owner-signed content into the mesh (NodeDriver.publishContent). */
  publishContent(manifest: Uint8Array, pieces: readonly Uint8Array[]): ManifestStatus | null {
    const status = this.driver.publishContent(manifest, pieces, monotonicNow());
    this.arm();
    return status;
  }

  private receive(bytes: Uint8Array, from: UdpPeer): void {
    if (!this.stopped) this.driver.receive(bytes, from, monotonicNow());
  }

  /** (Re)arms the one timer for the earlier of the node's deadline and the next reading. */
  private arm(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const at = Math.min(this.nodeAt, this.publishAt, this.readingAt, this.progressAt);
    this.timer = at === Infinity ? undefined : setTimeout(() => this.fire(), Math.max(0, at - monotonicNow()));
  }

  private fire(): void {
    const now = monotonicNow();
    this.options.node.setWallClock(unixSeconds(), now);
    if (now >= this.publishAt) this.publish(now);
    if (now >= this.readingAt) this.takeReading(now);
    if (now >= this.nodeAt) this.driver.tick(now);
    if (now >= this.progressAt) this.reportProgress(now);
    // Always re-arm: Node's timer clock may fire a hair before `now` reaches the deadline, and then
    // tick changes nothing and the driver would not call wakeAt again.
    this.arm();
  }

  private publish(now: number): void {
    const every = this.options.publishEveryMs;
    this.publishAt += every;
    if (this.publishAt <= now) this.publishAt = now + every; // after a stall, skip rather than burst
    const payload = sampleReading(++this.readings);
    const seq = this.driver.publish(payload, now);
    this.options.onEvent({ type: "published", seq, payload: toHex(payload) });
  }

  /** Emits content-progress for each content kind whose progress changed since the last report. */
  private reportProgress(now: number): void {
    const content = this.options.node.content;
    this.progressAt = now + this.options.progressEveryMs!;
    if (!content) return;
    for (const kind of [ContentKind.Firmware, ContentKind.Config]) {
      const { version, held, total } = content.progress(kind);
      if (total === 0) continue;
      const event: HostEvent = { type: "content-progress", kind, version, held, total, neighbors: content.neighborProgress(kind) };
      const line = JSON.stringify(event);
      if (this.lastProgress.get(kind) === line) continue;
      this.lastProgress.set(kind, line);
      this.options.onEvent(event);
    }
  }

  /** The stand-in sensor: the host's one-minute load average, sent to a gateway. */
  private takeReading(now: number): void {
    const every = this.options.readingEveryMs;
    this.readingAt += every;
    if (this.readingAt <= now) this.readingAt = now + every;
    const value = loadAverage();
    const seq = this.driver.publishReading(SAMPLE_SENSOR, value, now);
    this.options.onEvent({ type: "reading-taken", seq, sensor: SAMPLE_SENSOR, value });
  }
}
