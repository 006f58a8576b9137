/**
 * `hyphae firmware build`: compiles the firmware (manifest.json, hosts/moddable, modules/) with the
 * Moddable SDK that MODDABLE points at, for one provisioned node, and prints the path of the image.
 *
 * The node's settings travel in a small generated manifest that includes the repository's
 * manifest.json and sets its `config` (provisioning, port, peers, periods, Wi-Fi; README §Firmware),
 * so the image boots as that certified node. mcconfig runs the project's own TypeScript compiler
 * (node_modules/.bin first on PATH). Builds share a work directory: the first compiles everything
 * (a minute or two), later ones, for other nodes, recompile only the config (seconds); the image is
 * copied out to the node's own directory, beside its state. On a terminal a progress bar counts the
 * build's steps (build-progress.ts).
 *
 * Exit codes: 0 built, 2 usage error (bad flag, value or provisioning file), 1 the environment or
 * the build failed (MODDABLE unset, no mcconfig, a compile error: the compiler's message is shown).
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { cpus } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { toHex } from "../modules/bytes.js";
import { createNodeConfig } from "../modules/config.js";
import { tweetnaclCrypto } from "../modules/crypto/tweetnacl-crypto.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { MeshNode, type Provisioning } from "../modules/node.js";
import { provisioningFromText, provisioningToText, type ProvisioningText } from "../modules/provisioning.js";
import { type BarTiming, BuildProgress, plannedSteps } from "./build-progress.js";
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, parseFlags, UsageError, type Writer } from "./cli.js";

/** build/tools/firmware-command.js → the repository root. */
const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DEFAULT_PORT = 47000;
const DEFAULT_PERIOD_MS = 60_000;
/** The app's name in manifest.json (`build.NAME`): mcconfig's output folder. */
const APP_NAME = "hyphae";
const DESKTOP_TARGETS = ["lin", "mac", "win"] as const;
/** How long a build waits for another one to release the shared work directory. */
const LOCK_WAIT_MS = 15 * 60_000;

const HELP = `Usage: hyphae firmware build --provisioning FILE [flags]

Builds the Hyphae firmware for one node with the Moddable SDK (MODDABLE must point at it): the
repository's manifest.json, hosts/moddable and the core, compiled by mcconfig with this project's
TypeScript, with the node's provisioning and settings in the build's config. Prints the path of
the image on stdout. Run a desktop image in the Moddable simulator:
  mcsim <image>        (headless: xvfb-run -a mcsim <image>)

Flags:
  --provisioning FILE    this node's provisioning, JSON as \`hyphae keys export\` prints it [required]
  --target T             lin, mac or win (the desktop simulator), or esp32[/board] [lin]
  --peers LIST           desktop targets, required: ADDR:PORT of the mesh's nodes, comma-separated;
                         every frame is sent to each (the simulator cannot broadcast); the node's
                         own entry is skipped, so every node can get the same list
  --port N               the mesh UDP port, 1..65535 [${DEFAULT_PORT}]; on one machine each simulated
                         node needs its own
  --broadcast LIST       esp32: ADDR[:PORT],… to send every frame to, instead of each interface's
                         subnet broadcast (derived as /24)
  --ssid S               esp32: a Wi-Fi network to join first
  --password P           esp32: its password
  --mesh-ssid S          esp32: the mesh's own network, joined or else started as an access point
                         [hyphae-mesh]
  --mesh-password P      esp32: its password, 8..63 characters [none: open]
  --publish-every MS     sample message (to every node) period, ms; 0 = never, else
                         100..86400000 [${DEFAULT_PERIOD_MS}]
  --reading-every MS     sensor reading (to a gateway, exactly once) period, ms; 0 = never,
                         else 100..86400000 [${DEFAULT_PERIOD_MS}]
  --beacon-ms MS         HELLO period, a multiple of 100 from 100 to 60000 [the core's, 5000]
  --status-every MS      period of the firmware's \`status\` line (counters, drops by reason),
                         ms; 0 = never, else 100..86400000 [${DEFAULT_PERIOD_MS}]
  --out DIR              the node's directory: generated manifest, build log, image, state
                         [build/firmware/<target>/<node id>]
  --state DIR            desktop targets: the node's flash (its preference file) [<out>/state]
  --work DIR             mcconfig's output, shared by builds (one at a time: a build waits
                         for another to finish) [build/firmware/work-<target>]
  --debug                a debug build: instrumented, connects to xsbug (localhost:5002)
  --flash                esp32: also flash the board (mcconfig's deploy step)
  --source DIR           the Hyphae tree to build [this repository]
  -h, --help             this help

On a terminal a progress bar on stderr counts the build's steps against those it will run.

Exit codes: 0 built, 2 usage error (bad flag, value or provisioning file), 1 the build failed or
the SDK is missing (the compiler's message is shown; the full log is in <out>/build.log).

Examples:
  hyphae keys export --name kitchen > kitchen.json
  hyphae firmware build --provisioning kitchen.json --port 47001 \\
      --peers 127.0.0.1:47001,127.0.0.1:47002,127.0.0.1:47003
  hyphae firmware build --provisioning kitchen.json --target esp32 --flash
`;

