/**
 * The gateway's bridge from the mesh to an MQTT broker (docs/protocol.md §MQTT gateway).
 *
 * Readings: each `reading` event is written to the durable outbox first, then published retained,
 * QoS 1, to `<prefix>/<network>/<node>/<sensor>`; it leaves the outbox when the broker acknowledges
 * it. Per origin exactly one reading is in flight at a time, the oldest first, so each node's readings
 * reach the broker in order, and a broker that dies leaves at most one unacknowledged reading per
 * origin: it is published again on the next connection, and is the only way a subscriber can see a
 * reading twice (the broker took it but its PUBACK was lost).
 *
 * Discovery: the first reading of a (node, sensor) publishes Home Assistant's discovery config before
 * it; every config known is published again on each new connection (a broker restarted without
 * persistence forgets retained messages) and when Home Assistant announces `online`.
 *
 * Status: the gateway's own (`state`, MeshNode.health(), outbox) every `statusEveryMs` and on connect,
 * with a last will that marks it offline; per origin what the gateway knows (last seq, its time, when
 * it was heard, verified-up-to, the last flag, its newest health report), published when it has changed.
 *
 * Commands: a publish on `<prefix>/<network>/<node>/set/<path>` goes into the mesh as a signed command
 * for that node (MeshNode.sendCommand, reported as `command-sent`) when this gateway's certificate
 * grants the command right; otherwise, or when the node id, path or value cannot travel, or the
 * message is a retained one (a stored command would be sent again at every connection), it is
 * reported as `command-refused` with the reason. Its delivery is published, retained, on
 * `<prefix>/<network>/<node>/command/<path>`: `sent`, then `acked` (the node acted on it) or
 * `expired` (never acked: the mesh gave up), unless a newer command on that path was published there
 * (across a restart too: the node's `commands-restored` says which are still pending).
 *
 * Tables: known (node, sensor) pairs and origin statuses, each at most `TABLE_CAPACITY`, the least
 * recently heard forgotten first; origins in flight are a subset of the outbox's.
 */
import { fromHex } from "../../modules/bytes.js";
import { isCommandPath, MAX_COMMAND_PATH, MAX_COMMAND_VALUE } from "../../modules/command/command-message.js";
import type { HealthReport } from "../../modules/monitor/health-report.js";
import type { NodeHealth } from "../../modules/node.js";
import type { HostEvent } from "./host-event.js";
import { MqttClient, type MqttClientOptions, type MqttEvent } from "./mqtt-client.js";
import { type GatewayTopics, readingPayload } from "./mqtt-topics.js";
import type { OutboxEntry, OutboxReading, ReadingOutbox } from "./reading-outbox.js";

export type GatewayEvent =
  | MqttEvent
  | { type: "outbox-loaded"; pending: number; skippedLines: number }
  /** The broker acknowledged a reading. */
  | { type: "mqtt-published"; origin: string; seq: number; sensor: string; topic: string }
  /** The outbox was full: its oldest reading was dropped unpublished. */
  | { type: "outbox-dropped"; origin: string; seq: number; sensor: string }
  /** The mesh node took a command as its `seq`: it goes out now, or once the node acked the one before (core events tell the outcome). */
  | { type: "command-sent"; topic: string; node: string; path: string; seq: number; bytes: number }
  | { type: "command-refused"; topic: string; node: string; reason: string };

/** Known (node, sensor) pairs and origin statuses kept, each. */
export const TABLE_CAPACITY = 1024;
/** The offline status on a clean stop waits at most this for its PUBACK, ms. */
const STOP_PUBLISH_TIMEOUT_MS = 1000;
const NODE_ID = /^[0-9a-f]{16}$/;

interface OriginStatus {
  lastSeq: number;
  /** The reading's own time (unix s at the origin, 0 without a clock). */
  lastTime: number;
  /** When the gateway received it, unix s. */
  lastHeard: number;
  verifiedUpTo: number | null;
  flagged: { seq: number; reason: string } | null;
  /** The node's newest health report (docs/protocol.md §Monitoring), with when the gateway got it (unix s). */
  report: ({ seq: number; at: number } & HealthReport) | null;
}

export interface MqttBridgeOptions {
  mqtt: Omit<MqttClientOptions, "onEvent" | "onMessage" | "onConnect" | "will">;
  outbox: ReadingOutbox;
  topics: GatewayTopics;
  /** This gateway's node id, hex. */
  gatewayId: string;
  health(): NodeHealth;
  /** Whether this gateway's certificate grants the command right. */
  mayCommand: boolean;
  /** Sends a command into the mesh (MeshNode.sendCommand): its seq, or null while the node is not running. */
  sendCommand(target: Uint8Array, path: string, value: Uint8Array): number | null;
  /** Gateway status period, ms (> 0). */
  statusEveryMs: number;
  onEvent(event: GatewayEvent): void;
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Map as an LRU: touching a key moves it to the back; beyond `TABLE_CAPACITY` the front goes. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > TABLE_CAPACITY) map.delete(map.keys().next().value as string);
}

