/**
 * A real Mosquitto broker for tests: its own config file in a temporary directory, a loopback
 * listener, started in the foreground and ended by its PID (also when a test fails: call `stop` in
 * `finally`). With `persistent` it keeps its database (sessions, queued and retained messages) in that
 * directory across `stop`/`start`, as a broker that is restarted in production does, and queues QoS 0
 * messages for disconnected persistent sessions too (for the subscriber below).
 *
 * Also: `mosquitto_pub` to publish to it, and `mosquitto_sub` as an independent subscriber, its lines
 * parsed as they arrive.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MOSQUITTO = "/usr/sbin/mosquitto";
export const MOSQUITTO_SUB = "mosquitto_sub";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why the broker tests cannot run here, or null when they can. */
export function mosquittoMissing(): string | null {
  if (spawnSync(MOSQUITTO, ["-h"], { stdio: "ignore" }).error) return `${MOSQUITTO} is not installed (Debian package mosquitto)`;
  if (spawnSync(MOSQUITTO_SUB, ["--help"], { stdio: "ignore" }).error) return "mosquitto_sub is not installed (Debian package mosquitto-clients)";
  return null;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function until(what: string, timeoutMs: number, ready: () => boolean, failed: () => string | null): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ready()) {
    const failure = failed();
    if (failure) throw new Error(`${what}: ${failure}`);
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export class MosquittoBroker {
  readonly dir: string;
  private child: ChildProcess | null = null;
  private log = "";
  private exited: Promise<void> = Promise.resolve();

  /** `prefix`: e.g. `ip netns exec NS` to run it inside a network namespace. */
  constructor(readonly port: number, readonly options: { persistent?: boolean; prefix?: string[] } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "hyphae-mosquitto-"));
    const lines = [`listener ${port} 127.0.0.1`, "allow_anonymous true", "log_dest stderr", "user root"];
    lines.push(options.persistent ? `persistence true\npersistence_location ${this.dir}/\nqueue_qos0_messages true` : "persistence false");
    writeFileSync(join(this.dir, "mosquitto.conf"), lines.join("\n") + "\n");
  }

  get output(): string {
    return this.log;
  }

  /** Starts it and waits until it listens. */
  async start(): Promise<void> {
    const argv = [...(this.options.prefix ?? []), MOSQUITTO, "-c", join(this.dir, "mosquitto.conf")];
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const mark = this.log.length;
    let exit: string | null = null;
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (this.log += t));
    child.stderr!.setEncoding("utf8").on("data", (t: string) => (this.log += t));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => {
      exit = `exited (${code ?? signal})\n${this.log.slice(mark)}`;
      resolve();
    }));
    await until("mosquitto start", 5000, () => /running/.test(this.log.slice(mark)), () => exit);
  }

  /** Ends it by its PID (SIGTERM: it saves its database when persistent) and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.exited;
  }

  /** Publishes `message` on `topic` with mosquitto_pub (`flags`: e.g. -r to retain it) and returns once it is sent. */
  publish(topic: string, message: string, ...flags: string[]): void {
    const argv = [...(this.options.prefix ?? []), "mosquitto_pub", "-h", "127.0.0.1", "-p", String(this.port), "-t", topic, "-m", message, ...flags];
    spawnSync(argv[0], argv.slice(1));
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) it: a broker that holds connections open but answers nothing. */
  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    this.child?.kill(signal);
  }

  async dispose(): Promise<void> {
    this.signal("SIGCONT");
    await this.stop("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface SubscribedMessage {
  topic: string;
  payload: string;
  /** Set when the broker sent it as a retained message (on subscribing), not as a live one. */
  retained: boolean;
}

/**
 * `mosquitto_sub` with a persistent session (fixed client id, clean session off), so that, like a
 * real consumer, it gets what was published while it was reconnecting to a restarted broker (queued
 * by the broker's `queue_qos0_messages`). It subscribes at QoS 0 on purpose: at QoS 1 the broker
 * itself resends, after its restart, a message whose PUBACK from the subscriber it had not yet
 * processed — a duplicate of the broker → subscriber leg (seen here), which would hide whether the
 * gateway → broker leg ever duplicates, the leg under test.
 */
export class Subscriber {
  readonly messages: SubscribedMessage[] = [];
  private readonly child: ChildProcess;
  private partial = "";
  stderr = "";

  constructor(port: number, filters: string[], clientId: string, prefix: string[] = []) {
    const argv = [...prefix, MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", String(port), "-q", "0", "-c", "-i", clientId,
      "-F", "%r %t %p", ...filters.flatMap((f) => ["-t", f])];
    this.child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (this.partial + chunk).split("\n");
      this.partial = lines.pop()!;
      for (const line of lines) {
        const [retain, topic, ...rest] = line.split(" ");
        this.messages.push({ retained: retain === "1", topic, payload: rest.join(" ") });
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (t: string) => (this.stderr += t));
  }

  /** Waits until `match` holds over the messages so far. */
  async waitFor(what: string, timeoutMs: number, match: (messages: SubscribedMessage[]) => boolean): Promise<void> {
    await until(what, timeoutMs, () => match(this.messages), () => (this.child.exitCode !== null ? `mosquitto_sub exited: ${this.stderr}` : null));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** The `load` readings a subscriber got live (retained replays left out), per node: seqs in arrival order. */
export function readingSeqs(messages: SubscribedMessage[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of messages) {
    const [prefix, , node, sensor] = m.topic.split("/");
    if (m.retained || prefix !== "hyphae" || sensor !== "load") continue;
    out.set(node, [...(out.get(node) ?? []), JSON.parse(m.payload).seq as number]);
  }
  return out;
}
