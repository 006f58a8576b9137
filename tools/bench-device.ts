/**
 * The "Device" figures of BENCHMARKS.md, measured inside the real XS engine (xsnap-worker, built from
 * Moddable's XS sources): the heap of one node at rest and at its caps (the board's, held to the
 * 48 KB target, and the defaults, for reference), the cost of each crypto operation, and the CPU a
 * relay spends per relayed frame; with projections to a 240 MHz ESP32.
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
import { fileURLToPath } from "node:url";
import { BOARD_NODE_CONFIG, DEFAULT_NODE_CONFIG, type NodeConfig } from "../modules/config.js";
import { provisioningToText } from "../modules/provisioning.js";
import { provisionMesh } from "../hosts/sim/provision.js";
import { type Io, processIo, runAsScript } from "./cli.js";
import { runReportTool } from "./report-tool.js";
import { replaceSection, sectionOf } from "./markdown-section.js";
import { BASE_WINDOW } from "../modules/crypto/board-crypto.js";
import type { NodeHealth } from "../modules/node.js";
import type { CryptoCost, DeviceRequest, Ed25519Cost, NodeFigures } from "./xs/device-entry.js";
import { bundleForXs, startXsWorker, type XsHeap, type XsWorker } from "./xs/xs-worker.js";

/** XS slot on the ESP32 (32-bit pointers). */
export const ESP32_SLOT_BYTES = 16;
/** Mesh state a node may hold at its caps (shared/platform-notes.md §Budgets). */
export const HEAP_TARGET_BYTES = 48 * 1024;
/** ESP32 at 240 MHz vs this machine's core, per the platform notes (CoreMark ~61×, allow up to 150×). */
export const ESP32_SLOWDOWN = [60, 150] as const;
/** Gossip payloads measured: a sensor reading, the largest body the repair store keeps, near a full frame. */
export const PAYLOADS = [32, 240, 1100];
const READING = PAYLOADS[0];
const SEED = 5;

/** The caps measured: the board's (held to the target) and the defaults the simulator runs (for reference). */
export type CapsId = "board" | "default";
export const CAPS: readonly { id: CapsId; config: Readonly<NodeConfig>; payloads: readonly number[] }[] = [
  { id: "board", config: BOARD_NODE_CONFIG, payloads: PAYLOADS },
  { id: "default", config: DEFAULT_NODE_CONFIG, payloads: [READING] },
];

/**
 * The crafted peers introduce themselves 10 ms apart, far faster than the certificate-verify budget
 * and the open budget for senders not yet admitted allow (rates, not caps): nodes are booted with
 * both at their most, a verify and an open per 10 ms, so that every peer's HELLO is opened and its
 * certificate verified and cached.
 */
const ADMISSION_EVERY_10_MS: Partial<NodeConfig> = { certificateVerifiesPerMinute: 6000, unboundOpensPerSecond: 100 };

/** Messages that wrap the seen cache (and so fill the recent store), and a burst that overfills the relay queue. */
function messagesFor(c: NodeConfig): number {
  return c.seenCacheCapacity + 32;
}

function burstFor(c: NodeConfig): number {
  return c.pendingRelayCapacity * 3 / 2;
}

export interface HeapCost {
  slots: number;
  chunkBytes: number;
}

/** The stages that fill a node, in order; each one fills one structure (or two, see byStructure). */
export type StageId = "boot" | "neighbors" | "certificates" | "messages" | "burst" | "routes" | "node-routes" | "forward";

/**
 * The tables a cap sizes. Their typed arrays are allocated at boot, so each one's share of the boot
 * heap is measured by booting with every such cap at its smallest valid value, then raising them to
 * the caps one at a time in this order (certificates before neighbors: there must be as many), the
 * growth per entry times the cap. What filling them adds comes from the stages.
 */
