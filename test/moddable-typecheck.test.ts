/**
 * The firmware (hosts/moddable) without the SDK: it type-checks against @moddable/typings (no Node
 * types), a type error there fails that check, the root build leaves it out, and manifest.json maps
 * every module the firmware imports, down through the core and the npm packages, under the name XS
 * will ask for. (The build with the real mcconfig is in firmware-command.test.ts.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { REPOSITORY } from "./helpers/moddable.js";

const TSC = join(REPOSITORY, "node_modules", "typescript", "bin", "tsc");

function tsc(project: string): { code: number; output: string } {
  const r = spawnSync(process.execPath, [TSC, "-p", project, "--noEmit"], { encoding: "utf8" });
  return { code: r.status ?? 1, output: (r.stdout ?? "") + (r.stderr ?? "") };
}

test("hosts/moddable type-checks against @moddable/typings", () => {
  const r = tsc(join(REPOSITORY, "hosts", "moddable", "tsconfig.json"));
  assert.is(r.code, 0, r.output);
  const config = JSON.parse(readFileSync(join(REPOSITORY, "hosts", "moddable", "tsconfig.json"), "utf8"));
  assert.equal(config.compilerOptions.types, [], "no ambient types: Node's would hide a Node API used on the board");
  assert.ok(config.include.some((p: string) => p.includes("@moddable/typings")));
});

test("a type error in a copy of hosts/moddable fails the check, naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-typecheck-"));
  try {
    cpSync(join(REPOSITORY, "hosts", "moddable"), join(dir, "hosts", "moddable"), { recursive: true });
    symlinkSync(join(REPOSITORY, "modules"), join(dir, "modules"));
    symlinkSync(join(REPOSITORY, "node_modules"), join(dir, "node_modules"));
    const main = join(dir, "hosts", "moddable", "main.ts");
    // Wrong against the Moddable typings: Timer.set takes a callback.
    writeFileSync(main, readFileSync(main, "utf8") + '\nTimer.set("not a callback", 10);\n');
    const r = tsc(join(dir, "hosts", "moddable", "tsconfig.json"));
    assert.is.not(r.code, 0);
    assert.match(r.output, /main\.ts\(\d+,\d+\): error TS\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the root build leaves hosts/moddable out (its globals would clash with Node's)", () => {
  const root = JSON.parse(readFileSync(join(REPOSITORY, "tsconfig.json"), "utf8"));
  for (const pattern of root.include as string[]) {
    assert.not.ok(/^hosts\/(moddable|\*)/.test(pattern) || pattern.startsWith("**"), `root tsconfig includes ${pattern}`);
  }
  assert.not.ok(existsSync(join(REPOSITORY, "build", "hosts", "moddable")), "build/hosts/moddable exists: something imports the firmware from Node code");
});

// ---- manifest.json's module map against what the firmware imports ----

/** Modules the SDK provides through the manifests that manifest.json includes. */
const SDK_MODULES = new Set(["mc/config", "time", "timer", "preference", "net", "wifi", "crypt", "embedded:io/socket/udp", "instrumentation",
  "debug"]);

type ModuleMap = Record<string, string | string[]>;

/** The file manifest.json compiles as module `name`, or undefined (mcconfig's matching, for the forms used). */
function sourceOf(map: ModuleMap, name: string): string | undefined {
  const candidates = (base: string): string | undefined =>
    [".ts", ".js"].map((ext) => resolve(REPOSITORY, base + ext)).find((f) => existsSync(f));
  const sources = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
  for (const [target, value] of Object.entries(map)) {
    if (target === "~") continue;
    if (!target.endsWith("*")) {
      if (target === name) for (const s of sources(value)) if (candidates(s)) return candidates(s);
      continue;
    }
    const prefix = target.slice(0, -1);
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (rest.includes("/")) continue;
    for (const s of sources(value)) {
      if (s.endsWith("*")) {
        const file = candidates(s.slice(0, -1) + rest);
        if (file) return file;
      } else if (posix.basename(s) === rest && candidates(s)) {
        return candidates(s);
      }
    }
  }
  return undefined;
}

