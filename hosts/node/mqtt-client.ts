/**
 * A small MQTT 3.1.1 client over node:net, built on mqtt-packet's `generate` and `parser`: what the
 * gateway needs and nothing more.
 *
 * - Clean session, a client id, an optional last will.
 * - Keepalive: a PINGREQ when the broker has been silent (or we have) for `keepaliveSeconds`; the
 *   connection is dead when nothing at all arrives for 1.5 × keepalive, and is dropped.
 * - Publish QoS 0 and QoS 1 (retain flag as given). `publish` resolves to true when the broker took
 *   it (PUBACK for QoS 1, written to the socket for QoS 0) and to false when it could not: not
 *   connected, or the connection was lost before the PUBACK. It never rejects. There is no resend
 *   inside the client: with a clean session the broker forgets packet ids on a new connection, so
 *   the caller decides what to send again (the gateway's outbox does).
 * - Subscriptions are remembered and made again on every connection.
 * - Lost or refused connections are retried after `reconnectDelayMs` (capped exponential with
 *   jitter), forever, until `stop`.
 *
 * Socket errors, protocol errors and refusals are reported through `onEvent`, never thrown out of a
 * socket callback; so are exceptions thrown by the caller's own callbacks.
 */
import { connect, type Socket } from "node:net";
import mqttPacket, { type IConnectPacket, type Packet } from "mqtt-packet";

export type MqttEvent =
  | { type: "mqtt-connected"; broker: string; clientId: string }
  | { type: "mqtt-disconnected"; reason: string; retryInMs: number }
  | { type: "mqtt-error"; message: string };

export interface MqttWill {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface ReconnectPolicy {
  /** First retry delay ceiling, ms. */
  minMs: number;
  /** Largest retry delay, ms. */
  maxMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = Object.freeze({ minMs: 500, maxMs: 30_000 });

export interface MqttClientOptions {
  host: string;
  port: number;
  clientId: string;
  /** 1..65535 seconds. */
  keepaliveSeconds: number;
  will?: MqttWill;
  reconnect?: ReconnectPolicy;
  /** Uniform in [0, 1): the reconnect jitter. */
  random?: () => number;
  onEvent(event: MqttEvent): void;
  /** A message on a subscribed topic. */
  /** `retain`: the broker sent a stored (retained) message, not one published just now. */
  onMessage?(topic: string, payload: Buffer, retain: boolean): void;
  /** Each time a connection is accepted (after the subscriptions are sent again). */
  onConnect?(): void;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first after a loss): a ceiling of
 * min·2^attempt capped at max, and a uniform draw in its upper half — never hammering a broker that
 * is coming back, and spreading the gateways of one site apart ("equal jitter").
 */
export function reconnectDelayMs(attempt: number, policy: ReconnectPolicy, random01: number): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + (random01 * ceiling) / 2);
}

const CONNACK_REASONS: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};
/** The broker must answer CONNECT within this, ms. */
const CONNACK_TIMEOUT_MS = 10_000;
/** Packet ids are 16 bits and never 0: at most this many QoS 1 publishes wait for a PUBACK. */
const MAX_PACKET_ID = 0xffff;

interface Subscription {
  topic: string;
  qos: 0 | 1;
}

export class MqttClient {
  private socket: Socket | null = null;
  private connected = false;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private connackTimer: NodeJS.Timeout | undefined;
  private lastReceivedAt = 0;
  private lastSentAt = 0;
  private nextPacketId = 1;
  /** QoS 1 publishes waiting for their PUBACK, by packet id. */
  private readonly inFlight = new Map<number, (acked: boolean) => void>();
  /** Bounded by the caller: the gateway subscribes to two filters. */
  private readonly subscriptions: Subscription[] = [];
  /** The reason the current connection failed, reported once it has closed. */
  private failure: string | null = null;
  private readonly random: () => number;

  constructor(private readonly options: MqttClientOptions) {
    this.random = options.random ?? Math.random;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get broker(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** Starts connecting (and reconnecting) until `stop`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /**
   * Publishes one message; resolves true once the broker has it (QoS 1: its PUBACK), false when it
   * could not be sent or the connection was lost first.
   */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    if (qos === 0) return Promise.resolve(this.send({ cmd: "publish", topic, payload, qos: 0, dup: false, retain }));
    const messageId = this.takePacketId();
    if (messageId === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.inFlight.set(messageId, resolve);
      this.send({ cmd: "publish", topic, payload, qos: 1, dup: false, retain, messageId });
    });
  }

  /** Subscribes now (when connected) and again on every later connection. */
  subscribe(topic: string, qos: 0 | 1): void {
    this.subscriptions.push({ topic, qos });
    if (this.connected) this.sendSubscribe([{ topic, qos }]);
  }