export type TableId = "certificates" | "neighbors" | "seen" | "recent" | "pending" | "routes" | "custody" | "nodeRoutes";
const TABLES: readonly { id: TableId; field: keyof NodeConfig & `${string}Capacity`; smallest: number }[] = [
  { id: "certificates", field: "certificateCacheCapacity", smallest: 1 },
  { id: "neighbors", field: "neighborCapacity", smallest: 1 },
  { id: "seen", field: "seenCacheCapacity", smallest: 64 },
  { id: "recent", field: "recentCapacity", smallest: 8 },
  { id: "pending", field: "pendingRelayCapacity", smallest: 1 },
  { id: "routes", field: "routeCapacity", smallest: 1 },
  { id: "custody", field: "custodyCapacity", smallest: 1 },
  { id: "nodeRoutes", field: "nodeRouteCapacity", smallest: 1 },
];

/** Distinct origins whose readings a custodian is handed: as many as it keeps reverse routes for (forward/store-and-forward.ts). */
const FORWARD_ORIGINS = 64;

export interface HeapStage extends HeapCost {
  id: StageId;
  name: string;
}

export interface HeapRun {
  caps: CapsId;
  config: NodeConfig;
  payloadBytes: number;
  /** What each stage added to the node. */
  stages: HeapStage[];
  /** The node at its caps (every stage). */
  total: HeapCost;
  /** Left after dropping the node (should be ~0: nothing leaked into the fixtures). */
  residual: HeapCost;
  /** ESP32 bytes each table allocates at boot per entry of its cap. */
  bootPerEntry: Record<TableId, number>;
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

    const peers = Math.max(...CAPS.map((c) => c.config.certificateCacheCapacity));
    const provisioning = provisionMesh(SEED, 1 + peers, new Map()).map(provisioningToText);
    await ask({ op: "setup", target: provisioning[0], peers: provisioning.slice(1) });
    const heap: HeapRun[] = [];
    for (const { id, config, payloads } of CAPS) {
      for (const payloadBytes of payloads) {
        const run = await heapRun(worker, config, payloadBytes);
        heap.push({ caps: id, ...run });
        log(`device: ${id} caps, ${payloadBytes} B messages: ${run.total.slots} slots + ${run.total.chunkBytes} B chunks ≈ ` +
          `${kb(esp32Bytes(run.total))} on the ESP32`);
      }
    }

    const relay: DeviceResult["relay"] = [];
    for (const payloadBytes of [READING, 200]) {
      const r = await ask<{ medianMs: number; relayed: number }>({ op: "relay", config: BOARD_NODE_CONFIG, payloadBytes, rounds: 60 });
      if (r.relayed < 30) throw new Error(`only ${r.relayed} of 60 rounds relayed`);
      relay.push({ payloadBytes, ms: r.medianMs });
    }
    log(`device: relay ${JSON.stringify(relay)}`);
    return { xsVersion: bare.xsVersion, slotBytes: bare.slotBytes, windows, crypto, heap, relay, wallMs: performance.now() - started };
  } finally {
    await worker.close();
  }
}

