/**
 * Which built-ins the real XS engine (xsnap's XS 13.3, no host modules) lacks, and that the portability
 * rules (test/helpers/platform-rules.ts) forbid each of them in modules/. The list is recorded in
 * docs/architecture.md §Built-ins the core must not use.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { bundleForXs, startXsWorker } from "../tools/xs/xs-worker.js";
import { FORBIDDEN_CODE, XS_MISSING } from "./helpers/platform-rules.js";
import { typeOfPath } from "./xs/global-probe.js";

const ENTRY = fileURLToPath(new URL("./xs/probe-entry.js", import.meta.url));

/** Built-ins a TypeScript author might reach for: where to find each, and a line that uses it. */
const PROBES: [path: string, usage: string][] = [
  ["Promise.withResolvers", "const { promise } = Promise.withResolvers();"],
  ["structuredClone", "const copy = structuredClone(x);"],
  ["queueMicrotask", "queueMicrotask(f);"],
  ["TextEncoder", "const e = new TextEncoder();"],
  ["TextDecoder", "const d = new TextDecoder();"],
  ["atob", "const s = atob(x);"],
  ["btoa", "const s = btoa(x);"],
  ["setTimeout", "setTimeout(f, 10);"],
  ["setInterval", "setInterval(f, 10);"],
  ["clearTimeout", "clearTimeout(t);"],
  ["Buffer", "const b = Buffer.from(x);"],
  ["process", "const e = process.env;"],
  ["performance", "const t = performance.now();"],
  ["console", "console.log(x);"],
  ["crypto.getRandomValues", "crypto.getRandomValues(b);"],
  ["fetch", "fetch(url);"],
  ["Intl", "const f = new Intl.NumberFormat();"],
  ["Array.prototype.toSorted", "const s = list.toSorted();"],
  ["String.prototype.isWellFormed", "if (s.isWellFormed()) f();"],
  ["Error.captureStackTrace", "Error.captureStackTrace(e);"],
  ["Symbol.dispose", "const d = Symbol.dispose;"],
  ["Object.groupBy", "const g = Object.groupBy(xs, f);"],
  ["Set.prototype.union", "const u = a.union(b);"],
  ["Iterator", "const i = Iterator.from(xs);"],
  ["Uint8Array.fromHex", "const b = Uint8Array.fromHex(s);"],
];

/** What the core relies on: the probe must find these in XS, or it is not looking. */
const RELIED_ON = ["BigInt", "DataView", "Map", "WeakMap", "Math.imul", "Uint8Array.prototype.subarray", "Array.prototype.at", "Date.now"];

/** What this xsnap build lacks of PROBES, as found (and as docs/architecture.md records it). */
const XSNAP_LACKS = [
  "Promise.withResolvers", "structuredClone", "queueMicrotask", "atob", "btoa", "setTimeout", "setInterval",
  "clearTimeout", "Buffer", "process", "console", "crypto.getRandomValues", "fetch", "Intl", "Array.prototype.toSorted",
  "String.prototype.isWellFormed", "Error.captureStackTrace", "Symbol.dispose", "Object.groupBy", "Set.prototype.union",
  "Iterator", "Uint8Array.fromHex",
];

test("every built-in XS lacks is forbidden in modules/ by the portability rules", async () => {
  const paths = [...PROBES.map(([path]) => path), ...RELIED_ON];
  const worker = await startXsWorker(await bundleForXs(ENTRY), "hyphae-probe");
  let types: string[];
  try {
    types = await worker.request<string[]>(paths);
  } finally {
    await worker.close();
  }
  const inXs = new Map(paths.map((path, i) => [path, types[i]]));
  for (const path of RELIED_ON) assert.is.not(inXs.get(path), "undefined", `XS has ${path}`);

  const missing = PROBES.filter(([path]) => inXs.get(path) === "undefined");
  assert.equal(missing.map(([path]) => path), XSNAP_LACKS, "what XS lacks changed: update XSNAP_LACKS and docs/architecture.md");
  const rules = [...FORBIDDEN_CODE, ...XS_MISSING];
  for (const [path, usage] of missing) {
    assert.ok(rules.some(([pattern]) => pattern.test(usage)), `${path} is missing in XS but no portability rule flags "${usage}"`);
  }
  // xsnap adds TextEncoder, TextDecoder and performance as host functions; the board has them only
  // through SDK modules, if at all, so the rules keep them out too.
  for (const [path, usage] of PROBES.filter(([path]) => inXs.get(path) !== "undefined")) {
    assert.ok(rules.some(([pattern]) => pattern.test(usage)), `${path} (an xsnap host extra) is not flagged`);
  }
  // The Node-only host APIs are all here on Node: the rules are what keeps them out of the core.
  for (const path of ["setTimeout", "Buffer", "process", "structuredClone", "queueMicrotask", "console"]) {
    assert.is.not(typeOfPath(path), "undefined", `Node has ${path}`);
  }
});

test.run();