export class MqttBridge {
  private readonly client: MqttClient;
  private readonly inFlight = new Set<string>();
  /** "origin/sensor" → the pair, for discovery. */
  private readonly sensors = new Map<string, { origin: string; sensor: string }>();
  private readonly origins = new Map<string, OriginStatus>();
  /** Origins whose status changed since it was last published. */
  private readonly changed = new Set<string>();
  /** Command state topic → the newest seq published there: an older command's outcome does not overwrite a newer one's state. */
  private readonly commandSeqs = new Map<string, number>();
  private statusTimer: NodeJS.Timeout | undefined;
  private published = 0;
  private dropped = 0;
  private repeats = 0;

  constructor(private readonly options: MqttBridgeOptions) {
    const { topics, gatewayId, outbox, onEvent } = options;
    this.client = new MqttClient({
      ...options.mqtt,
      will: { topic: topics.status(gatewayId), payload: JSON.stringify({ state: "offline", role: "gateway" }), qos: 1, retain: true },
      onEvent,
      onConnect: () => this.connected(),
      onMessage: (topic, payload, retain) => this.message(topic, payload, retain),
    });
    this.client.subscribe(topics.commandFilter, 0);
    this.client.subscribe(topics.discoveryStatus, 0);
    onEvent({ type: "outbox-loaded", pending: outbox.size, skippedLines: outbox.skippedLines });
  }

  start(): void {
    this.client.start();
    this.statusTimer = setInterval(() => this.publishStatuses(false), this.options.statusEveryMs);
  }

  /** Takes the node's events; readings go to the outbox, then to the broker. */
  handle(event: HostEvent): void {
    switch (event.type) {
      case "reading": {
        const { origin, seq, sensor, value, time, verified } = event;
        const reading: OutboxReading = { origin, seq, sensor, value: Number.isFinite(value) ? value : null, time, verified };
        const added = this.options.outbox.add(reading);
        if (added === null) return void this.repeats++; // delivered again after a kill: already handled
        if (added.dropped) this.drop(added.dropped);
        const status = this.originStatus(origin);
        status.lastSeq = seq;
        status.lastTime = time;
        status.lastHeard = unixSeconds();
        this.learnSensor(origin, sensor);
        this.pump(origin);
        return;
      }
      case "feed-verified":
        this.originStatus(event.origin).verifiedUpTo = event.upTo;
        return;
      case "feed-flagged":
        this.originStatus(event.origin).flagged = { seq: event.seq, reason: event.reason };
        return;
      case "commands-restored":
        // The node restarted with these pending: each path's newest stays shown, as before the restart.
        for (const c of event.commands) this.showsCommand(c.target, c.path, c.seq);
        return;
      case "command-acked":
        return this.publishCommandState(event.target, event.path, event.seq, { state: "acked", resends: event.resends, ms: event.ms });
      case "command-expired":
        return this.publishCommandState(event.target, event.path, event.seq, { state: "expired", reason: event.reason, resends: event.resends });
      case "health": {
        // Reports may come twice or out of order (best effort, several paths): keep the newest.
        const status = this.originStatus(event.origin);
        if (!status.report || event.seq > status.report.seq) status.report = { seq: event.seq, at: unixSeconds(), ...event.report };
        return;
      }
      default:
        return;
    }
  }

  /** Marks the gateway offline (retained), disconnects and closes the outbox. */
  async stop(): Promise<void> {
    clearInterval(this.statusTimer);
    const offline = this.client.publish(this.options.topics.status(this.options.gatewayId),
      JSON.stringify({ state: "offline", role: "gateway", time: unixSeconds() }), 1, true);
    await Promise.race([offline, new Promise((resolve) => setTimeout(resolve, STOP_PUBLISH_TIMEOUT_MS).unref())]);
    await this.client.stop();
    this.options.outbox.close();
  }

  private connected(): void {
    for (const { origin, sensor } of this.sensors.values()) this.announce(origin, sensor);
    this.publishStatuses(true);
    for (const origin of [...this.options.outbox.origins()]) this.pump(origin);
  }

  /** Publishes the oldest unacknowledged reading of `origin`, unless one is in flight; then the next. */
  private pump(origin: string): void {
    if (!this.client.isConnected || this.inFlight.has(origin)) return;
    const entry = this.options.outbox.firstOf(origin);
    if (!entry) return;
    this.inFlight.add(origin);
    const { reading } = entry;
    const topic = this.options.topics.reading(origin, reading.sensor);
    void this.client.publish(topic, readingPayload(reading), 1, true).then((acked) => {
      this.inFlight.delete(origin);
      if (!acked) return; // lost with the connection: the next connection publishes it again
      this.options.outbox.ack(entry.id);
      this.published++;
      this.options.onEvent({ type: "mqtt-published", origin, seq: reading.seq, sensor: reading.sensor, topic });
      this.pump(origin);
    });
  }