/** One node booted with `c` and filled to its caps, stage by stage, then dropped. */
async function heapRun(worker: XsWorker, caps: NodeConfig, payloadBytes: number): Promise<Omit<HeapRun, "caps">> {
  const c = { ...caps, ...ADMISSION_EVERY_10_MS };
  const base = await worker.heap();
  let last = base;
  const stages: HeapStage[] = [];
  let figures: NodeFigures | undefined;
  const figuresAfter = {} as Record<StageId, NodeFigures>;
  // The node's storage is flash on the board: what it holds is weighed (by copying it) and left out.
  let storedLast: HeapCost = { slots: 0, chunkBytes: 0 };
  const stage = async (id: StageId, name: string, request: DeviceRequest): Promise<void> => {
    figures = figuresAfter[id] = await worker.request<NodeFigures>(request);
    const now = await worker.heap();
    await worker.request({ op: "copy-storage" });
    const stored = minus(await worker.heap(), now);
    await worker.request({ op: "drop-storage-copy" });
    const grown = minus(now, last);
    stages.push({ id, name, slots: grown.slots - (stored.slots - storedLast.slots), chunkBytes: grown.chunkBytes - (stored.chunkBytes - storedLast.chunkBytes) });
    last = now;
    storedLast = stored;
  };
  const peers = c.certificateCacheCapacity;
  await stage("boot", "booted, at rest (tables allocated empty)", { op: "boot", config: c });
  await stage("neighbors", `${c.neighborCapacity} peers heard: neighbor rows, certificates, replay windows`,
    { op: "hellos", from: 0, to: c.neighborCapacity });
  await stage("certificates", `${peers - c.neighborCapacity} more peers (table full): certificates and replay windows only`,
    { op: "hellos", from: c.neighborCapacity, to: peers });
  await stage("messages", `${messagesFor(c)} messages, relays settled: seen cache wrapped, recent store full`,
    { op: "messages", count: messagesFor(c), payloadBytes });
  await stage("burst", `${burstFor(c)} messages at one instant: relay queue full (${c.pendingRelayCapacity})`,
    { op: "burst", count: burstFor(c), payloadBytes });
  await stage("routes", `every neighbor advertises ${c.routeCapacity} gateways: route table full, each with its candidate next hops`,
    { op: "routes", gateways: c.routeCapacity });
  // Before the forward stage, whose unanswered sends leave neighbors avoided (they would carry no route).
  await stage("node-routes", `route requests of ${c.nodeRouteCapacity} origins heard: routes to nodes full (${c.nodeRouteCapacity}), requests waiting to be relayed`,
    { op: "node-routes", origins: c.nodeRouteCapacity });
  await stage("forward", `${c.unsentCapacity} own readings unconfirmed, readings of ${FORWARD_ORIGINS} origins handed on by ` +
    `neighbors and never ACKed onward: custody full (${c.custodyCapacity}), reverse routes full`,
    { op: "forward", readings: c.unsentCapacity, origins: FORWARD_ORIGINS });
  // Each table full after the stage that fills it (the relay queue drains as later stages run).
  const full: [StageId, keyof NodeHealth, number][] = [["certificates", "neighbors", c.neighborCapacity],
    ["certificates", "certificates", c.certificateCacheCapacity], ["messages", "seen", c.seenCacheCapacity],
    ["messages", "recent", c.recentCapacity], ["burst", "pendingRelays", c.pendingRelayCapacity], ["routes", "routes", c.routeCapacity],
    ["forward", "custody", c.custodyCapacity], ["forward", "unconfirmedReadings", c.unsentCapacity], ["node-routes", "nodeRoutes", c.nodeRouteCapacity]];
  for (const [id, table, cap] of full) {
    const held = figuresAfter[id].health[table];
    if (held !== cap) throw new Error(`the ${id} stage left ${table} at ${held} of ${cap}`);
  }
  const total = minus(last, base);
  total.slots -= storedLast.slots;
  total.chunkBytes -= storedLast.chunkBytes;
  await worker.request({ op: "drop" });
  const residual = minus(await worker.heap(), base);
  const bootPerEntry = {} as Record<TableId, number>;
  const grown: NodeConfig = { ...c };
  for (const t of TABLES) grown[t.field] = t.smallest;
  let previous = await bootBytes(worker, grown);
  for (const t of TABLES) {
    grown[t.field] = c[t.field];
    const bytes = await bootBytes(worker, grown);
    bootPerEntry[t.id] = (bytes - previous) / (c[t.field] - t.smallest);
    previous = bytes;
  }
  return { config: caps, payloadBytes, stages, total, residual, bootPerEntry, figures: figures! };
}

/** ESP32 bytes of a node booted with `c` (then dropped). */
async function bootBytes(worker: XsWorker, c: NodeConfig): Promise<number> {
  const before = await worker.heap();
  await worker.request({ op: "boot", config: c });
  const bytes = esp32Bytes(minus(await worker.heap(), before));
  await worker.request({ op: "drop" });
  return bytes;
}

/**
 * ESP32 bytes per structure at caps: what its table allocates at boot plus what filling it adds.
 * The second group of peers adds certificates only, so a cached certificate fills that stage's
 * share per peer and a neighbor row the first stage's share beyond its certificate; the messages
 * stage fills the recent store (bodies kept for repair) and the burst the relay queue.
 */
