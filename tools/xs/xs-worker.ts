/**
 * The real XS engine, driven from Node. `@agoric/xsnap` builds `xsnap-worker` from Moddable's XS
 * sources: the engine the board runs, without the board's host modules. This file bundles an entry
 * module into one script (esbuild), evaluates it in a worker, and exchanges JSON requests with it;
 * the entry answers them through `serveJson` (xs-bridge.ts).
 *
 * Heap figures come from a heap snapshot, which XS writes after a full collection: its BLOC atom is
 * the live chunk bytes, its HEAP atom the live slots.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { type } from "node:os";
import { build, type Plugin } from "esbuild";
import { asciiJson, parseAsciiJson } from "./ascii-json.js";

/** Live XS heap after a full garbage collection. */
export interface XsHeap {
  /** The engine's version, "13.3.0". */
  xsVersion: string;
  /** Slots in use. */
  slots: number;
  /** Bytes of one slot in this build (32 on 64-bit hosts, 16 on the ESP32). */
  slotBytes: number;
  /** Bytes of chunks in use (buffers, strings, array and table storage). */
  chunkBytes: number;
}

export interface XsWorker {
  /** Sends `message` to the entry's handler (as JSON) and returns its reply. */
  request<T>(message: unknown): Promise<T>;
  heap(): Promise<XsHeap>;
  close(): Promise<void>;
}

/**
 * tweetnacl requires Node's `crypto` only to seed its PRNG, which Hyphae never uses (keys come from
 * provisioning); XS has no such module, so it resolves to an empty one. `node:crypto` still fails the
 * bundle: code that imports it cannot run in XS.
 */
const emptyNodeCrypto: Plugin = {
  name: "empty-node-crypto",
  setup(b) {
    b.onResolve({ filter: /^crypto$/ }, (args) => ({ path: args.path, namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "module.exports = {};", loader: "js" }));
  },
};

/**
 * One self-contained script from an ES module entry (a compiled .js file under build/).
 *
 * Static class fields are lowered to assignments after the class: xsnap's XS (13.3) throws "not
 * initialized yet" when a static initializer constructs its own class and that class has instance
 * fields, as @noble/curves' Point does. The board's XS (17.9, checked with the SDK's xst) does not.
 */
export async function bundleForXs(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    supported: { "class-static-field": false },
    plugins: [emptyNodeCrypto],
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

interface RawWorker {
  evaluate(code: string): Promise<unknown>;
  issueCommand(message: Uint8Array): Promise<{ reply: Uint8Array }>;
  makeSnapshotStream(description?: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

type XsnapFactory = (options: Record<string, unknown>) => Promise<RawWorker>;

/**
 * The xsnap client needs a hardened realm, so `@endo/init` locks this whole process down. It is
 * imported here, on first use, rather than at module load, so that test suites which never start a
 * worker run on an untouched realm.
 */
async function loadXsnap(): Promise<XsnapFactory> {
  await import("@endo/init");
  const specifier = "@agoric/xsnap"; // untyped package: the shape used is RawWorker
  return ((await import(specifier)) as { xsnap: XsnapFactory }).xsnap;
}

/** Starts a worker and evaluates `script` in it. */
export async function startXsWorker(script: string, name = "hyphae-xs"): Promise<XsWorker> {
  const xsnap = await loadXsnap();
  const worker = await xsnap({
    os: type(), spawn, fs: { ...fs, ...fsp }, name,
    // No computation limit: a whole simulated mesh is one long crank.
    meteringLimit: 0,
  });
  await worker.evaluate(script);
  return {
    async request<T>(message: unknown): Promise<T> {
      const { reply } = await worker.issueCommand(asciiJson(message));
      return parseAsciiJson(reply) as T;
    },
    async heap(): Promise<XsHeap> {
      const parts: Uint8Array[] = [];
      for await (const part of worker.makeSnapshotStream("heap")) parts.push(part);
      return snapshotHeap(Buffer.concat(parts));
    },
    close: () => worker.close(),
  };
}

/**
 * Reads the live heap from an XS snapshot (xsSnapshot.c fxWriteSnapshot): a "XS_M" container of
 * atoms, each a big-endian u32 size (header included) and a 4-letter tag. VERS holds major, minor,
 * patch and sizeof(txSlot); BLOC holds the chunks, HEAP the slots but the first.
 */
export function snapshotHeap(snapshot: Uint8Array): XsHeap {
  const view = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  const tag = (at: number): string => String.fromCharCode(...snapshot.subarray(at, at + 4));
  if (tag(4) !== "XS_M") throw new Error("not an XS snapshot");
  const atoms = new Map<string, { at: number; size: number }>();
  for (let at = 8; at + 8 <= snapshot.length; ) {
    const size = view.getUint32(at);
    if (size < 8) throw new Error(`bad snapshot atom at ${at}`);
    atoms.set(tag(at + 4), { at, size });
    at += size;
  }
  const vers = atoms.get("VERS");
  const bloc = atoms.get("BLOC");
  const heap = atoms.get("HEAP");
  if (!vers || !bloc || !heap) throw new Error("snapshot lacks VERS, BLOC or HEAP");
  const xsVersion = `${snapshot[vers.at + 8]}.${snapshot[vers.at + 9]}.${snapshot[vers.at + 10]}`;
  const slotBytes = Math.abs(view.getInt8(vers.at + 11));
  return { xsVersion, slots: (heap.size - 8) / slotBytes, slotBytes, chunkBytes: bloc.size - 8 };
}