const OPTIONS = {
  provisioning: { type: "string" },
  target: { type: "string" },
  peers: { type: "string" },
  port: { type: "string" },
  broadcast: { type: "string" },
  ssid: { type: "string" },
  password: { type: "string" },
  "mesh-ssid": { type: "string" },
  "mesh-password": { type: "string" },
  "publish-every": { type: "string" },
  "reading-every": { type: "string" },
  "beacon-ms": { type: "string" },
  "status-every": { type: "string" },
  out: { type: "string" },
  state: { type: "string" },
  work: { type: "string" },
  debug: { type: "boolean" },
  flash: { type: "boolean" },
  source: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface FirmwareBuildOptions {
  provisioningFile: string;
  target: string;
  desktop: boolean;
  /** mcconfig config keys other than the provisioning (manifest.json `config`). */
  config: Record<string, string | number>;
  out: string | undefined;
  state: string | undefined;
  work: string | undefined;
  debug: boolean;
  flash: boolean;
  source: string;
}

const ENDPOINT = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(:\d{1,5})?$/;

function endpointsFlag(flag: string, value: string, portRequired: boolean): string {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const item of items) {
    const port = Number(item.split(":")[1] ?? "1");
    if (!ENDPOINT.test(item) || item.split(":")[0].split(".").some((o) => Number(o) > 255) || port < 1 || port > 65535 ||
        (portRequired && !item.includes(":"))) {
      throw new UsageError(`${flag} must list IPv4 ${portRequired ? "ADDR:PORT" : "ADDR or ADDR:PORT"} separated by commas, got ${JSON.stringify(item)}`);
    }
  }
  if (items.length === 0) throw new UsageError(`${flag} needs at least one address`);
  return items.join(",");
}

function periodFlag(flag: string, value: string | undefined): number {
  if (value === undefined) return DEFAULT_PERIOD_MS;
  const ms = integerFlag(flag, value, 0, 86_400_000);
  if (ms > 0 && ms < 100) throw new UsageError(`${flag} must be 0 (never) or from 100 to 86400000, got ${ms}`);
  return ms;
}

