/**
 * The Moddable SDK for tests: found through MODDABLE (a user's machine) or built by
 * ../shared/moddable-build (this project's machines and CI), and the desktop simulator (mcsim) run
 * headless as a child process whose trace lines are collected.
 *
 * Tests that need the SDK skip, with one line saying how to enable them, when neither is present.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** build/test/helpers/ → the repository root. */
export const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SHARED_BUILD = resolve(REPOSITORY, "..", "shared", "moddable-build");

export interface ModdableSdk {
  /** Environment for child processes: MODDABLE set, the SDK's tools on PATH. */
  env: NodeJS.ProcessEnv;
}

let found: ModdableSdk | string | undefined;

/** The SDK, or the reason it is missing (a one-line skip message). */
export function moddableSdk(): ModdableSdk | string {
  if (found !== undefined) return found;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!env.MODDABLE && existsSync(SHARED_BUILD)) {
    try {
      // Prints `export MODDABLE='…'; export PATH="$PATH:…"` (building the SDK once per machine).
      const out = execFileSync(SHARED_BUILD, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const moddable = /export MODDABLE='([^']+)'/.exec(out)?.[1];
      if (moddable) env.MODDABLE = moddable;
    } catch (e) {
      return (found = `skipped: ${SHARED_BUILD} failed: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  if (!env.MODDABLE) {
    return (found = "skipped: the Moddable SDK is not installed (set MODDABLE to it, see README §Firmware, to run this test)");
  }
  const tools = join(env.MODDABLE, "build", "bin", "lin", "release");
  if (!existsSync(join(tools, "mcconfig")) || !existsSync(join(tools, "mcsim"))) {
    return (found = `skipped: MODDABLE=${env.MODDABLE} has no built mcconfig and mcsim in ${tools}`);
  }
  env.PATH = [tools, env.PATH ?? ""].join(delimiter);
  return (found = { env });
}

/** One firmware image running in mcsim under xvfb-run, in a process group of its own. */
export class Mcsim {
  readonly lines: string[] = [];
  output = "";
  exited = false;
  private readonly child: ChildProcess;
  private partial = "";

  /** `home` becomes the simulator's HOME (its settings); each running simulator needs its own. */
  constructor(sdk: ModdableSdk, image: string, home: string) {
    mkdirSync(join(home, ".config", "tech.moddable.mcsim"), { recursive: true });
    this.child = spawn("xvfb-run", ["-a", "stdbuf", "-oL", "mcsim", image], {
      env: { ...sdk.env, HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const take = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      this.output += text;
      this.partial += text;
      const parts = this.partial.split("\n");
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
    this.child.on("exit", () => (this.exited = true));
  }

  /** The JSON objects the firmware traced (other lines are skipped). */
  events(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.lines) {
      if (!line.startsWith("{")) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut short when the process ended
      }
    }
    return out;
  }

  /** Waits for the first traced event that matches; throws with the output so far after `timeoutMs`. */
  async waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events().find(match);
      if (hit) return hit;
      if (this.exited || Date.now() > end) {
        throw new Error(`mcsim: no ${what} within ${timeoutMs} ms${this.exited ? " (it exited)" : ""}; output:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends xvfb-run, Xvfb and mcsim: the process group this object started. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    try {
      process.kill(-this.child.pid, "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (!this.exited) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
