/**
 * The "Device" figures of BENCHMARKS.md, measured inside the real XS engine (xsnap-worker, built from
 * Moddable's XS sources): the heap of one node at rest and at its caps, the cost of each crypto
 * operation, and the CPU a relay spends per relayed frame; with projections to a 240 MHz ESP32.
 *
 *   node build/tools/bench-device.js [--out FILE]     (npm run bench runs it too)
 *
 * Alone, it rewrites only the "## Device" section of the file and leaves the rest as it is.
 *
 * Heap: the worker's heap snapshot after a full collection, taken between stages that fill one
 * node's tables with frames from certified peers (tools/xs/crafted-peers.ts); the node's share is
 * the difference from the same heap without the node. Here a slot is 32 bytes; on the ESP32 it is
 * 16, so ESP32 bytes ≈ slots × 16 + chunk bytes (an upper bound: chunk headers and the slot arrays
 * stored in chunks are smaller there too).
 */
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_NODE_CONFIG } from "../modules/config.js";
import { provisioningToText } from "../modules/provisioning.js";
import { provisionMesh } from "../hosts/sim/provision.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io, parseFlags, processIo, UsageError } from "./cli.js";
import { BASE_WINDOW } from "../modules/crypto/board-crypto.js";
import type { CryptoCost, DeviceRequest, Ed25519Cost, NodeFigures } from "./xs/device-entry.js";
import { bundleForXs, startXsWorker, type XsHeap } from "./xs/xs-worker.js";

/** XS slot on the ESP32 (32-bit pointers). */
export const ESP32_SLOT_BYTES = 16;
/** Mesh state a node may hold at its caps (shared/platform-notes.md §Budgets). */
export const HEAP_TARGET_BYTES = 48 * 1024;
/** ESP32 at 240 MHz vs this machine's core, per the platform notes (CoreMark ~61×, allow up to 150×). */
export const ESP32_SLOWDOWN = [60, 150] as const;
/** Gossip payloads measured: a sensor reading, the largest body the repair store keeps, near a full frame. */
export const PAYLOADS = [32, 240, 1100];
const READING = PAYLOADS[0];
const MESSAGES = 544;
const BURST = 96;
const SEED = 5;

export interface HeapCost {
  slots: number;
  chunkBytes: number;
}

/** The stages that fill a node, in order; each one fills one structure (or two, see renderDeviceSection). */
export type StageId = "boot" | "neighbors" | "certificates" | "messages" | "burst";

export interface HeapStage extends HeapCost {
  id: StageId;
  name: string;
}

export interface HeapRun {
  payloadBytes: number;
  /** What each stage added to the node. */
  stages: HeapStage[];
  /** The node at its caps (every stage). */
  total: HeapCost;
  /** Left after dropping the node (should be ~0: nothing leaked into the fixtures). */
  residual: HeapCost;
  figures: NodeFigures;
}

/** The board's Ed25519 with base-point window `size`: its table (module state) and speed. */
export interface WindowRun extends Ed25519Cost {
  size: number;
  table: HeapCost;
  firstUseMs: number;
}

export interface DeviceResult {
  xsVersion: string;
  slotBytes: number;
  windows: WindowRun[];
  crypto: CryptoCost;
  heap: HeapRun[];
  /** Median ms per relayed frame (open, decode, bookkeeping, seal), by payload. */
  relay: { payloadBytes: number; ms: number }[];
  wallMs: number;
}

export function esp32Bytes(cost: HeapCost): number {
  return cost.slots * ESP32_SLOT_BYTES + cost.chunkBytes;
}

function minus(a: XsHeap, b: XsHeap): HeapCost {
  return { slots: a.slots - b.slots, chunkBytes: a.chunkBytes - b.chunkBytes };
}

/** Base-point windows compared; each in a VM of its own, since the table is module state. */
export const WINDOWS = [1, 2, 3, 4];

async function warmUp(ask: <T>(request: DeviceRequest) => Promise<T>): Promise<number> {
  const warm = await ask<{ firstUseMs: number; ok: boolean }>({ op: "warm" });
  if (!warm.ok) throw new Error("Ed25519 warm-up did not verify");
  return warm.firstUseMs;
}