/** Value imports and re-exports of a source (type-only ones vanish when compiled). */
function imports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  const re = /\b(?:import|export)\s+(type\s+)?(?:[^;'"]*?\bfrom\s*)?["']([^"']+)["']/g;
  for (const m of code.matchAll(re)) if (!m[1]) out.push(m[2]);
  return out;
}

/** How XS names the module `specifier` imported from module `from` (xs/platforms/mc/xsHosts.c fxFindModule). */
function xsName(from: string, specifier: string): string {
  const bare = specifier.replace(/\.(m?js)$/, "");
  if (!bare.startsWith(".")) return bare;
  return posix.normalize(posix.join(posix.dirname(from), bare));
}

/** Modules the SDK adds for one platform (manifest.json's platform includes). */
const PLATFORM_SDK_MODULES: Record<string, string[]> = { esp32: ["flash", "ota"], lin: [] };

test("manifest.json maps every module the firmware imports, as XS names it, on each platform", () => {
  const manifest = JSON.parse(readFileSync(join(REPOSITORY, "manifest.json"), "utf8"));
  const main = manifest.creation.main as string;
  assert.is(main, "hosts/moddable/main");
  for (const [platform, extra] of Object.entries(PLATFORM_SDK_MODULES)) {
    const map = { ...manifest.modules, ...manifest.platforms[platform]?.modules } as ModuleMap;
    const sdk = new Set([...SDK_MODULES, ...extra]);
    const missing: string[] = [];
    const seen = new Set<string>();
    const queue = [main];
    while (queue.length > 0) {
      const name = queue.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const file = sourceOf(map, name);
      if (!file) {
        missing.push(name);
        continue;
      }
      for (const spec of imports(readFileSync(file, "utf8"))) {
        const next = xsName(name, spec);
        if (!sdk.has(next)) queue.push(next);
      }
    }
    assert.equal(missing, [], `manifest.json lacks modules for ${platform}: ${missing.join(", ")}`);
    for (const name of ["modules/node", "modules/crypto/board-crypto", "tweetnacl", "tweetnacl/nacl-fast", "@noble/curves/abstract/edwards",
      "hosts/moddable/platform/board-content"]) {
      assert.ok(seen.has(name), `the walk never reached ${name} (${platform})`);
    }
    assert.is(seen.has("modules/content/flash-content-store"), platform === "esp32", `${platform}: the OTA store is the ESP32's only`);
    for (const name of ["@noble/curves/ed25519", "@noble/hashes/sha2"]) {
      assert.not.ok(seen.has(name), `${name} loads curves and hashes the firmware never uses (${platform})`);
    }
  }
});

test("preloaded modules are mapped, and keep no RegExp at module level (in flash, `exec` on it crashes XS)", () => {
  const manifest = JSON.parse(readFileSync(join(REPOSITORY, "manifest.json"), "utf8"));
  const map = manifest.modules as ModuleMap;
  const preload = manifest.preload as string[];
  assert.ok(preload.includes("modules/node") && preload.includes("tweetnacl"));
  assert.not.ok(preload.includes("hosts/moddable/storage"), "storage imports preference, whose desktop version must not be preloaded");
  const seen = new Set<string>();
  const queue = [...preload];
  const found: string[] = [];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || SDK_MODULES.has(name)) continue;
    seen.add(name);
    const file = sourceOf(map, name);
    assert.ok(file, `preloaded module ${name} is not in the module map`);
    const source = readFileSync(file!, "utf8");
    if (/^(export\s+)?(const|let|var)\s+\w+(\s*:[^=]+)?\s*=\s*\/[^/*]/m.test(source)) found.push(name);
    for (const spec of imports(source)) queue.push(xsName(name, spec));
  }
  assert.not.ok(seen.has("modules/crypto/board-crypto"), "@noble/curves does not survive preloading (its field inverse fails)");
  assert.equal(found, [], `module-level RegExp in preloaded modules: ${found.join(", ")}`);
});

test("the module-map check itself: XS names and mcconfig matching", () => {
  assert.is(xsName("hosts/moddable/main", "../../modules/node.js"), "modules/node");
  assert.is(xsName("@noble/curves/abstract/edwards", "../utils.js"), "@noble/curves/utils");
  assert.is(xsName("modules/node", "./wire/frame.js"), "modules/wire/frame");
  assert.is(xsName("x", "@noble/curves/ed25519.js"), "@noble/curves/ed25519");
  assert.equal(imports('import type { A } from "./a.js";\nimport { B } from "./b.js";\nexport { C } from "./c.js";\nimport "./d.js";'),
    ["./b.js", "./c.js", "./d.js"]);
  const map: ModuleMap = { "modules/*": "./modules/*", "tweetnacl": "./hosts/moddable/xs/tweetnacl" };
  assert.ok(sourceOf(map, "modules/node")?.endsWith("modules/node.ts"));
  assert.is(sourceOf(map, "modules/wire/frame"), undefined, "wildcards do not recurse");
  assert.ok(sourceOf(map, "tweetnacl")?.endsWith("xs/tweetnacl.js"));
  assert.is(dirname(sourceOf(map, "modules/bytes")!), resolve(REPOSITORY, "modules"));
});

test.run();