/** Flags → options; null for --help. Throws UsageError naming the flag and the rule. */
export function parseFirmwareArgs(args: string[]): FirmwareBuildOptions | null {
  const [action, ...rest] = args;
  if (action === "-h" || action === "--help") return null;
  if (action !== "build") {
    throw new UsageError(action === undefined ? "an action is required: build" : `unknown action '${action}'; the actions are: build`);
  }
  const v = parseFlags(rest, OPTIONS) as Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  if (v.help) return null;
  const str = (k: keyof typeof OPTIONS): string | undefined => v[k] as string | undefined;

  const provisioningFile = str("provisioning");
  if (!provisioningFile) throw new UsageError("--provisioning FILE is required (make one with `hyphae keys export --name NAME`)");
  const target = str("target") ?? "lin";
  const desktop = (DESKTOP_TARGETS as readonly string[]).includes(target);
  if (!desktop && !/^esp32(\/[a-z0-9_]+)?$/.test(target)) {
    throw new UsageError(`--target must be lin, mac, win or esp32[/board], got ${JSON.stringify(target)}`);
  }
  const port = str("port") === undefined ? DEFAULT_PORT : integerFlag("--port", str("port")!, 1, 65535);
  const config: Record<string, string | number> = {
    port,
    publishMs: periodFlag("--publish-every", str("publish-every")),
    readingMs: periodFlag("--reading-every", str("reading-every")),
  };
  if (str("status-every") !== undefined) config.statusMs = periodFlag("--status-every", str("status-every"));
  if (str("beacon-ms") !== undefined) {
    const beacon = integerFlag("--beacon-ms", str("beacon-ms")!, 100, 60_000);
    if (beacon % 100 !== 0) throw new UsageError(`--beacon-ms must be a multiple of 100, got ${beacon}`);
    config.beaconMs = beacon;
  }
  const espOnly = ["broadcast", "ssid", "password", "mesh-ssid", "mesh-password", "flash"] as const;
  const desktopOnly = ["peers", "state"] as const;
  for (const k of desktop ? espOnly : desktopOnly) {
    if (v[k] !== undefined) throw new UsageError(`--${k} is for ${desktop ? "esp32" : "desktop (lin, mac, win)"} targets`);
  }
  if (desktop) {
    if (str("peers") === undefined) throw new UsageError(`--peers LIST is required for --target ${target}: the simulator sends to each peer (it cannot broadcast)`);
    config.peers = endpointsFlag("--peers", str("peers")!, true);
  } else {
    if (str("broadcast") !== undefined) config.broadcast = endpointsFlag("--broadcast", str("broadcast")!, false);
    if (str("ssid") !== undefined) config.ssid = str("ssid")!;
    if (str("password") !== undefined) config.password = str("password")!;
    if (str("mesh-ssid") !== undefined) {
      const ssid = str("mesh-ssid")!;
      if (ssid.length < 1 || ssid.length > 32) throw new UsageError("--mesh-ssid must be 1..32 characters");
      config.meshSsid = ssid;
    }
    if (str("mesh-password") !== undefined) {
      const password = str("mesh-password")!;
      if (password.length < 8 || password.length > 63) throw new UsageError("--mesh-password must be 8..63 characters");
      config.meshPassword = password;
    }
  }
  return {
    provisioningFile,
    target,
    desktop,
    config,
    out: str("out"),
    state: str("state"),
    work: str("work"),
    debug: v.debug === true,
    flash: v.flash === true,
    source: resolve(str("source") ?? REPOSITORY),
  };
}

