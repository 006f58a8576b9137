/**
 * The "Device: the firmware in the Moddable simulator" figures of BENCHMARKS.md: the real firmware
 * image (manifest.json and hosts/moddable compiled by mcconfig, `hyphae firmware build`) booted in
 * mcsim on this machine, meshing over UDP on loopback with nodes of the Node.js host run in this
 * process (hosts/node, the same core).
 *
 *   node build/tools/bench-firmware.js [--out FILE] [--runs N]
 *
 * Measured:
 *   - boot to first beacon: from spawning mcsim (xvfb-run, mcsim, the XS machine, the firmware's
 *     boot) to its `started` line, and on to the first frame it sends, caught by a UDP socket here
 *     listed as its only peer;
 *   - frames per second: the release image with Node nodes sending it beacons and messages at two
 *     loads, its `framesIn` counter (its `status` line, every second) over a window, and the CPU
 *     time mcsim used (/proc), less what it uses idle;
 *   - XS heap: a debug build (`--debug`: instrumented) reports the heap in use after a full
 *     collection in each status line (hosts/moddable/main.ts): at rest one second after boot, and
 *     after running the five-node mesh of test/firmware-mesh.test.ts (same periods) for a while.
 *
 * It rewrites only its own section, placed right after "## Device"; the rest of the file is kept.
 * Needs the Moddable SDK (MODDABLE, or ../shared/moddable-build) and xvfb-run; sends only to
 * loopback. Exit codes: 0 ok, 2 usage error, 1 runtime failure (no SDK, a build or run failed).
 */
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createNodeConfig } from "../modules/config.js";
import { MeshNode } from "../modules/node.js";
import { provisioningFromText } from "../modules/provisioning.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { NodeHost } from "../hosts/node/node-host.js";
import { NodeRandom } from "../hosts/node/node-random.js";
import { samePeer } from "../hosts/node/udp-link.js";
import type { HostEvent } from "../hosts/node/host-event.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { integerFlag, type Io, processIo, runAsScript } from "./cli.js";
import { runReportTool } from "./report-tool.js";
import { replaceSection, sectionBounds, sectionOf } from "./markdown-section.js";
import { findModdableSdk, McsimProcess, type ModdableSdk } from "./firmware-sim.js";
import { main as hyphae } from "./hyphae.js";

/** build/tools/bench-firmware.js → the repository root. */
const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SECTION_HEADING = "## Device: the firmware in the Moddable simulator";
/** XS slot in the 64-bit simulator and on the ESP32 (32-bit pointers). */
const SIM_SLOT_BYTES = 32;
const ESP32_SLOT_BYTES = 16;
/** The mesh of test/firmware-mesh.test.ts. */
const MESH_BEACON_MS = 300;
const MESH_PERIOD_MS = 1000;
const MESH_SECONDS = 30;
const BOOT_BEACON_MS = 1000;
/** The desktop UDP module reads one datagram per poll: $MODDABLE/modules/io/socket/lin/udp.c kTaskInterval. */
const LIN_UDP_POLL_MS = 20;
const GENERATORS = 6;
const GENERATOR_BEACON_MS = 500;
const LOADS = [{ name: "light", publishMs: 1000 }, { name: "heavy", publishMs: 100 }] as const;
const IDLE_SECONDS = 5;
const LOAD_WARMUP_SECONDS = 5;
const LOAD_SECONDS = 20;
const WAIT_MS = 30_000;

export interface BootRun {
  /** spawn → `started` line, ms. */
  started: number;
  /** spawn → first frame received from the node, ms. */
  firstFrame: number;
}

export interface LoadResult {
  name: string;
  generators: number;
  publishMs: number;
  seconds: number;
  /** Frames the Node nodes sent to the firmware node, per second. */
  offered: number;
  /** Frames the firmware's core received (its framesIn), per second. */
  handled: number;
  /** mcsim CPU, % of one core, over the window (idle included). */
  cpuPercent: number;
  /** mcsim CPU per handled frame beyond its idle use, ms. */
  cpuMsPerFrame: number;
  /** The firmware's drops by reason over the window. */
  drops: Record<string, number>;
  /** Neighbors in the firmware's table at the end of the window. */
  neighbors: number;
}