export function byStructure(run: HeapRun): { name: string; entries: number; bytes: number }[] {
  const c = run.config;
  const of = (id: StageId): number => esp32Bytes(run.stages.find((s) => s.id === id)!);
  const atBoot = (id: TableId): number => run.bootPerEntry[id] * c[TABLES.find((t) => t.id === id)!.field];
  const fillPerCertificate = of("certificates") / (c.certificateCacheCapacity - c.neighborCapacity);
  const tables = [
    { name: "certificate cache with replay windows (and per-origin relay budgets, as many)", entries: c.certificateCacheCapacity,
      bytes: atBoot("certificates") + fillPerCertificate * c.certificateCacheCapacity },
    { name: "neighbor rows, beyond their certificates (with each row's certificate copy, window, frame budget, score)",
      entries: c.neighborCapacity, bytes: atBoot("neighbors") + of("neighbors") - fillPerCertificate * c.neighborCapacity },
    { name: "seen cache", entries: c.seenCacheCapacity, bytes: atBoot("seen") },
    { name: `recent store (${run.payloadBytes}-byte messages, the keys our HELLO lists)`, entries: c.recentCapacity, bytes: atBoot("recent") + of("messages") },
    { name: "pending relays (bodies shared with the recent store)", entries: c.pendingRelayCapacity, bytes: atBoot("pending") + of("burst") },
    { name: "routes to gateways, with their candidate next hops", entries: c.routeCapacity, bytes: atBoot("routes") + of("routes") },
    { name: `custody queue (readings held for the next hop), with what filling it adds: ${FORWARD_ORIGINS} reverse routes, ` +
      `${c.unsentCapacity} unconfirmed own readings (kept in storage) and their checkpoints`, entries: c.custodyCapacity,
    bytes: atBoot("custody") + of("forward") },
    { name: "routes to nodes (on demand), with what filling them adds", entries: c.nodeRouteCapacity, bytes: atBoot("nodeRoutes") + of("node-routes") },
  ];
  const fixed = of("boot") - TABLES.reduce((sum, t) => sum + atBoot(t.id), 0);
  return [{ name: "fixed at boot: scratch, config, counters, reverse routes, handoffs, reputation, route discovery", entries: 0, bytes: fixed }, ...tables];
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

/** The caps a run filled, in words. */
function capsText(c: NodeConfig): string {
  return `${c.neighborCapacity} neighbors, ${c.certificateCacheCapacity} verified certificates (each with a replay window), ` +
    `seen cache ${c.seenCacheCapacity}, recent store ${c.recentCapacity} (bodies ≤ 256 B kept), ${c.pendingRelayCapacity} pending relays, ` +
    `${c.routeCapacity} routes, custody ${c.custodyCapacity}, ${c.unsentCapacity} unconfirmed readings (in storage), ` +
    `events (${c.eventCapacity}) and outbox drained as a host does`;
}

function stageTable(L: string[], run: HeapRun): void {
  L.push("| stage | slots | chunk bytes | ESP32 ≈ |");
  L.push("|---|--:|--:|--:|");
  for (const s of run.stages) L.push(`| ${s.name} | ${s.slots} | ${s.chunkBytes} | ${kb(esp32Bytes(s))} |`);
  L.push(`| **at caps** | **${run.total.slots}** | **${run.total.chunkBytes}** | **${kb(esp32Bytes(run.total))}** |`, "");
}

function structureTable(L: string[], run: HeapRun): void {
  L.push("| structure | entries | ESP32 ≈ | per entry |");
  L.push("|---|--:|--:|--:|");
  for (const x of byStructure(run)) {
    L.push(`| ${x.name} | ${x.entries || "—"} | ${kb(x.bytes)} | ${x.entries ? `${Math.round(x.bytes / x.entries)} B` : "—"} |`);
  }
  L.push("");
}

export function renderDeviceSection(r: DeviceResult, command: string, date: Date): string {
  const L: string[] = [];
  L.push("## Device", "");
  L.push(`Produced by \`${command}\` on ${date.toISOString().replace(/\.\d+Z$/, "Z")}, ${(r.wallMs / 1000).toFixed(1)} s, ` +
    `inside xsnap-worker (@agoric/xsnap, Moddable XS ${r.xsVersion}, ${r.slotBytes}-byte slots on this 64-bit machine). ` +
    `The ESP32 runs XS with ${ESP32_SLOT_BYTES}-byte slots: ESP32 bytes ≈ slots × ${ESP32_SLOT_BYTES} + chunk bytes ` +
    "(an upper bound: chunk headers and slot arrays kept in chunks are smaller there). Times are this machine's; " +
    `the ESP32 column multiplies them by ${ESP32_SLOWDOWN[0]}–${ESP32_SLOWDOWN[1]}× (platform notes: CoreMark ~61×).`, "");

  L.push("### Heap of one node", "");
  L.push("Filled by crafted frames from certified peers; each peer's HELLO carries its certificate and lists the node and " +
    "31 other peers, and routes to gateways; neighbors then hand it readings it keeps in custody (the crafted gateways never " +
    "answer), while its own readings wait unconfirmed. Not filled: a gateway's own tables (feed verifier, attribution). " +
    "The node's share is the heap with the node minus the same heap without it (after a full collection). The peers " +
    "introduce themselves 10 ms apart, so the node runs with its certificate-verify budget at its most (a rate, not a cap). " +
    "By structure: the tables are typed arrays allocated at boot, so each one's boot share is measured by booting with " +
    "every table at its smallest and growing them to their caps one at a time; what filling a table adds comes from the " +
    "stages (the second group of peers adds certificates only, so a neighbor row fills the first stage's share beyond its certificate).", "");
  const board = r.heap.filter((h) => h.caps === "board");
  const boardReading = board.find((h) => h.payloadBytes === READING)!;
  L.push("#### At the board's caps: the target", "");
  L.push(`Caps (\`BOARD_NODE_CONFIG\`, config.ts; the firmware runs them): ${capsText(boardReading.config)}. ` +
    `By stage, ${READING}-byte readings:`, "");
  stageTable(L, boardReading);
  L.push("At caps, by message size:", "");
  L.push(`| payload | slots | chunk bytes | ESP32 ≈ | target ≤ ${kb(HEAP_TARGET_BYTES)} |`);
  L.push("|--:|--:|--:|--:|---|");
  for (const h of board) {
    const bytes = esp32Bytes(h.total);
    const verdict = bytes <= HEAP_TARGET_BYTES ? "**PASS**" : `**FAIL** by ${kb(bytes - HEAP_TARGET_BYTES)} (${(bytes / HEAP_TARGET_BYTES).toFixed(1)}×)`;
    L.push(`| ${h.payloadBytes} B | ${h.total.slots} | ${h.total.chunkBytes} | ${kb(bytes)} | ${verdict} |`);
  }
  L.push("", "The target is for readings; larger messages cost more where their bodies are kept for repair and held for relay.",
    "", `By structure (${READING}-byte readings):`, "");
  structureTable(L, boardReading);
  const reference = r.heap.find((h) => h.caps === "default")!;
  L.push("#### At the default caps, for reference", "");
  L.push(`Caps (\`DEFAULT_NODE_CONFIG\`, what the simulator and the tests run): ${capsText(reference.config)}. ` +
    `${READING}-byte readings, by stage and by structure:`, "");
  stageTable(L, reference);
  structureTable(L, reference);
  L.push(`Slots (board, ${READING} B): ${boardReading.total.slots} × ${ESP32_SLOT_BYTES} B = ` +
    `${kb(boardReading.total.slots * ESP32_SLOT_BYTES)} of ${kb(esp32Bytes(boardReading.total))}. Every object, property, ` +
    "typed array and ArrayBuffer costs slots, so the tables keep their entries in a few typed arrays per table, allocated " +
    "at boot, rather than in objects per entry, and the message bodies kept for repair in one arena of bytes; what is left " +
    "per entry is mostly a handle per neighbor and per route, and a body the arena has no room for (docs/architecture.md §Memory). " +
    `Left after dropping the node: ${boardReading.residual.slots} slots, ${boardReading.residual.chunkBytes} B.`, "");
  L.push("### Ed25519 base-point window", "");
  L.push("Module state, not per node: @noble/curves keeps a table of base-point multiples, built by the first " +
    `operation; its window trades memory for speed. The board binding uses W=${BASE_WINDOW} (board-crypto.ts); W=1 keeps no table, ` +
    "and any larger window costs more than a node's whole mesh state may take.", "");
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
    ["Ed25519 sign, 200 B", `board (@noble/curves, W=${BASE_WINDOW})`, k.boardSign],
    ["Ed25519 verify, 200 B", `board (@noble/curves, W=${BASE_WINDOW})`, k.boardVerify],
    ["Ed25519 sign, 200 B", "tweetnacl", k.tweetnaclSign],
    ["Ed25519 verify, 200 B", "tweetnacl", k.tweetnaclVerify],
    ["secretbox seal, 200 B", "tweetnacl (board)", k.seal200],
    ["secretbox open, 200 B", "tweetnacl (board)", k.open200],
    ["secretbox seal, 1,000 B", "tweetnacl (board)", k.seal1000],
    ["secretbox open, 1,000 B", "tweetnacl (board)", k.open1000],
    ["SHA-512, 200 B", "tweetnacl JS (the board passes the SDK's native Digest)", k.sha512of200],
    ["X25519 agreement, Ed25519 keys converted", "board (BigInt ladder, x25519.ts)", k.agree],
  ];
  for (const [op, impl, t] of rows) L.push(`| ${op} | ${impl} | ${ms(t)} | ${onEsp32(t)} |`);
  L.push("", "X25519: the core uses it once per origin and gateway, for the key that authenticates CONFIRMs " +
    "(docs/protocol.md §Store-and-forward, \"Authenticated CONFIRMs\").", "");

  L.push("### A relay's work per relayed frame", "");
  L.push("A neighbor's frame with one new message in (open, decode, duplicate check, repair store, event, relay " +
    "scheduling), then the relay out (pack, seal): `MeshNode.receive` plus the `tick` that sends it, median of 60, at the board's caps.", "");
  L.push("| payload | ms here | ESP32 ≈ | relayed frames/s on one ESP32 core |");
  L.push("|--:|--:|--:|--:|");
  for (const x of r.relay) {
    const [lo, hi] = ESP32_SLOWDOWN.map((f) => x.ms * f);
    L.push(`| ${x.payloadBytes} B | ${ms(x.ms)} | ${onEsp32(x.ms)} | ${(1000 / hi).toFixed(0)}–${(1000 / lo).toFixed(0)} |`);
  }
  return L.join("\n").trimEnd() + "\n";
}

