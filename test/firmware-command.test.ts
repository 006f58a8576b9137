/**
 * `hyphae firmware build`: flags and their errors, a missing SDK, and — where the Moddable SDK is
 * installed — the real thing: manifest.json and hosts/moddable compiled by mcconfig with this
 * project's TypeScript, the image booted in the desktop simulator (mcsim), tracing the provisioned
 * node's id. Builds reuse a work directory under build/, so after the first (a minute or two) a
 * rebuild takes seconds.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../modules/bytes.js";
import { tweetnaclCrypto } from "../modules/crypto/tweetnacl-crypto.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { provisioningFromText } from "../modules/provisioning.js";
import { buildFirmware, compilerMessage, parseFirmwareArgs } from "../tools/firmware-command.js";
import { writeProvisioning } from "./helpers/hyphae-process.js";
import { Mcsim, moddableSdk, REPOSITORY } from "./helpers/moddable.js";
import { runHyphae as hyphae } from "./helpers/run-hyphae.js";

/** bin/hyphae.js as a child process, with its own environment. */
function hyphaeProcess(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPOSITORY, "bin", "hyphae.js"), ...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "hyphae-firmware-"));
const [p1] = writeProvisioning(dir, 1, 41);
const PEERS = "127.0.0.1:47301,127.0.0.1:47302";
/** mcconfig's output, shared with firmware-mesh.test.ts: after the first build, images take seconds. */
const WORK = join(REPOSITORY, "build", "firmware", "work-test-lin");

test("--help documents the action, the flags and the exit codes; the command is listed", async () => {
  const r = await hyphae("firmware", "--help");
  assert.is(r.code, 0);
  for (const flag of ["--provisioning", "--target", "--peers", "--port", "--broadcast", "--ssid", "--mesh-ssid", "--publish-every",
    "--reading-every", "--beacon-ms", "--status-every", "--out", "--state", "--work", "--debug", "--flash", "--source"]) {
    assert.ok(r.stdout.includes(flag), `firmware --help lacks ${flag}`);
  }
  assert.match(r.stdout, /hyphae firmware build --provisioning FILE/);
  assert.match(r.stdout, /1 the build failed/);
  assert.match((await hyphae("--help")).stdout, /firmware\s+build the Moddable firmware/);
  assert.is((await hyphae("firmware", "build", "--help")).code, 0);
});

test("flags map onto the build's config, with the documented defaults", () => {
  const lin = parseFirmwareArgs(["build", "--provisioning", "p.json", "--peers", PEERS])!;
  assert.is(lin.target, "lin");
  assert.ok(lin.desktop);
  assert.equal(lin.config, { port: 47000, publishMs: 60000, readingMs: 60000, peers: PEERS });
  assert.is(lin.debug, false);
  assert.is(lin.source, REPOSITORY);
  const esp = parseFirmwareArgs(["build", "--provisioning", "p.json", "--target", "esp32/moddable_two", "--ssid", "home", "--password", "pw",
    "--mesh-ssid", "orchard", "--mesh-password", "12345678", "--broadcast", "10.0.255.255", "--beacon-ms", "2000", "--publish-every", "0", "--flash",
    "--status-every", "5000"])!;
  assert.not.ok(esp.desktop);
  assert.ok(esp.flash);
  assert.equal(esp.config, {
    port: 47000, publishMs: 0, readingMs: 60000, statusMs: 5000, beaconMs: 2000, broadcast: "10.0.255.255", ssid: "home", password: "pw", meshSsid: "orchard",
    meshPassword: "12345678",
  });
  assert.is(parseFirmwareArgs(["--help"]), null);
});