/** Reads the provisioning file and checks it boots a node (certificate fits the key, verifies). */
function readProvisioning(file: string): { text: ProvisioningText; provisioning: Provisioning } {
  let text: ProvisioningText;
  try {
    text = JSON.parse(readFileSync(file, "utf8")) as ProvisioningText;
  } catch (e) {
    throw new UsageError(`--provisioning: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const provisioning = provisioningFromText(text);
    const storage = { get: () => undefined, set: () => {} };
    new MeshNode(provisioning, { crypto: tweetnaclCrypto, random: { nextU32: () => 0 }, storage }, createNodeConfig());
    // Only the five provisioning fields go into the build (`hyphae keys export` adds name, role, …).
    return { text: provisioningToText(provisioning), provisioning };
  } catch (e) {
    throw new UsageError(`--provisioning ${file}: ${(e as Error).message}`);
  }
}

/** A failure of the environment or the build: printed, exit 1. */
class BuildError extends Error {}

function hostPlatform(): string {
  switch (process.platform) {
    case "linux":
      return "lin";
    case "darwin":
      return "mac";
    case "win32":
      return "win";
    default:
      throw new BuildError(`the Moddable SDK tools do not run on ${process.platform}`);
  }
}

/** The environment mcconfig needs: the SDK's tools and this project's tsc on PATH. */
function buildEnvironment(source: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const moddable = base.MODDABLE;
  if (!moddable) {
    throw new BuildError("MODDABLE is not set: install the Moddable SDK (https://github.com/Moddable-OpenSource/moddable, " +
      "documentation/Moddable SDK - Getting Started.md) and export MODDABLE=<its directory>");
  }
  const tools = join(moddable, "build", "bin", hostPlatform(), "release");
  if (!existsSync(join(tools, "mcconfig"))) {
    throw new BuildError(`MODDABLE=${moddable} has no ${join(tools, "mcconfig")}: build the SDK tools first ` +
      `(cd $MODDABLE/build/makefiles/${hostPlatform()} && make)`);
  }
  const bin = join(source, "node_modules", ".bin");
  if (!existsSync(join(bin, "tsc"))) throw new BuildError(`${join(bin, "tsc")} is missing: run \`npm install\` in ${source}`);
  const env: NodeJS.ProcessEnv = { ...base, PATH: [bin, tools, base.PATH ?? ""].join(delimiter) };
  // mcconfig's makefiles compile each module separately: let make use every core.
  env.MAKEFLAGS ??= `-j${Math.max(1, cpus().length)}`;
  return env;
}

/** Runs a build command, its output into the log and, line by line, to `onLine`. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: number,
    onLine: (line: string) => void = () => {}): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    writeSync(log, `$ ${command} ${args.join(" ")}\n`);
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const lineReader = (): ((chunk: Buffer) => void) => {
      let partial = "";
      return (chunk) => {
        const text = chunk.toString("utf8");
        output += text;
        writeSync(log, chunk);
        const lines = (partial + text).split("\n");
        partial = lines.pop()!;
        lines.forEach(onLine);
      };
    };
    child.stdout.on("data", lineReader());
    child.stderr.on("data", lineReader());
    child.on("error", (e) => {
      output += `${command}: ${e.message}\n`;
      resolvePromise({ code: 127, output });
    });
    child.on("close", (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

/** The lines of a failed build worth showing: compiler errors first, else the end of the output. */
export function compilerMessage(output: string): string {
  const lines = output.split("\n");
  const wanted = /error TS\d+|### Error|: error:|error:|# typescript compile failure|make: \*\*\*|not found|undefined reference/i;
  const picked = lines.filter((l) => wanted.test(l));
  return (picked.length > 0 ? picked.slice(0, 40) : lines.filter((l) => l.trim() !== "").slice(-20)).join("\n");
}

/**
 * Takes the work directory for this process, waiting (up to LOCK_WAIT_MS) while another live build
 * holds it; a lock left by a process that died is taken over.
 */
async function lockWork(work: string, status: (line: string) => void): Promise<() => void> {
  const lock = join(work, ".hyphae-build.lock");
  const end = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch {
      let pid = NaN;
      try {
        pid = Number(readFileSync(lock, "utf8"));
      } catch {
        continue; // released meanwhile
      }
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > end) throw new BuildError(`another build (pid ${pid}) has held --work ${work} for too long: give another --work`);
      if (!told) status(`hyphae firmware: waiting for another build (pid ${pid}) using ${work}`);
      told = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export interface FirmwareImage {
  /** The image: mc.so for desktop targets, mcconfig's output folder for esp32. */
  image: string;
  nodeId: string;
  out: string;
  state: string | undefined;
}

/** The steps `make build` would run now on `makefile` (its dry run); 0 if the dry run fails. */
function stepsToRun(makefile: string, cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise) => {
    execFile("make", ["-n", "-f", makefile, "build"], { cwd, env, maxBuffer: 64 << 20 }, (error, stdout) => {
      resolvePromise(error ? 0 : plannedSteps(stdout));
    });
  });
}

export interface BuildReporting {
  /** Status lines, and the progress bar when it is a terminal. */
  stderr: Writer;
  /** Where MODDABLE and PATH are read [process.env]. */
  environment?: NodeJS.ProcessEnv;
  /** The progress bar's timing [ProgressBar's: drawn after a second, every 100 ms at most]. */
  barTiming?: BarTiming;
}