const DEVICE_HEADING = "## Device";

/** The `## Device` section of `markdown`, if it has one. */
export function deviceSectionOf(markdown: string): string | undefined {
  return sectionOf(markdown, DEVICE_HEADING);
}

/** `markdown` with its `## Device` section replaced by `section`, or `section` appended. */
export function replaceDeviceSection(markdown: string, section: string): string {
  return replaceSection(markdown, DEVICE_HEADING, section) ??
    (markdown.trim() ? markdown.trimEnd() + "\n\n" + section : section);
}

const HELP = `Usage: node build/tools/bench-device.js [--out FILE]

Measures, inside the real XS engine, one node's heap at rest and at its caps (the board's and
the defaults), the crypto cost per operation and a relay's work per frame; writes the "## Device" section of the report and
leaves the rest of the file as it is. About 15 s.

  --out FILE    the report to update (default: BENCHMARKS.md at the repo root)
  -h, --help    this help
`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runReportTool({
    name: "bench-device", section: DEVICE_HEADING.slice(3), help: HELP, flags: {}, settings: () => null,
    async rewrite(existing, _settings, command, io) {
      const date = new Date();
      const result = await runDeviceBench((line) => void io.stderr.write(line + "\n"));
      return replaceDeviceSection(existing, renderDeviceSection(result, command, date));
    },
  }, argv, io);
}

if (runAsScript(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
