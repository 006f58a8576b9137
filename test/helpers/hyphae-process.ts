/**
 * `hyphae node` (or another long-running `hyphae` command) as a child process for tests: provisioning files for a small mesh, the process's JSON
 * lines parsed as they arrive, waits with a deadline, and an end by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { HostEvent as NodeEvent } from "../../hosts/node/host-event.js";
import type { GatewayEvent } from "../../hosts/node/mqtt-bridge.js";
import { createMeshKeys, provisionNode } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { provisioningToText } from "../../modules/provisioning.js";
import { Role } from "../../modules/identity/certificate.js";

/** build/test/helpers/ → the repository's bin/hyphae.js */
export const HYPHAE_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "hyphae.js");

/**
 * Writes `count` provisioning files of one mesh into `dir` (node1.json …); returns their paths. Nodes
 * are numbered from 1; `commanders` are those whose certificate grants the command right.
 */
export function writeProvisioning(dir: string, count: number, seed: number, roles: ReadonlyMap<number, Role> = new Map(),
    commanders: ReadonlySet<number> = new Set()): string[] {
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng);
  return Array.from({ length: count }, (_, i) => {
    const file = join(dir, `node${i + 1}.json`);
    writeFileSync(file, JSON.stringify(provisioningToText(provisionNode(keys, rng, roles.get(i + 1) ?? Role.Node, commanders.has(i + 1)))));
    return file;
  });
}

/** Seqs of the `reading` lines of gateway processes (in the order given), per origin. */
export function deliveredSeqs(gateways: HyphaeProcess[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const g of gateways) for (const r of g.of("reading")) out.set(r.origin, [...(out.get(r.origin) ?? []), r.seq]);
  return out;
}

/** A UDP port free on `address` now (loopback nodes of one test share it on .2, .3, …). */
export function freeUdpPort(address: string): Promise<number> {
  const s = createSocket("udp4");
  return new Promise((resolve) => s.bind(0, address, () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A JSON line of either command. */
type HostEvent = NodeEvent | GatewayEvent;

export class HyphaeProcess {
  readonly events: HostEvent[] = [];
  stderr = "";
  /** The exit code (or signal name) once the process has ended. */
  exit: number | string | undefined;
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private partial = "";

  /** Runs `prefix… node bin/hyphae.js COMMAND flags…` (prefix: e.g. `ip netns exec NS`; command: `node`, or e.g. `content`). */
  constructor(readonly name: string, flags: string[], prefix: string[] = [], command = "node") {
    const argv = [...prefix, process.execPath, HYPHAE_BIN, command, ...flags];
    this.child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => this.onStdout(chunk));
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on("close", (code, signal) => resolve((this.exit = code ?? signal ?? "?"))));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Events of one type. */
  of<T extends HostEvent["type"]>(type: T): Extract<HostEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<HostEvent, { type: T }> => e.type === type);
  }

  /** The first event (from index `from`) that satisfies `match`, waiting up to `timeoutMs`. */
  async waitFor<T extends HostEvent["type"]>(type: T, match: (e: Extract<HostEvent, { type: T }>) => boolean,
      timeoutMs: number, what: string, from = 0): Promise<Extract<HostEvent, { type: T }>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find((e): e is Extract<HostEvent, { type: T }> => e.type === type && match(e as never));
      if (hit) return hit;
      if (this.exit !== undefined) throw new Error(`${this.name} exited (${this.exit}) before ${what}\n${this.tail()}`);
      if (Date.now() > end) throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.tail()}`);
      await sleep(20);
    }
  }

  /** Sends `signal` to the process by its PID; resolves when it has ended. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | string> {
    if (this.exit === undefined) this.child.kill(signal);
    return this.exited;
  }

  private onStdout(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as HostEvent);
  }

  private tail(): string {
    return `last events: ${this.events.slice(-5).map((e) => JSON.stringify(e)).join("\n  ")}\nstderr: ${this.stderr}`;
  }
}