/** Builds one node's image; throws BuildError (environment, compile) or UsageError (provisioning). */
export async function buildFirmware(options: FirmwareBuildOptions, reporting: BuildReporting): Promise<FirmwareImage> {
  const status = (line: string): void => void reporting.stderr.write(line + "\n");
  const { text, provisioning } = readProvisioning(options.provisioningFile);
  const rootManifest = join(options.source, "manifest.json");
  if (!existsSync(rootManifest)) throw new UsageError(`--source ${options.source} has no manifest.json`);
  const env = buildEnvironment(options.source, reporting.environment ?? process.env);
  const nodeId = toHex(nodeIdOf(tweetnaclCrypto, provisioning.secretKey.subarray(32)));
  const targetDir = options.target.replace("/", "-");
  const out = resolve(options.out ?? join(options.source, "build", "firmware", targetDir, nodeId));
  const work = resolve(options.work ?? join(options.source, "build", "firmware", `work-${targetDir}`));
  const state = options.desktop ? resolve(options.state ?? join(out, "state")) : undefined;
  mkdirSync(out, { recursive: true });
  mkdirSync(work, { recursive: true });
  if (state) mkdirSync(state, { recursive: true });

  const config: Record<string, unknown> = { ...text, ...options.config };
  // The simulator keeps preferences in <file.root>/modpreferences.json: one file per node, or two
  // simulated nodes on one machine would overwrite each other's counters.
  if (state) config.file = { root: state + "/" };
  const manifest = join(out, "manifest.json");
  writeFileSync(manifest, JSON.stringify({
    "//": `Generated by \`hyphae firmware build\` for node ${nodeId}: the repository's manifest with this node's config. ` +
      "It holds the node's secret key: keep it private.",
    include: [rootManifest],
    config,
  }, null, "\t") + "\n", { mode: 0o600 });

  const logFile = join(out, "build.log");
  const unlock = await lockWork(work, status);
  const log = openSync(logFile, "w");
  try {
    const flavor = options.debug ? "debug" : "release";
    // mcconfig's layout: <bin or tmp>/<platform>/<subplatform, or "mc" for a desktop platform>/<flavor>/<name>
    const layout = (root: "bin" | "tmp"): string =>
      join(work, root, ...options.target.split("/"), ...(options.desktop ? ["mc"] : []), flavor, APP_NAME);
    const mcconfigArgs = [...(options.debug ? ["-d"] : []), "-p", options.target, "-o", work, manifest];
    status(`hyphae firmware: building ${options.target} ${flavor} for node ${nodeId} (log: ${logFile})`);
    // mcconfig without -m only writes the makefile: its dry run counts the steps for the progress bar.
    let result = await run("mcconfig", mcconfigArgs, out, env, log);
    if (result.code === 0) {
      const makefile = join(layout("tmp"), "makefile");
      const bar = new BuildProgress(reporting.stderr, await stepsToRun(makefile, out, env), reporting.barTiming);
      try {
        // Desktop: make's `build` target only (`mcconfig -m -d` would also launch xsbug and end every
        // running mcsim with pkill). ESP32: mcconfig -m, which sets up ESP-IDF's environment for make.
        result = options.desktop
          ? await run("make", ["-f", makefile, "build"], out, env, log, (line) => bar.line(line))
          : await run("mcconfig", ["-m", "-t", options.flash ? "all" : "build", ...mcconfigArgs], out, env, log, (line) => bar.line(line));
      } finally {
        bar.finish();
      }
    }
    if (result.code !== 0) {
      throw new BuildError(`the build failed (exit ${result.code}); the compiler said:\n${compilerMessage(result.output)}\n` +
        `full log: ${logFile}`);
    }
    const built = layout("bin");
    if (!options.desktop) return { image: built, nodeId, out, state };
    const image = join(out, "mc.so");
    // Copy, then rename over: a simulator still running the old image keeps its file.
    copyFileSync(join(built, "mc.so"), image + ".new");
    renameSync(image + ".new", image);
    return { image, nodeId, out, state };
  } finally {
    unlock();
    closeSync(log);
  }
}

export const firmwareCommand: Command = {
  name: "firmware",
  summary: "build the Moddable firmware for a provisioned node (simulator or ESP32)",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    let options: FirmwareBuildOptions | null;
    try {
      options = parseFirmwareArgs(args);
      if (options === null) {
        io.stdout.write(HELP);
        return EXIT_OK;
      }
      const built = await buildFirmware(options, { stderr: io.stderr });
      io.stdout.write(built.image + "\n");
      return EXIT_OK;
    } catch (e) {
      if (e instanceof UsageError) {
        io.stderr.write(`hyphae firmware: ${e.message} (see \`hyphae firmware --help\`)\n`);
        return EXIT_USAGE;
      }
      if (e instanceof BuildError) {
        io.stderr.write(`hyphae firmware: ${e.message}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
  },
};
