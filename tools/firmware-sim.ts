/**
 * The firmware in the Moddable desktop simulator, for tests and benchmarks: finding the SDK
 * (MODDABLE, as on a user's machine, or the build `../shared/moddable-build` makes on this project's
 * machines) and running one firmware image in `mcsim` headless under `xvfb-run`, in a process group
 * of its own, with every output line kept and timed.
 *
 * Rules from ../shared/platform-notes.md: each running mcsim gets its own HOME (with
 * `$HOME/.config/tech.moddable.mcsim/` made first); a simulator never exits by itself, so it is
 * ended by its process group (xvfb-run, Xvfb and mcsim), never by name.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

export interface ModdableSdk {
  /** The SDK's directory. */
  moddable: string;
  /** Environment for child processes: MODDABLE set, the SDK's tools first on PATH. */
  env: NodeJS.ProcessEnv;
}

/**
 * The SDK, or one line saying why there is none and how to get it. MODDABLE wins; without it,
 * `<repository>/../shared/moddable-build` is run when present (it builds the SDK once per machine,
 * about 3 minutes, and prints `export MODDABLE='…'; …`).
 */
export function findModdableSdk(repository: string): ModdableSdk | string {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const sharedBuild = resolve(repository, "..", "shared", "moddable-build");
  if (!env.MODDABLE && existsSync(sharedBuild)) {
    try {
      const out = execFileSync(sharedBuild, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const moddable = /export MODDABLE='([^']+)'/.exec(out)?.[1];
      if (moddable) env.MODDABLE = moddable;
    } catch (e) {
      return `skipped: ${sharedBuild} failed: ${(e as Error).message.split("\n")[0]}`;
    }
  }
  if (!env.MODDABLE) {
    return "skipped: the Moddable SDK is not installed (set MODDABLE to it, see README §Firmware, to run this test)";
  }
  const tools = join(env.MODDABLE, "build", "bin", "lin", "release");
  if (!existsSync(join(tools, "mcconfig")) || !existsSync(join(tools, "mcsim"))) {
    return `skipped: MODDABLE=${env.MODDABLE} has no built mcconfig and mcsim in ${tools}`;
  }
  env.PATH = [tools, env.PATH ?? ""].join(delimiter);
  return { moddable: env.MODDABLE, env };
}

/** One output line of the simulator and when it arrived (performance.now() ms). */
export interface TimedLine {
  at: number;
  text: string;
}

/** A JSON object the firmware traced, and when its line arrived. */
export interface TimedEvent {
  at: number;
  event: Record<string, unknown>;
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc's CPU times (CLK_TCK, 100 on Linux). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** One firmware image running in mcsim under xvfb-run, in a process group of its own. */
export class McsimProcess {
  readonly lines: TimedLine[] = [];
  /** Everything the simulator printed, stdout and stderr. */
  output = "";
  exited = false;
  /** When the process was spawned (performance.now() ms). */
  readonly spawnedAt: number;
  private readonly child: ChildProcess;
  private partial = "";
  private readonly parsed: TimedEvent[] = [];
  private parsedLines = 0;

  /**
   * `home` becomes the simulator's HOME (its settings); each running simulator needs its own.
   * `env` adds variables (e.g. XSBUG_PORT for a debug build).
   */
  constructor(sdk: ModdableSdk, readonly image: string, readonly home: string, env: NodeJS.ProcessEnv = {}) {
    mkdirSync(join(home, ".config", "tech.moddable.mcsim"), { recursive: true });
    this.spawnedAt = performance.now();
    this.child = spawn("xvfb-run", ["-a", "stdbuf", "-oL", "mcsim", image], {
      env: { ...sdk.env, ...env, HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const take = (chunk: Buffer): void => {
      const at = performance.now();
      const text = chunk.toString("utf8");
      this.output += text;
      this.partial += text;
      const parts = this.partial.split("\n");
      this.partial = parts.pop()!;
      for (const line of parts) this.lines.push({ at, text: line });
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
    this.child.on("exit", () => (this.exited = true));
  }

  /** The process group's id (xvfb-run's PID). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The JSON objects the firmware traced, with arrival times (other lines are skipped). */
  timedEvents(): TimedEvent[] {
    for (; this.parsedLines < this.lines.length; this.parsedLines++) {
      const { at, text } = this.lines[this.parsedLines];
      if (!text.startsWith("{")) continue;
      try {
        this.parsed.push({ at, event: JSON.parse(text) as Record<string, unknown> });
      } catch {
        // a line cut short when the process ended, or not ours
      }
    }
    return this.parsed;
  }

  /** The JSON objects the firmware traced. */
  events(): Record<string, unknown>[] {
    return this.timedEvents().map((e) => e.event);
  }

  /** Events of one `type`. */
  of(type: string): Record<string, unknown>[] {
    return this.events().filter((e) => e.type === type);
  }

  /**
   * Waits for the first traced event (from index `from` of events()) that matches; throws with the
   * output so far after `timeoutMs` or when the simulator has exited.
   */
  async waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs: number, what: string, from = 0): Promise<Record<string, unknown>> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.events().slice(from).find(match);
      if (hit) return hit;
      if (this.exited || performance.now() > end) {
        throw new Error(`mcsim ${this.image}: no ${what} within ${timeoutMs} ms${this.exited ? " (it exited)" : ""}; ` +
          `last output:\n${this.output.split("\n").slice(-30).join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The mcsim process of this group (not xvfb-run or Xvfb), or undefined once it is gone. Linux only. */
  private mcsimPid(): number | undefined {
    const group = this.child.pid;
    if (group === undefined || this.exited) return undefined;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const comm = stat.slice(stat.indexOf("(") + 1, close);
        const fields = stat.slice(close + 2).split(" ");
        if (comm === "mcsim" && Number(fields[2]) === group) return Number(entry);
      } catch {
        // the process ended meanwhile
      }
    }
    return undefined;
  }

  /** CPU time mcsim itself has used so far (user + system), ms; undefined when unknown. */
  cpuMs(): number | undefined {
    const pid = this.mcsimPid();
    if (pid === undefined) return undefined;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the command: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12)
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
    } catch {
      return undefined;
    }
  }

  /** Ends xvfb-run, Xvfb and mcsim (SIGTERM to the process group, SIGKILL after 3 s). */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    try {
      process.kill(-this.child.pid, "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.exited) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // the whole group is gone
    }
  }
}