  /** Disconnects cleanly (no will) and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket) return;
    if (this.connected) this.send({ cmd: "disconnect" });
    this.closeConnection();
    await new Promise<void>((resolve) => {
      if (socket.closed) return resolve();
      socket.once("close", () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  private open(): void {
    const { host, port, clientId, keepaliveSeconds, will } = this.options;
    const socket = connect({ host, port });
    this.socket = socket;
    this.failure = null;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (packet: Packet) => this.guard(() => this.receive(packet)));
    parser.on("error", (e: Error) => this.fail(`protocol error from the broker: ${e.message}`));
    socket.setNoDelay(true);
    socket.on("connect", () => {
      const hello: IConnectPacket = { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: keepaliveSeconds };
      if (will) hello.will = { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain };
      this.lastReceivedAt = Date.now();
      this.send(hello);
      this.connackTimer = setTimeout(() => this.fail(`no CONNACK within ${CONNACK_TIMEOUT_MS} ms`), CONNACK_TIMEOUT_MS);
    });
    socket.on("data", (chunk: Buffer) => {
      this.lastReceivedAt = Date.now();
      this.guard(() => parser.parse(chunk));
    });
    socket.on("error", (e: Error) => {
      this.failure ??= e.message;
    });
    socket.on("close", () => this.guard(() => this.closed(socket)));
  }

  private receive(packet: Packet): void {
    switch (packet.cmd) {
      case "connack":
        clearTimeout(this.connackTimer);
        if (packet.returnCode !== 0) {
          const code = packet.returnCode ?? -1;
          return this.fail(`broker refused the connection: ${CONNACK_REASONS[code] ?? `code ${code}`}`);
        }
        this.connected = true;
        this.attempt = 0;
        this.armKeepalive();
        if (this.subscriptions.length > 0) this.sendSubscribe(this.subscriptions);
        this.options.onEvent({ type: "mqtt-connected", broker: this.broker, clientId: this.options.clientId });
        this.options.onConnect?.();
        return;
      case "puback": {
        const resolve = this.inFlight.get(packet.messageId!);
        this.inFlight.delete(packet.messageId!);
        return resolve?.(true);
      }
      case "suback":
        if ((packet.granted as number[]).some((g) => g === 0x80)) {
          this.options.onEvent({ type: "mqtt-error", message: "the broker refused a subscription" });
        }
        return;
      case "publish":
        if (packet.qos > 0) this.send({ cmd: "puback", messageId: packet.messageId });
        this.options.onMessage?.(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.retain);
        return;
      default:
        return; // PINGRESP and anything else: only proof of life (lastReceivedAt).
    }
  }

  /** Drops the connection for `reason`; the close handler reports it and schedules the retry. */
  private fail(reason: string): void {
    this.failure ??= reason;
    this.socket?.destroy();
  }

  private closed(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasConnected = this.connected;
    this.closeConnection();
    this.socket = null;
    if (this.stopped) return;
    const retryInMs = reconnectDelayMs(this.attempt++, this.options.reconnect ?? DEFAULT_RECONNECT, this.random());
    const reason = this.failure ?? (wasConnected ? "the broker closed the connection" : "connection closed before CONNACK");
    this.options.onEvent({ type: "mqtt-disconnected", reason, retryInMs });
    this.reconnectTimer = setTimeout(() => this.open(), retryInMs);
  }

  /** Forgets the connection's state: timers, and every publish still waiting resolves false. */
  private closeConnection(): void {
    this.connected = false;
    clearTimeout(this.connackTimer);
    clearInterval(this.keepaliveTimer);
    const waiting = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const resolve of waiting) resolve(false);
  }

  private armKeepalive(): void {
    const keepaliveMs = this.options.keepaliveSeconds * 1000;
    this.keepaliveTimer = setInterval(() => this.guard(() => {
      const now = Date.now();
      if (now - this.lastReceivedAt > 1.5 * keepaliveMs) {
        return this.fail(`no packet from the broker for ${now - this.lastReceivedAt} ms (keepalive ${this.options.keepaliveSeconds} s)`);
      }
      // Silence either way: the broker needs a packet within the keepalive, and a PINGRESP proves it lives.
      if (now - this.lastSentAt >= keepaliveMs || now - this.lastReceivedAt >= keepaliveMs) this.send({ cmd: "pingreq" });
    }), Math.max(100, keepaliveMs / 4));
  }

  private sendSubscribe(subscriptions: Subscription[]): void {
    const messageId = this.takePacketId();
    if (messageId !== 0) this.send({ cmd: "subscribe", messageId, subscriptions: subscriptions.map((s) => ({ ...s })) });
  }

  /** A free packet id, or 0 when all 65535 wait for a PUBACK. */
  private takePacketId(): number {
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      const id = this.nextPacketId;
      this.nextPacketId = id === MAX_PACKET_ID ? 1 : id + 1;
      if (!this.inFlight.has(id)) return id;
    }
    return 0;
  }

  private send(packet: Packet): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) return false;
    let bytes: Buffer;
    try {
      bytes = mqttPacket.generate(packet);
    } catch (e) {
      this.options.onEvent({ type: "mqtt-error", message: `cannot encode ${packet.cmd}: ${(e as Error).message}` });
      return false;
    }
    this.lastSentAt = Date.now();
    socket.write(bytes);
    return true;
  }

  /** Runs a callback's body; whatever it throws becomes an event (socket callbacks must not throw). */
  private guard(body: () => void): void {
    try {
      body();
    } catch (e) {
      this.options.onEvent({ type: "mqtt-error", message: (e as Error)?.message ?? String(e) });
    }
  }
}