export async function runDeviceBench(log: (line: string) => void): Promise<DeviceResult> {
  const started = performance.now();
  const script = await bundleForXs(fileURLToPath(new URL("./xs/device-entry.js", import.meta.url)));
  const windows: WindowRun[] = [];
  for (const size of WINDOWS) {
    const worker = await startXsWorker(script, `hyphae-window-${size}`);
    try {
      const ask = <T>(request: DeviceRequest): Promise<T> => worker.request<T>(request);
      await ask({ op: "window", size });
      const before = await worker.heap();
      const firstUseMs = await warmUp(ask);
      const table = minus(await worker.heap(), before);
      windows.push({ size, table, firstUseMs, ...(await ask<Ed25519Cost>({ op: "ed25519" })) });
      log(`device: Ed25519 window ${size}: table ${table.slots} slots + ${table.chunkBytes} B chunks`);
    } finally {
      await worker.close();
    }
  }
  const worker = await startXsWorker(script, "hyphae-device");
  try {
    const ask = <T>(request: DeviceRequest): Promise<T> => worker.request<T>(request);
    const bare = await worker.heap();
    await warmUp(ask);
    const crypto = await ask<CryptoCost>({ op: "crypto" });
    log(`device: crypto ${JSON.stringify(crypto)}`);

    const caps = DEFAULT_NODE_CONFIG;
    const peers = caps.certificateCacheCapacity;
    const provisioning = provisionMesh(SEED, 1 + peers, new Map()).map(provisioningToText);
    await ask({ op: "setup", target: provisioning[0], peers: provisioning.slice(1) });
    const heap: HeapRun[] = [];
    for (const payloadBytes of PAYLOADS) {
      const base = await worker.heap();
      let last = base;
      const stages: HeapStage[] = [];
      let figures: NodeFigures | undefined;
      const stage = async (id: StageId, name: string, request: DeviceRequest): Promise<void> => {
        figures = await ask<NodeFigures>(request);
        const now = await worker.heap();
        stages.push({ id, name, ...minus(now, last) });
        last = now;
      };
      await stage("boot", "booted, at rest (tables allocated empty)", { op: "boot" });
      await stage("neighbors", `${caps.neighborCapacity} peers heard: neighbor rows, certificates, replay windows`,
        { op: "hellos", from: 0, to: caps.neighborCapacity });
      await stage("certificates", `${peers - caps.neighborCapacity} more peers (table full): certificates and replay windows only`,
        { op: "hellos", from: caps.neighborCapacity, to: peers });
      await stage("messages", `${MESSAGES} messages, relays settled: seen cache wrapped, recent store full`,
        { op: "messages", count: MESSAGES, payloadBytes });
      await stage("burst", `${BURST} messages at one instant: relay queue full (${caps.pendingRelayCapacity})`,
        { op: "burst", count: BURST, payloadBytes });
      const total = minus(last, base);
      await ask({ op: "drop" });
      const residual = minus(await worker.heap(), base);
      heap.push({ payloadBytes, stages, total, residual, figures: figures! });
      log(`device: ${payloadBytes} B messages: at caps ${total.slots} slots + ${total.chunkBytes} B chunks ≈ ` +
        `${kb(esp32Bytes(total))} on the ESP32`);
    }

    const relay: DeviceResult["relay"] = [];
    for (const payloadBytes of [READING, 200]) {
      const r = await ask<{ medianMs: number; relayed: number }>({ op: "relay", payloadBytes, rounds: 60 });
      if (r.relayed < 30) throw new Error(`only ${r.relayed} of 60 rounds relayed`);
      relay.push({ payloadBytes, ms: r.medianMs });
    }
    log(`device: relay ${JSON.stringify(relay)}`);
    return { xsVersion: bare.xsVersion, slotBytes: bare.slotBytes, windows, crypto, heap, relay, wallMs: performance.now() - started };
  } finally {
    await worker.close();
  }
}

