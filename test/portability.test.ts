/**
 * modules/ is the portable core: it must run unchanged on Moddable XS (the board) and on Node (the
 * simulator). This test reads the TypeScript sources and fails on anything that ties them to one
 * platform: importing a platform module, or using a host global that XS does not provide.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { FORBIDDEN_CODE, XS_MISSING } from "./helpers/platform-rules.js";

/** build/test/portability.test.js → the repository's modules/ */
const MODULES = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "modules");

/** The only packages the core may import (any of their subpaths): pure JS, bundled for XS by the manifest. */
const ALLOWED_PACKAGES = new Set(["tweetnacl", "@noble/curves"]);

/** Named for clearer messages; any other bare specifier is refused too. */
const PLATFORM_MODULES = new Set([
  "fs", "path", "dgram", "net", "os", "crypto", "child_process", "socket", "wifi", "timer", "preference", "flash",
]);

/** "@scope/name/sub.js" → "@scope/name"; "name/sub.js" → "name". */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/**
 * Blanks comments (so prose may name what the code must not use) and keeps string literals, since
 * import specifiers live in them. Template literals are kept whole. Line numbers are preserved.
 */
function stripComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      i += 2;
      while (i < source.length && !(source[i] === "*" && source[i + 1] === "/")) {
        if (source[i] === "\n") out += "\n";
        i++;
      }
      i += 2;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every module specifier in `code`: static imports and re-exports, side-effect imports, dynamic import(). */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^;'"`]*?\bfrom\s*(["'])([^"']+)\1/g,
    /\bimport\s*(["'])([^"']+)\1/g,
    /\bimport\s*\(\s*(["'])([^"']+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[2]);
  return out;
}

/** Problems in one file's source; `file` is the absolute path (relative imports must stay in modules/). */
function problems(file: string, source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  for (const spec of specifiers(code)) {
    if (spec.startsWith("./") || spec.startsWith("../")) {
      const target = resolve(dirname(file), spec);
      if (target !== MODULES && !target.startsWith(MODULES + sep)) found.push(`imports "${spec}" from outside modules/`);
      if (!spec.endsWith(".js")) found.push(`imports "${spec}" without the .js extension`);
    } else if (spec.startsWith("node:") || spec.startsWith("embedded:")) {
      found.push(`imports platform module "${spec}"`);
    } else if (PLATFORM_MODULES.has(spec)) {
      found.push(`imports platform module "${spec}"`);
    } else if (!ALLOWED_PACKAGES.has(packageName(spec))) {
      found.push(`imports "${spec}" (only ${[...ALLOWED_PACKAGES].join(", ")} are allowed)`);
    }
  }
  const lines = code.split("\n");
  for (const [re, what] of [...FORBIDDEN_CODE, ...XS_MISSING]) {
    lines.forEach((line, n) => {
      if (re.test(line)) found.push(`line ${n + 1} uses ${what}`);
    });
  }
  return found;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

test("the checker itself flags what it should and passes what it should", () => {
  const file = join(MODULES, "wire", "example.ts");
  const flagged: [string, string][] = [
    ['import { readFileSync } from "node:fs";', "node:fs"],
    ["import fs from 'fs';", "fs"],
    ['import * as path from "path";', "path"],
    ['import dgram from "dgram";', "dgram"],
    ['import Timer from "timer";', "timer"],
    ['import Preference from "preference";', "preference"],
    ['import Flash from "flash";', "flash"],
    ['import { Socket } from "socket";', "socket"],
    ['import WiFi from "wifi";', "wifi"],
    ['import { randomBytes } from "crypto";', "crypto"],
    ['import x from "embedded:io/socket/udp";', "embedded:"],
    ['import "left-pad";', "side-effect import of a package"],
    ['export { x } from "lodash";', "re-export of a package"],
    ['const m = await import("os");', "dynamic import"],
    ['import { x } from "../../hosts/sim/rng.js";', "import escaping modules/"],
    ['import { x } from "./bytes";', "import without .js"],
    ["const b = Buffer.from(x);", "Buffer"],
    ["if (process.env.X) {}", "process."],
    ['const t = require("tweetnacl");', "require("],
    ["const t = Date.now();", "Date.now"],
    ["const r = Math.random();", "Math.random"],
    ["setTimeout(f, 1);", "setTimeout"],
    ["setInterval(f, 1);", "setInterval"],
    ["const { promise } = Promise.withResolvers();", "withResolvers"],
    ["const y = structuredClone(x);", "structuredClone"],
    ["queueMicrotask(f);", "queueMicrotask"],
    ["const e = new TextEncoder();", "TextEncoder"],
    ["const d = new TextDecoder();", "TextDecoder"],
    ["const s = atob(x);", "atob"],
    ["const s = btoa(x);", "btoa"],
    ['import { sha512 } from "@noble/hashes/sha2.js";', "a package not allowed"],
    ['import x from "@noble/curves-fake";', "a look-alike package"],
    ["clearTimeout(t);", "clearTimeout"],
    ["console.log(x);", "console"],
    ["crypto.getRandomValues(b);", "WebCrypto"],
    ["const s = list.toSorted();", "toSorted"],
    ["const g = Object.groupBy(xs, f);", "groupBy"],
    ["const b = Uint8Array.fromHex(s);", "Uint8Array.fromHex"],
  ];
  for (const [source, what] of flagged) assert.ok(problems(file, source).length > 0, `not flagged: ${what}`);
  const clean: [string, string][] = [
    ['import nacl from "tweetnacl";', "tweetnacl"],
    ['import { ed25519 } from "@noble/curves/ed25519.js";', "@noble/curves subpath"],
    ["const d = this.crypto.sha512(x); crypto.sign(m, k);", "the Crypto port is not WebCrypto"],
    ['import { fromHex, toHex } from "../bytes.js"; const b = fromHex(toHex(x));', "the core's own hex helpers"],
    ['import { readU32 } from "../bytes.js";', "relative .js import"],
    ['import type { Crypto } from "../ports.js";', "type import"],
    ['export { WireError } from "./errors.js";', "relative re-export"],
    ["const a = new ArrayBuffer(8); const s = new SharedArrayBuffer(8);", "ArrayBuffer is not Buffer"],
    ["// never call Date.now or setTimeout here\nconst x = 1;", "line comment"],
    ["/* Buffer, process.env, require(x), Math.random */ const y = 2;", "block comment"],
    ["/**\n * import fs from \"fs\";\n */\nconst z = 3;", "import in a doc comment"],
    ['const url = "http://example/"; const n = 1;', "// inside a string is not a comment"],
    ["const myBufferSize = 4; const processed = 1; const btoaLike = 0;", "identifiers that merely contain a word"],
  ];
  for (const [source, what] of clean) assert.equal(problems(file, source), [], `flagged: ${what}`);
});

test("modules/ imports only relative modules inside modules/ and the allowed packages, and uses no host APIs", () => {
  const files = sources(MODULES);
  assert.ok(files.length >= 15, `found only ${files.length} source files under ${MODULES}`);
  assert.ok(files.some((f) => f.endsWith(join("wire", "frame.ts"))), "modules/wire/frame.ts is among them");
  const report: string[] = [];
  for (const file of files) {
    for (const p of problems(file, readFileSync(file, "utf8"))) report.push(`${relative(MODULES, file)}: ${p}`);
  }
  assert.equal(report, [], `portability problems:\n  ${report.join("\n  ")}`);
});

test.run();