test("bad flags are usage errors (exit 2) naming the flag and the rule", async () => {
  const cases: [string[], RegExp][] = [
    [[], /an action is required: build/],
    [["flash"], /unknown action 'flash'/],
    [["build"], /--provisioning FILE is required/],
    [["build", "--provisioning", p1, "--target", "esp8266"], /--target must be lin, mac, win or esp32/],
    [["build", "--provisioning", p1], /--peers LIST is required for --target lin/],
    [["build", "--provisioning", p1, "--peers", "127.0.0.1"], /--peers must list IPv4 ADDR:PORT/],
    [["build", "--provisioning", p1, "--peers", "127.0.0.1:70000"], /--peers must list/],
    [["build", "--provisioning", p1, "--peers", PEERS, "--ssid", "x"], /--ssid is for esp32 targets/],
    [["build", "--provisioning", p1, "--target", "esp32", "--peers", PEERS], /--peers is for desktop/],
    [["build", "--provisioning", p1, "--target", "esp32", "--mesh-password", "short"], /--mesh-password must be 8\.\.63/],
    [["build", "--provisioning", p1, "--peers", PEERS, "--port", "0"], /--port must be an integer from 1 to 65535/],
    [["build", "--provisioning", p1, "--peers", PEERS, "--beacon-ms", "150"], /--beacon-ms must be a multiple of 100/],
    [["build", "--provisioning", p1, "--peers", PEERS, "--publish-every", "5"], /--publish-every must be 0 \(never\) or from 100/],
    [["build", "--provisioning", p1, "--peers", PEERS, "--status-every", "50"], /--status-every must be 0 \(never\) or from 100/],
    [["build", "--provisioning", p1, "--peers", PEERS, "--bogus"], /unknown flag --bogus/],
  ];
  for (const [args, message] of cases) {
    const r = await hyphae("firmware", ...args);
    assert.is(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test("a bad provisioning file is a usage error naming the file and the field", async () => {
  const missing = await hyphae("firmware", "build", "--provisioning", join(dir, "nope.json"), "--peers", PEERS);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.json/);
  const text = JSON.parse(readFileSync(p1, "utf8"));
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ ...text, certificate: text.certificate.slice(0, 20) }));
  const r = await hyphae("firmware", "build", "--provisioning", bad, "--peers", PEERS);
  assert.is(r.code, 2);
  assert.match(r.stderr, /bad\.json: provisioning\.certificate must be/);
});

test("without MODDABLE the build stops at once (exit 1) saying how to install the SDK", async () => {
  const env = { ...process.env };
  delete env.MODDABLE;
  const r = await hyphaeProcess(env, "firmware", "build", "--provisioning", p1, "--peers", PEERS, "--out", join(dir, "unset"));
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /MODDABLE is not set: install the Moddable SDK/);
  assert.not.ok(existsSync(join(dir, "unset")), "nothing is written before the SDK is found");
});

test("compilerMessage shows the TypeScript errors of a failed build, else its last lines", () => {
  const failed = "# tsc main.ts\n../h/main.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n" +
    "# typescript compile failure\nmake: *** [makefile:9: main.js] Error 1\n";
  assert.is(compilerMessage(failed), failed.split("\n").slice(1, 4).join("\n"));
  assert.is(compilerMessage("a\nb\n\nc\n"), "a\nb\nc");
});