/** ESP32 bytes per structure, from the stages of one run (see renderDeviceSection). */
export function byStructure(run: HeapRun): { name: string; entries: number; bytes: number }[] {
  const c = DEFAULT_NODE_CONFIG;
  const of = (id: StageId): number => esp32Bytes(run.stages.find((s) => s.id === id)!);
  const extraPeers = c.certificateCacheCapacity - c.neighborCapacity;
  const perCertificate = of("certificates") / extraPeers;
  return [
    { name: "allocated at boot: seen cache, scratch, config, counters", entries: 0, bytes: of("boot") },
    { name: "certificate cache with replay windows", entries: c.certificateCacheCapacity, bytes: perCertificate * c.certificateCacheCapacity },
    { name: "neighbor rows, beyond their certificates", entries: c.neighborCapacity, bytes: of("neighbors") - perCertificate * c.neighborCapacity },
    { name: `recent store (${run.payloadBytes}-byte messages)`, entries: c.recentCapacity, bytes: of("messages") },
    { name: "pending relays", entries: c.pendingRelayCapacity, bytes: of("burst") },
  ];
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** An XS time here as the 60–150× range on the ESP32, in ms or s. */
function onEsp32(here: number): string {
  const [lo, hi] = ESP32_SLOWDOWN.map((k) => here * k);
  return hi >= 1000 ? `${(lo / 1000).toFixed(1)}–${(hi / 1000).toFixed(1)} s` : `${lo.toFixed(0)}–${hi.toFixed(0)} ms`;
}

export function renderDeviceSection(r: DeviceResult, command: string, date: Date): string {
  const c = DEFAULT_NODE_CONFIG;
  const L: string[] = [];
  L.push("## Device", "");
  L.push(`Produced by \`${command}\` on ${date.toISOString().replace(/\.\d+Z$/, "Z")}, ${(r.wallMs / 1000).toFixed(1)} s, ` +
    `inside xsnap-worker (@agoric/xsnap, Moddable XS ${r.xsVersion}, ${r.slotBytes}-byte slots on this 64-bit machine). ` +
    `The ESP32 runs XS with ${ESP32_SLOT_BYTES}-byte slots: ESP32 bytes ≈ slots × ${ESP32_SLOT_BYTES} + chunk bytes ` +
    "(an upper bound: chunk headers and slot arrays kept in chunks are smaller there). Times are this machine's; " +
    `the ESP32 column multiplies them by ${ESP32_SLOWDOWN[0]}–${ESP32_SLOWDOWN[1]}× (platform notes: CoreMark ~61×).`, "");

  L.push("### Heap of one node", "");
  L.push(`Caps (config.ts defaults): ${c.neighborCapacity} neighbors, ${c.certificateCacheCapacity} verified certificates ` +
    `(each with a replay window), seen cache ${c.seenCacheCapacity}, recent store ${c.recentCapacity} (bodies ≤ 256 B kept), ` +
    `${c.pendingRelayCapacity} pending relays, events (${c.eventCapacity}) and outbox drained as a host does. ` +
    "Filled by crafted frames from certified peers; each peer's HELLO carries its certificate and lists the node and " +
    "31 other peers. Not filled: the attribution table (gateways only) and tables of later issues. " +
    "The node's share is the heap with the node minus the same heap without it (after a full collection).", "");
  const reading = r.heap.find((h) => h.payloadBytes === READING)!;
  L.push(`By stage, ${READING}-byte readings:`, "");
  L.push("| stage | slots | chunk bytes | ESP32 ≈ |");
  L.push("|---|--:|--:|--:|");
  for (const s of reading.stages) L.push(`| ${s.name} | ${s.slots} | ${s.chunkBytes} | ${kb(esp32Bytes(s))} |`);
  L.push(`| **at caps** | **${reading.total.slots}** | **${reading.total.chunkBytes}** | **${kb(esp32Bytes(reading.total))}** |`, "");
  L.push("At caps, by message size:", "");
  L.push(`| payload | slots | chunk bytes | ESP32 ≈ | target ≤ ${kb(HEAP_TARGET_BYTES)} |`);
  L.push("|--:|--:|--:|--:|---|");
  for (const h of r.heap) {
    const bytes = esp32Bytes(h.total);
    const verdict = bytes <= HEAP_TARGET_BYTES ? "PASS" : `**FAIL** by ${kb(bytes - HEAP_TARGET_BYTES)} (${(bytes / HEAP_TARGET_BYTES).toFixed(1)}×)`;
    L.push(`| ${h.payloadBytes} B | ${h.total.slots} | ${h.total.chunkBytes} | ${kb(bytes)} | ${verdict} |`);
  }
  L.push("", `By structure (${READING}-byte readings), derived from the stages: the second group of peers adds certificates and ` +
    "replay windows only, so one cached certificate costs that stage over its peer count, and a neighbor row the first " +
    "stage's share beyond its certificates.", "");
  L.push("| structure | entries | ESP32 ≈ | per entry |");
  L.push("|---|--:|--:|--:|");
  const structures = byStructure(reading);
  for (const x of structures) L.push(`| ${x.name} | ${x.entries || "—"} | ${kb(x.bytes)} | ${x.entries ? `${Math.round(x.bytes / x.entries)} B` : "—"} |`);
  const largest = structures.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  L.push("", `Largest: ${largest.name}, ${kb(largest.bytes)} of ${kb(esp32Bytes(reading.total))}. ` +
    `Slots alone (${reading.total.slots} × ${ESP32_SLOT_BYTES} B = ${kb(reading.total.slots * ESP32_SLOT_BYTES)}) ` +
    "outweigh the chunks: every object, property and small typed array costs slots, so it is the count of small " +
    "objects per entry (a cached certificate keeps an object and three byte arrays, a neighbor row an object, three " +
    "typed arrays and a hex id, a pending relay an object, two byte arrays and a view), not the bytes stored, that sets the size. " +
    `Left after dropping the node: ${reading.residual.slots} slots, ${reading.residual.chunkBytes} B.`, "");
  L.push("### Ed25519 base-point window", "");
  L.push("Module state, not per node: @noble/curves keeps a table of base-point multiples, built by the first " +
    `operation; its window trades memory for speed. The board binding uses W=${BASE_WINDOW} (board-crypto.ts); W=1 keeps no table.`, "");
  L.push("| window | table slots | table chunk bytes | ESP32 ≈ | first use ms | sign ms | verify ms | verify on ESP32 ≈ |");
  L.push("|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const w of r.windows) {
    L.push(`| ${w.size}${w.size === BASE_WINDOW ? " (board)" : ""} | ${w.table.slots} | ${w.table.chunkBytes} | ${kb(esp32Bytes(w.table))} | ` +
      `${ms(w.firstUseMs)} | ${ms(w.boardSign)} | ${ms(w.boardVerify)} | ${onEsp32(w.boardVerify)} |`);
  }
  L.push("");

  L.push("### Crypto cost in XS", "");
  L.push("| operation | implementation | ms here | ESP32 ≈ |");
  L.push("|---|---|--:|--:|");
  const k = r.crypto;
  const rows: [string, string, number][] = [
    ["Ed25519 sign, 200 B", "board (@noble/curves, W=2)", k.boardSign],
    ["Ed25519 verify, 200 B", "board (@noble/curves, W=2)", k.boardVerify],
    ["Ed25519 sign, 200 B", "tweetnacl", k.tweetnaclSign],
    ["Ed25519 verify, 200 B", "tweetnacl", k.tweetnaclVerify],
    ["secretbox seal, 200 B", "tweetnacl (board)", k.seal200],
    ["secretbox open, 200 B", "tweetnacl (board)", k.open200],
    ["secretbox seal, 1,000 B", "tweetnacl (board)", k.seal1000],
    ["secretbox open, 1,000 B", "tweetnacl (board)", k.open1000],
    ["SHA-512, 200 B", "tweetnacl JS (the board passes the SDK's native Digest)", k.sha512of200],
  ];
  for (const [op, impl, t] of rows) L.push(`| ${op} | ${impl} | ${ms(t)} | ${onEsp32(t)} |`);
  L.push("", "X25519: the core does not use it (frames are sealed under the network key from provisioning), so the board " +
    "binding does not offer it and it is not measured.", "");

  L.push("### A relay's work per relayed frame", "");
  L.push("A neighbor's frame with one new message in (open, decode, duplicate check, repair store, event, relay " +
    "scheduling), then the relay out (pack, seal): `MeshNode.receive` plus the `tick` that sends it, median of 60.", "");
  L.push("| payload | ms here | ESP32 ≈ | relayed frames/s on one ESP32 core |");
  L.push("|--:|--:|--:|--:|");
  for (const x of r.relay) {
    const [lo, hi] = ESP32_SLOWDOWN.map((f) => x.ms * f);
    L.push(`| ${x.payloadBytes} B | ${ms(x.ms)} | ${onEsp32(x.ms)} | ${(1000 / hi).toFixed(0)}–${(1000 / lo).toFixed(0)} |`);
  }
  return L.join("\n").trimEnd() + "\n";
}

/** Where the `## Device` section of `markdown` starts and ends (at the next `## ` heading), if it has one. */
function deviceSectionBounds(markdown: string): [number, number] | undefined {
  const start = markdown.search(/^## Device$/m);
  if (start < 0) return undefined;
  const next = markdown.slice(start + 1).search(/^## /m);
  return [start, next < 0 ? markdown.length : start + 1 + next];
}

/** The `## Device` section of `markdown`, if it has one. */
export function deviceSectionOf(markdown: string): string | undefined {
  const bounds = deviceSectionBounds(markdown);
  return bounds && markdown.slice(...bounds).trimEnd() + "\n";
}

/** `markdown` with its `## Device` section replaced by `section`, or `section` appended. */
export function replaceDeviceSection(markdown: string, section: string): string {
  const bounds = deviceSectionBounds(markdown);
  if (!bounds) return markdown.trim() ? markdown.trimEnd() + "\n\n" + section : section;
  const after = markdown.slice(bounds[1]);
  return markdown.slice(0, bounds[0]) + section + (after ? "\n" + after : "");
}

const HELP = `Usage: node build/tools/bench-device.js [--out FILE]

Measures, inside the real XS engine, one node's heap at rest and at its caps, the crypto cost
per operation and a relay's work per frame; writes the "## Device" section of the report and
leaves the rest of the file as it is. About 15 s.

  --out FILE    the report to update (default: BENCHMARKS.md at the repo root)
  -h, --help    this help
`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let out: string;
  try {
    const v = parseFlags([...argv], { out: { type: "string" }, help: { type: "boolean", short: "h" } }) as { out?: string; help?: boolean };
    if (v.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (v.out !== undefined && v.out.trim() === "") throw new UsageError("--out must name a file");
    out = v.out !== undefined ? resolve(v.out) : resolve(dirname(fileURLToPath(import.meta.url)), "../..", "BENCHMARKS.md");
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`bench-device: ${e.message}\nRun with --help for the flags.\n`);
    return EXIT_USAGE;
  }
  try {
    const date = new Date();
    const result = await runDeviceBench((line) => void io.stderr.write(line + "\n"));
    const script = relative(process.cwd(), process.argv[1] ?? "build/tools/bench-device.js") || "build/tools/bench-device.js";
    const section = renderDeviceSection(result, ["node", script, ...argv].join(" "), date);
    let existing = "";
    try {
      existing = readFileSync(out, "utf8");
    } catch {
      // A new file holds the section alone.
    }
    writeFileSync(out, replaceDeviceSection(existing, section));
    io.stderr.write(`bench-device: wrote the Device section of ${out}\n`);
    return EXIT_OK;
  } catch (e) {
    const err = e as Error;
    io.stderr.write(`bench-device: failed: ${err.message}\n`);
    return EXIT_FAILURE;
  }
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
if (invokedDirectly()) process.exitCode = await main(process.argv.slice(2));