export interface HeapSample {
  slotBytes: number;
  chunkBytes: number;
}

export interface FirmwareBenchResult {
  wallMs: number;
  /** XS heap the esp32 entry of manifest.json gives (`creation`). */
  esp32Creation: { slots: number; chunkBytes: number };
  moddable: string;
  sdkVersion: string;
  boot: BootRun[];
  idleCpuPercent: number;
  loads: LoadResult[];
  heap: {
    rest: HeapSample;
    mesh: HeapSample;
    meshPeak: HeapSample;
    meshSeconds: number;
    neighbors: number;
    readingsDelivered: number;
    messagesHeard: number;
  };
}

// ---- plumbing ----

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function keys(...argv: string[]): Promise<string> {
  let stdout = "";
  let stderr = "";
  const code = await hyphae(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  if (code !== 0) throw new Error(`hyphae ${argv.join(" ")}: exit ${code}: ${stderr}`);
  return stdout;
}

/** `hyphae firmware build …` with the SDK's environment; the image's path. */
function buildImage(sdk: ModdableSdk, args: string[], log: (line: string) => void): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPOSITORY, "bin", "hyphae.js"), "firmware", "build", ...args],
      { env: sdk.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      for (const line of c.toString("utf8").split("\n")) if (line.startsWith("hyphae firmware: building")) log(line);
    });
    child.on("close", (code) => (code === 0 ? resolvePromise(stdout.trim()) : reject(new Error(`firmware build failed (${code}): ${stderr}`))));
  });
}

async function freePorts(count: number): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket("udp4"));
  const ports = await Promise.all(sockets.map((s) => new Promise<number>((r) => s.bind(0, "127.0.0.1", () => r(s.address().port)))));
  await Promise.all(sockets.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  return ports;
}

/** A node of the Node.js host in this process (the same core), on loopback. */
class LocalNode {
  private constructor(readonly node: MeshNode, private readonly host: NodeHost, readonly events: HostEvent[]) {}

  static async start(provisioningFile: string, port: number, targets: number[], beaconMs: number, publishMs: number): Promise<LocalNode> {
    const provisioning = provisioningFromText(JSON.parse(readFileSync(provisioningFile, "utf8")));
    const node = new MeshNode(provisioning, { crypto: nodeCrypto, random: new NodeRandom(), storage: new MemoryStorage(), sameLink: samePeer },
      createNodeConfig({ beaconIntervalMs: beaconMs }));
    const events: HostEvent[] = [];
    const host = await NodeHost.start({
      node,
      link: { port, bind: "127.0.0.1", broadcast: targets.map((p) => ({ address: "127.0.0.1", port: p })) },
      publishEveryMs: publishMs,
      readingEveryMs: 0,
      onEvent: (e) => events.push(e),
    });
    return new LocalNode(node, host, events);
  }

  stop(): Promise<void> {
    return this.host.stop();
  }
}

type Status = Record<string, unknown> & { uptime: number; framesIn: number; neighbors: number; drops: Record<string, number>; heap?: HeapSample };

function statuses(sim: McsimProcess): { at: number; status: Status }[] {
  return sim.timedEvents().filter((e) => e.event.type === "status").map((e) => ({ at: e.at, status: e.event as Status }));
}