const sdk = moddableSdk();
if (typeof sdk === "string") {
  test(`firmware build for lin, booted in mcsim (${sdk})`, () => {});
  console.log(`firmware-command.test: the real build ${sdk}`);
} else {
  /** A UDP port free on loopback now (test runs may overlap: no fixed port). */
  const freePort = (): Promise<number> => new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });

  test("firmware build for lin compiles with mcconfig and boots in mcsim as the provisioned node", async () => {
    const [port, other] = [await freePort(), await freePort()];
    const peers = `127.0.0.1:${port},127.0.0.1:${other}`;
    const id = toHex(nodeIdOf(tweetnaclCrypto, provisioningFromText(JSON.parse(readFileSync(p1, "utf8"))).secretKey.subarray(32)));
    const out = join(dir, "node1");
    const r = await hyphaeProcess(sdk.env, "firmware", "build", "--provisioning", p1, "--port", String(port), "--peers", peers,
      "--publish-every", "1000", "--reading-every", "0", "--out", out, "--work", WORK);
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stderr, /\r/, "no progress bar on a pipe");
    const image = r.stdout.trim();
    assert.is(image, join(out, "mc.so"));
    assert.ok(existsSync(image));
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    assert.equal(manifest.include, [join(REPOSITORY, "manifest.json")]);
    assert.is(manifest.config.file.root, join(out, "state") + "/");
    const sim = new Mcsim(sdk, image, join(dir, "home1"));
    try {
      const started = await sim.waitFor((e) => e.type === "started", 20_000, "started line");
      assert.is(started.id, id);
      assert.is(started.port, port);
      assert.equal(started.broadcast, [`127.0.0.1:${other}`], "its own address is left out of the fan-out");
      assert.is(started.sha512, "native");
      const published = await sim.waitFor((e) => e.type === "published", 10_000, "published line");
      assert.is(published.seq, 1);
    } finally {
      await sim.stop();
    }
    assert.ok(existsSync(join(out, "state", "modpreferences.json")), "the node's flash is in its own state directory");
  });

  test("on a terminal the build draws a progress bar: each step of the build, against the total its dry run planned", async () => {
    const writes: string[] = [];
    const stderr = { isTTY: true, columns: 200, write: (text: string) => writes.push(text) };
    const out = join(dir, "node1-terminal");
    // Another port: this node's config changes, so the warm work directory rebuilds part of the image.
    const options = parseFirmwareArgs(["build", "--provisioning", p1, "--port", "47309", "--peers", PEERS, "--out", out, "--work", WORK])!;
    const built = await buildFirmware(options, { stderr, environment: sdk.env, barTiming: { delayMs: 0, intervalMs: 0 } });
    assert.ok(existsSync(built.image));
    const steps = readFileSync(join(out, "build.log"), "utf8").split("\n").filter((l) => /^# (cc|xsc|tsc|xsid|xsl|mcrez|ld) /.test(l));
    assert.ok(steps.length > 0, "the config was rebuilt");
    assert.match(writes[0], /^hyphae firmware: building lin release for node [0-9a-f]{16}/);
    const draws = writes.filter((w) => w.startsWith("\rhyphae firmware ["));
    assert.is(draws.length, steps.length, `one draw per step of the log:\n${steps.join("\n")}`);
    draws.forEach((draw, i) => assert.ok(draw.includes(` ${i + 1} of ${steps.length} steps · ${steps[i].slice(2)}`), draw));
    assert.match(draws.at(-1)!, /\] 100 % /);
    assert.is(writes.at(-1), "\r\x1b[K", "erased at the end");
  });

  test("a type error in hosts/moddable fails the real build (exit 1), showing the compiler's message", async () => {
    // A copy of the tree (hosts/moddable and manifest.json copied, modules/ and node_modules/ linked)
    // with a deliberate type error, built into a copy of the warm work directory: the XS library is
    // reused, the copy's TypeScript is compiled afresh, and the build stops at the error. The error
    // sits in addresses.ts, the first file mcconfig compiles, so the failure comes in seconds.
    const source = join(dir, "broken");
    mkdirSync(join(source, "hosts"), { recursive: true });
    cpSync(join(REPOSITORY, "hosts", "moddable"), join(source, "hosts", "moddable"), { recursive: true, preserveTimestamps: true });
    cpSync(join(REPOSITORY, "manifest.json"), join(source, "manifest.json"), { preserveTimestamps: true });
    symlinkSync(join(REPOSITORY, "modules"), join(source, "modules"));
    symlinkSync(join(REPOSITORY, "node_modules"), join(source, "node_modules"));
    const file = join(source, "hosts", "moddable", "addresses.ts");
    writeFileSync(file, readFileSync(file, "utf8") + '\nexport const broken: number = "not a number";\n');
    const work = join(dir, "work-broken");
    if (existsSync(WORK)) cpSync(WORK, work, { recursive: true, preserveTimestamps: true });
    rmSync(join(work, ".hyphae-build.lock"), { force: true }); // copied from a build running now, it would hold ours
    const out = join(dir, "broken-out");
    const r = await hyphaeProcess(sdk.env, "firmware", "build", "--provisioning", p1, "--peers", PEERS, "--source", source,
      "--work", work, "--out", out);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /the build failed/);
    assert.match(r.stderr, /addresses\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.not.ok(existsSync(join(out, "mc.so")), "no image");
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