  private drop(entry: OutboxEntry): void {
    this.dropped++;
    const { origin, seq, sensor } = entry.reading;
    this.options.onEvent({ type: "outbox-dropped", origin, seq, sensor });
  }

  private learnSensor(origin: string, sensor: string): void {
    const key = `${origin}/${sensor}`;
    const known = this.sensors.has(key);
    touch(this.sensors, key, { origin, sensor });
    if (!known) this.announce(origin, sensor);
  }

  private announce(origin: string, sensor: string): void {
    const { topics, gatewayId } = this.options;
    void this.client.publish(topics.discovery(origin, sensor), topics.discoveryConfig(origin, sensor, gatewayId), 1, true);
  }

  private originStatus(origin: string): OriginStatus {
    const status = this.origins.get(origin) ?? { lastSeq: 0, lastTime: 0, lastHeard: 0, verifiedUpTo: null, flagged: null, report: null };
    touch(this.origins, origin, status);
    this.changed.add(origin);
    if (this.changed.size > TABLE_CAPACITY) this.changed.delete(this.changed.values().next().value as string);
    return status;
  }

  /** The gateway's status, and each origin's that changed (all of them when `all`). */
  private publishStatuses(all: boolean): void {
    if (!this.client.isConnected) return;
    const { topics, gatewayId, outbox } = this.options;
    const own = this.origins.get(gatewayId);
    const gateway = {
      state: "online", role: "gateway", time: unixSeconds(), health: this.options.health(),
      outbox: outbox.size, published: this.published, dropped: this.dropped, repeats: this.repeats, origins: this.origins.size,
      ...(own ? { via: gatewayId, ...own } : {}),
    };
    void this.client.publish(topics.status(gatewayId), JSON.stringify(gateway), 1, true);
    for (const origin of all ? this.origins.keys() : this.changed) {
      const status = this.origins.get(origin);
      if (origin === gatewayId || !status) continue;
      void this.client.publish(topics.status(origin), JSON.stringify({ via: gatewayId, ...status }), 1, true);
    }
    this.changed.clear();
  }

  private message(topic: string, payload: Buffer, retain: boolean): void {
    const { topics, onEvent } = this.options;
    if (topic === topics.discoveryStatus) {
      if (payload.toString() === "online") for (const { origin, sensor } of this.sensors.values()) this.announce(origin, sensor);
      return;
    }
    const command = topics.command(topic);
    if (command === null) return;
    const { node, path } = command;
    const refused = (reason: string): void => onEvent({ type: "command-refused", topic, node, reason });
    const reason = this.commandRefusal(node, path, payload, retain);
    if (reason !== null) return refused(reason);
    const seq = this.options.sendCommand(fromHex(node), path, payload);
    if (seq === null) return refused("the mesh node is not running yet");
    onEvent({ type: "command-sent", topic, node, path, seq, bytes: payload.length });
    this.publishCommandState(node, path, seq, { state: "sent" });
  }

  /** Publishes command `seq`'s state on its topic, unless a newer command's is shown there. */
  private publishCommandState(node: string, path: string, seq: number, state: Record<string, unknown>): void {
    if (!this.showsCommand(node, path, seq)) return;
    void this.client.publish(this.options.topics.commandState(node, path), JSON.stringify({ seq, ...state, time: unixSeconds() }), 1, true);
  }

  /** Notes `seq` as shown on its topic unless a newer command is; whether it is. */
  private showsCommand(node: string, path: string, seq: number): boolean {
    const topic = this.options.topics.commandState(node, path);
    if ((this.commandSeqs.get(topic) ?? 0) > seq) return false;
    touch(this.commandSeqs, topic, seq);
    return true;
  }

  /** Why a command cannot go into the mesh, or null when it can. */
  private commandRefusal(node: string, path: string, value: Buffer, retain: boolean): string | null {
    if (!this.options.mayCommand) return "certificate lacks the command right (issue one with `hyphae keys issue … --command`)";
    if (retain) return "retained: a stored command is not sent (publish it without the retain flag)";
    if (!NODE_ID.test(node)) return "the node id must be 16 lowercase hex digits";
    if (node === this.options.gatewayId) return "the gateway does not command itself";
    if (!isCommandPath(path)) return `the path after set/ must be 1..${MAX_COMMAND_PATH} characters of printable ASCII`;
    if (value.length > MAX_COMMAND_VALUE) return `the value is ${value.length} bytes, over ${MAX_COMMAND_VALUE}`;
    return null;
  }
}