/** The next status line the firmware prints from now on. */
async function nextStatus(sim: McsimProcess): Promise<{ at: number; status: Status }> {
  const from = sim.timedEvents().length;
  await sim.waitFor((e) => e.type === "status", WAIT_MS, "a status line", from);
  const hit = sim.timedEvents().slice(from).find((e) => e.event.type === "status")!;
  return { at: hit.at, status: hit.event as Status };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// ---- the measurements ----

export async function runFirmwareBench(runs: number, log: (line: string) => void): Promise<FirmwareBenchResult> {
  const started = performance.now();
  const sdk = findModdableSdk(REPOSITORY);
  if (typeof sdk === "string") throw new Error(`no Moddable SDK: ${sdk.replace(/^skipped: /, "")}`);
  const dir = mkdtempSync(join(tmpdir(), "hyphae-bench-firmware-"));
  const sims: McsimProcess[] = [];
  const locals: LocalNode[] = [];
  const sim = (image: string, home: string): McsimProcess => {
    // XSBUG_PORT: a debug build would attach to an xsbug running on this machine; port 9 has none.
    const s = new McsimProcess(sdk, image, join(dir, home), { XSBUG_PORT: "9" });
    sims.push(s);
    return s;
  };
  try {
    // Provisioning, with the owner's key tool.
    const keyDir = join(dir, "keys");
    await keys("keys", "init", "--dir", keyDir);
    const file = (name: string): string => join(dir, `${name}.json`);
    const names = ["fw", "dbg", "n1", "n2", "gw", ...Array.from({ length: GENERATORS }, (_, i) => `g${i + 1}`)];
    for (const name of names) {
      await keys("keys", "issue", "--dir", keyDir, "--name", name, "--role", name === "gw" ? "gateway" : "node");
      writeFileSync(file(name), await keys("keys", "export", "--dir", keyDir, "--name", name), { mode: 0o600 });
    }
    const idOf = (name: string): string => JSON.parse(readFileSync(file(name), "utf8")).id;

    // ---- boot to first beacon ----
    const [bootPort, listenPort] = await freePorts(2);
    const bootImage = await buildImage(sdk, ["--provisioning", file("fw"), "--port", String(bootPort), "--peers",
      `127.0.0.1:${bootPort},127.0.0.1:${listenPort}`, "--beacon-ms", String(BOOT_BEACON_MS), "--publish-every", "0",
      "--reading-every", "0", "--status-every", "0", "--out", join(dir, "boot")], log);
    const boot: BootRun[] = [];
    for (let i = 0; i < runs; i++) {
      const socket: Socket = createSocket("udp4");
      await new Promise<void>((r) => socket.bind(listenPort, "127.0.0.1", () => r()));
      let frameAt = 0;
      socket.on("message", (_m, from) => {
        if (from.port === bootPort && frameAt === 0) frameAt = performance.now();
      });
      const s = sim(bootImage, `home-boot-${i}`);
      try {
        await s.waitFor((e) => e.type === "started", WAIT_MS, "started");
        const end = performance.now() + WAIT_MS;
        while (frameAt === 0 && performance.now() < end) await sleep(2);
        if (frameAt === 0) throw new Error("no frame from the booted firmware");
        const startedAt = s.timedEvents().find((e) => e.event.type === "started")!.at;
        boot.push({ started: startedAt - s.spawnedAt, firstFrame: frameAt - s.spawnedAt });
        log(`boot ${i + 1}/${runs}: started ${(startedAt - s.spawnedAt).toFixed(0)} ms, first frame ${(frameAt - s.spawnedAt).toFixed(0)} ms`);
      } finally {
        await s.stop();
        await new Promise((r) => socket.close(() => r(undefined)));
      }
    }

    // ---- frames per second ----
    const loadPorts = await freePorts(GENERATORS + 1);
    const [fwPort, ...generatorPorts] = loadPorts;
    const loadImage = await buildImage(sdk, ["--provisioning", file("fw"), "--port", String(fwPort), "--peers",
      loadPorts.map((p) => `127.0.0.1:${p}`).join(","), "--beacon-ms", String(GENERATOR_BEACON_MS), "--publish-every", "0",
      "--reading-every", "0", "--status-every", "1000", "--out", join(dir, "load")], log);
    const loads: LoadResult[] = [];
    let idleCpuPercent = 0;
    for (const load of LOADS) {
      const s = sim(loadImage, `home-load-${load.name}`);
      await s.waitFor((e) => e.type === "started", WAIT_MS, "started");
      if (load === LOADS[0]) {
        // Idle: booted, nobody answering (its beacons still go out).
        await sleep(1000);
        const cpu0 = s.cpuMs()!;
        const t0 = performance.now();
        await sleep(IDLE_SECONDS * 1000);
        idleCpuPercent = ((s.cpuMs()! - cpu0) / (performance.now() - t0)) * 100;
        log(`idle: mcsim ${idleCpuPercent.toFixed(1)} % CPU`);
      }
      const generators: LocalNode[] = [];
      for (let i = 0; i < GENERATORS; i++) {
        const g = await LocalNode.start(file(`g${i + 1}`), generatorPorts[i], [fwPort], GENERATOR_BEACON_MS, load.publishMs);
        generators.push(g);
        locals.push(g);
      }
      for (let i = 0; i < GENERATORS; i++) {
        await s.waitFor((e) => e.type === "neighbor-up" && e.id === idOf(`g${i + 1}`), WAIT_MS, `generator g${i + 1} as a neighbor`);
      }
      await sleep(LOAD_WARMUP_SECONDS * 1000);
      const first = await nextStatus(s);
      const sent0 = generators.reduce((n, g) => n + g.node.counters.framesOut, 0);
      const cpu0 = s.cpuMs()!;
      await sleep(LOAD_SECONDS * 1000);
      const last = await nextStatus(s);
      const sent1 = generators.reduce((n, g) => n + g.node.counters.framesOut, 0);
      const cpu1 = s.cpuMs()!;
      const seconds = (last.at - first.at) / 1000;
      const frames = last.status.framesIn - first.status.framesIn;
      const cpuMs = cpu1 - cpu0;
      const drops: Record<string, number> = {};
      for (const [reason, n] of Object.entries(last.status.drops)) {
        const d = n - (first.status.drops[reason] ?? 0);
        if (d > 0) drops[reason] = d;
      }
      const result: LoadResult = {
        name: load.name, generators: GENERATORS, publishMs: load.publishMs, seconds,
        offered: (sent1 - sent0) / seconds, handled: frames / seconds,
        cpuPercent: (cpuMs / (seconds * 1000)) * 100,
        cpuMsPerFrame: Math.max(0, cpuMs - (idleCpuPercent / 100) * seconds * 1000) / Math.max(1, frames),
        drops, neighbors: last.status.neighbors,
      };
      loads.push(result);
      log(`load ${load.name}: offered ${result.offered.toFixed(1)}/s, handled ${result.handled.toFixed(1)}/s, ` +
        `mcsim ${result.cpuPercent.toFixed(1)} % CPU, ${result.cpuMsPerFrame.toFixed(2)} ms/frame, drops ${JSON.stringify(drops)}`);
      await Promise.all(generators.map((g) => g.stop()));
      await s.stop();
    }

    // ---- XS heap: a debug build at rest, then in the five-node mesh ----
    const meshNames = ["dbg", "fw", "n1", "n2", "gw"];
    const meshPorts = await freePorts(meshNames.length);
    const port = Object.fromEntries(meshNames.map((n, i) => [n, meshPorts[i]]));
    const peers = meshPorts.map((p) => `127.0.0.1:${p}`).join(",");
    const meshFlags = (name: string): string[] => ["--provisioning", file(name), "--port", String(port[name]), "--peers", peers,
      "--beacon-ms", String(MESH_BEACON_MS), "--publish-every", String(MESH_PERIOD_MS), "--reading-every", String(MESH_PERIOD_MS),
      "--status-every", "1000", "--out", join(dir, name)];
    const debugImage = await buildImage(sdk, [...meshFlags("dbg"), "--debug"], log);
    const releaseImage = await buildImage(sdk, meshFlags("fw"), log);
    const dbg = sim(debugImage, "home-dbg");
    await dbg.waitFor((e) => e.type === "started", WAIT_MS, "debug build started");
    const rest = (await dbg.waitFor((e) => e.type === "status", WAIT_MS, "first status")) as Status;
    if (!rest.heap) throw new Error("the debug build reports no heap: is it instrumented?");
    log(`heap at rest: ${JSON.stringify(rest.heap)}`);
    const meshStart = performance.now();
    sim(releaseImage, "home-fw");
    const others = meshNames.filter((n) => n !== "dbg" && n !== "fw");
    for (const name of others) {
      locals.push(await LocalNode.start(file(name), port[name], meshNames.filter((n) => n !== name).map((n) => port[n]), MESH_BEACON_MS,
        name === "n1" ? MESH_PERIOD_MS : 0));
    }
    const gateway = locals[locals.length - 1];
    for (const name of meshNames.filter((n) => n !== "dbg")) {
      await dbg.waitFor((e) => e.type === "neighbor-up" && e.id === idOf(name), WAIT_MS, `neighbor ${name}`);
    }
    await sleep(Math.max(0, MESH_SECONDS * 1000 - (performance.now() - meshStart)));
    const end = await nextStatus(dbg);
    const meshStatuses = statuses(dbg).filter((s) => s.at >= meshStart && s.status.heap).map((s) => s.status.heap!);
    const meshPeak = {
      slotBytes: Math.max(...meshStatuses.map((h) => h.slotBytes)),
      chunkBytes: Math.max(...meshStatuses.map((h) => h.chunkBytes)),
    };
    const readingsDelivered = gateway.events.filter((e) => e.type === "reading" && e.origin === idOf("dbg")).length;
    const messagesHeard = dbg.of("message").length;
    log(`heap after ${((end.at - meshStart) / 1000).toFixed(0)} s of mesh: ${JSON.stringify(end.status.heap)}, ` +
      `peak ${JSON.stringify(meshPeak)}; ${readingsDelivered} readings delivered, ${messagesHeard} messages heard`);
    if (readingsDelivered === 0) throw new Error("the debug node's readings never reached the gateway");

    const creation = JSON.parse(readFileSync(join(REPOSITORY, "manifest.json"), "utf8")).platforms?.esp32?.creation;
    return {
      wallMs: performance.now() - started,
      esp32Creation: { slots: creation?.heap?.initial ?? 0, chunkBytes: creation?.chunk?.initial ?? 0 },
      moddable: sdk.moddable,
      sdkVersion: sdkVersion(sdk.moddable),
      boot,
      idleCpuPercent,
      loads,
      heap: {
        rest: rest.heap,
        mesh: end.status.heap!,
        meshPeak,
        meshSeconds: (end.at - meshStart) / 1000,
        neighbors: end.status.neighbors,
        readingsDelivered,
        messagesHeard,
      },
    };
  } finally {
    await Promise.all([...sims.map((s) => s.stop()), ...locals.map((l) => l.stop())]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SDK's version ($MODDABLE/tools/VERSION), or "unknown". */
function sdkVersion(moddable: string): string {
  try {
    return readFileSync(join(moddable, "tools", "VERSION"), "utf8").trim() || "unknown";
  } catch {
    return "unknown";
  }
}

// ---- the section ----

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const esp32 = (h: HeapSample): string => kb((h.slotBytes / SIM_SLOT_BYTES) * ESP32_SLOT_BYTES + h.chunkBytes);

export function renderFirmwareSection(r: FirmwareBenchResult, command: string, date: Date): string {
  const cpu = cpus();
  const L: string[] = [];
  L.push(SECTION_HEADING, "");
  L.push(`Produced by \`${command}\` on ${date.toISOString().replace(/\.\d+Z$/, "Z")}, ${(r.wallMs / 1000).toFixed(0)} s, ` +
    `Moddable SDK ${r.sdkVersion} (mcsim, \`lin\` target, under xvfb-run), ${cpu[0]?.model.trim() ?? "unknown CPU"} ` +
    `(${cpu.length} cores). The real firmware image — manifest.json and hosts/moddable compiled by mcconfig ` +
    "(`hyphae firmware build`), release unless said otherwise — meshing over UDP on loopback with nodes of the Node.js " +
    "host (hosts/node, the same core) run by the benchmark. Times and CPU are this machine's and the simulator's, " +
    "not an ESP32's (§Device projects the core's costs to the board).", "");

  L.push("### Boot to first beacon", "");
  const b = (f: (x: BootRun) => number): string => {
    const v = r.boot.map(f);
    return `${median(v).toFixed(0)} ms (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`;
  };
  L.push(`${r.boot.length} boots of one image (beacon period ${BOOT_BEACON_MS} ms, no publishing); median (range). ` +
    "From spawning `xvfb-run mcsim` (a virtual X server, the simulator, the XS machine, then the firmware's boot: " +
    "settings, SHA-512 self-test, provisioning, the node and its counters from flash) to its `started` line, and to the first frame a " +
    "UDP socket listed as its only peer receives. The core sends its first HELLO at a random point of the first " +
    "beacon period (jitter), so the second interval is about half a period on average.", "");
  L.push("| spawn → `started` | `started` → first frame | spawn → first frame |", "|--:|--:|--:|");
  L.push(`| ${b((x) => x.started)} | ${b((x) => x.firstFrame - x.started)} | ${b((x) => x.firstFrame)} |`, "");

  L.push("### Frames per second", "");
  L.push(`One firmware node, ${GENERATORS} Node nodes as its neighbors, each sending it a HELLO every ` +
    `${GENERATOR_BEACON_MS} ms and a gossip message every *publish* ms (beyond a neighbor's 20 frames/s budget nothing ` +
    `is applied), over a ${LOAD_SECONDS} s window that starts ${LOAD_WARMUP_SECONDS} s after all ${GENERATORS} are its neighbors. ` +
    "*Offered*: frames the Node nodes sent it; *handled*: the firmware's `framesIn` (every frame its core took in, applied or " +
    "dropped) from its status lines, once a second; CPU is mcsim's own " +
    `(/proc), of one core; *per frame* is that beyond mcsim's idle use (${r.idleCpuPercent.toFixed(1)} % of a core: ` +
    "the simulator's event loop and UDP polling) over the frames handled.", "");
  L.push("| load | publish | offered frames/s | handled frames/s | mcsim CPU | CPU per frame | neighbors at end | drops in window |");
  L.push("|---|--:|--:|--:|--:|--:|--:|---|");
  for (const x of r.loads) {
    const drops = Object.entries(x.drops).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
    L.push(`| ${x.name} | ${x.publishMs} ms | ${x.offered.toFixed(1)} | ${x.handled.toFixed(1)} | ${x.cpuPercent.toFixed(1)} % | ` +
      `${x.cpuMsPerFrame.toFixed(2)} ms | ${x.neighbors} | ${drops} |`);
  }
  const heavy = r.loads[r.loads.length - 1];
  L.push("", `The simulator's UDP (\`$MODDABLE/modules/io/socket/lin/udp.c\`) takes one datagram from its socket every ` +
    `${LIN_UDP_POLL_MS} ms, so a node in mcsim handles at most ${1000 / LIN_UDP_POLL_MS} frames/s whatever its CPU: ` +
    "beyond that, frames queue in the kernel's socket buffer, ever later, until it overflows. The firmware itself spends " +
    `${heavy.cpuMsPerFrame.toFixed(2)} ms of this machine's CPU per frame, which alone would allow about ` +
    `${heavy.cpuMsPerFrame > 0 ? (Math.floor(1000 / heavy.cpuMsPerFrame / 10) * 10).toLocaleString("en-US") : "—"} frames/s here. ` +
    "On an ESP32 the lwIP socket queues without such a poll, and the core's cost per frame sets the limit " +
    "(§Device: a relay's work per relayed frame).", "");

  L.push("### XS heap of the firmware (debug build)", "");
  const h = r.heap;
  L.push("A debug build (`hyphae firmware build --debug`, instrumented like `mcconfig -d`) adds to each status line the XS " +
    "heap in use right after a full collection (`Debug.gc()`, then the SDK's `Instrumentation`: XS Slot Heap Used, XS Chunk " +
    "Heap Used). At rest: its first status line, one second after boot (one message published, one reading taken, " +
    "no neighbor yet). After the mesh test: the same " +
    `node after ${h.meshSeconds.toFixed(0)} s in the five-node mesh of test/firmware-mesh.test.ts (two firmware nodes, ` +
    `three Node nodes, one a gateway; beacons every ${MESH_BEACON_MS} ms, a message and a reading every ${MESH_PERIOD_MS} ms ` +
    `from each firmware node, a message every ${MESH_PERIOD_MS} ms from one Node node): ${h.neighbors} neighbors, ` +
    `${h.readingsDelivered} of its readings delivered at the gateway, ${h.messagesHeard} messages heard. Slots are ` +
    `${SIM_SLOT_BYTES} B in the 64-bit simulator, ${ESP32_SLOT_BYTES} B on the ESP32: ESP32 ≈ slots × ${ESP32_SLOT_BYTES} + chunk bytes. ` +
    "This is the whole firmware — the core with its tables, the host, tweetnacl, the Edwards arithmetic of @noble/curves " +
    "that board-crypto.ts builds Ed25519 on (loaded at boot: it cannot be preloaded), the SDK's modules — less what the " +
    "build preloads into flash.", "");
  L.push("| state | slots | slot bytes here | chunk bytes | ESP32 ≈ |", "|---|--:|--:|--:|--:|");
  const row = (name: string, x: HeapSample): string =>
    `| ${name} | ${(x.slotBytes / SIM_SLOT_BYTES).toLocaleString("en-US")} | ${x.slotBytes.toLocaleString("en-US")} | ` +
    `${x.chunkBytes.toLocaleString("en-US")} | ${esp32(x)} |`;
  L.push(row("at rest (1 s after boot)", h.rest), row("after the mesh test", h.mesh), row("largest during the mesh test", h.meshPeak));
  const { slots, chunkBytes } = r.esp32Creation;
  const budget = slots * ESP32_SLOT_BYTES + chunkBytes;
  const restEsp32 = (h.rest.slotBytes / SIM_SLOT_BYTES) * ESP32_SLOT_BYTES + h.rest.chunkBytes;
  const peakSlots = h.meshPeak.slotBytes / SIM_SLOT_BYTES;
  const share = (used: number, of: number): string => `${Math.round((used / of) * 100)} %`;
  const tighter = peakSlots / slots >= h.meshPeak.chunkBytes / chunkBytes ? "slot" : "chunk";
  L.push("", `The ESP32 entry of manifest.json gives XS ${slots.toLocaleString("en-US")} slots and ${kb(chunkBytes)} of chunks ` +
    `(${kb(budget)} with 16-byte slots), each a heap of its own that does not grow. At rest the firmware projects to ` +
    `${kb(restEsp32)}, ${restEsp32 > budget ? "more than" : "within"} that budget; the mesh adds ` +
    `${kb(((h.mesh.slotBytes - h.rest.slotBytes) / SIM_SLOT_BYTES) * ESP32_SLOT_BYTES + h.mesh.chunkBytes - h.rest.chunkBytes)} ` +
    "(neighbors, certificates, messages kept for repair, readings in custody). At its largest it holds " +
    `${peakSlots.toLocaleString("en-US")} slots (${share(peakSlots, slots)} of the slot heap) and ${kb(h.meshPeak.chunkBytes)} ` +
    `of chunks (${share(h.meshPeak.chunkBytes, chunkBytes)}): the ${tighter} heap is the tighter one.`);
  return L.join("\n").trimEnd() + "\n";
}

/** This section of `markdown`, if it has one. */
export function firmwareSectionOf(markdown: string): string | undefined {
  return sectionOf(markdown, SECTION_HEADING);
}

/**
 * `markdown` with this section replaced by `section`; without one, `section` goes right after the
 * `## Device` section (before the next `## ` heading), or at the end when there is no Device section.
 */
export function replaceFirmwareSection(markdown: string, section: string): string {
  const replaced = replaceSection(markdown, SECTION_HEADING, section);
  if (replaced !== undefined) return replaced;
  const device = sectionBounds(markdown, "## Device");
  if (device && device[1] < markdown.length) {
    return markdown.slice(0, device[1]) + section + "\n" + markdown.slice(device[1]);
  }
  return markdown.trim() ? markdown.trimEnd() + "\n\n" + section : section;
}

const HELP = `Usage: node build/tools/bench-firmware.js [--out FILE] [--runs N]

Boots the real firmware in the Moddable simulator (mcsim) and measures boot to first beacon, the
frames per second it handles, and the XS heap of a debug build at rest and after the five-node
mesh test; writes the "${SECTION_HEADING.slice(3)}" section of the report
(right after "## Device") and leaves the rest of the file as it is. Needs the Moddable SDK
(MODDABLE, or ../shared/moddable-build) and xvfb-run. About 3 minutes once the images are built
(the first debug build adds two).

  --out FILE    the report to update (default: BENCHMARKS.md at the repo root)
  --runs N      boots timed, 1..50 [5]
  -h, --help    this help

Exit codes: 0 ok, 2 usage error, 1 runtime failure (no SDK, a build or a run failed).
`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runReportTool({
    name: "bench-firmware", section: SECTION_HEADING.slice(3), help: HELP, flags: { runs: { type: "string" } },
    settings: (v) => (v.runs === undefined ? 5 : integerFlag("--runs", v.runs as string, 1, 50)),
    async rewrite(existing, runs, command, io) {
      const date = new Date();
      const result = await runFirmwareBench(runs, (line) => void io.stderr.write(line + "\n"));
      return replaceFirmwareSection(existing, renderFirmwareSection(result, command, date));
    },
  }, argv, io);
}

if (runAsScript(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
