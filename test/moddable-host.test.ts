/**
 * The firmware's pure parts, run on Node: subnet broadcast and peer-list parsing (the link's two
 * strategies), the wrap-safe clock, and reading the build's config. hosts/moddable is not part of the
 * Node build (its globals would clash with Node's), so these files are transpiled here, one by one,
 * with the project's TypeScript; they import nothing from the SDK.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { REPOSITORY } from "./helpers/moddable.js";

const out = mkdtempSync(join(tmpdir(), "hyphae-moddable-"));
mkdirSync(join(out, "hosts", "moddable"), { recursive: true });
for (const name of ["addresses", "clock", "settings", "random"]) {
  const source = readFileSync(join(REPOSITORY, "hosts", "moddable", `${name}.ts`), "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(join(out, "hosts", "moddable", `${name}.js`), js.outputText);
}
writeFileSync(join(out, "package.json"), '{"type":"module"}');
const load = (name: string) => import(pathToFileURL(join(out, "hosts", "moddable", `${name}.js`)).href);
const { subnetBroadcast, parseEndpoints, ipv4Octets } = await load("addresses");
const { MonotonicClock, wallClockSeconds } = await load("clock");
const { settingsFromConfig, DEFAULT_MESH_PORT, DEFAULT_MESH_SSID } = await load("settings");
const { boardRandom } = await load("random");
rmSync(out, { recursive: true, force: true });

test("subnet broadcast: /24 by default (the ESP32 soft AP's 192.168.4.0/24), any prefix on request", () => {
  assert.is(subnetBroadcast("192.168.4.1"), "192.168.4.255");
  assert.is(subnetBroadcast("10.77.0.2"), "10.77.0.255");
  assert.is(subnetBroadcast("10.77.3.2", 16), "10.77.255.255");
  assert.is(subnetBroadcast("172.16.5.9", 20), "172.16.15.255");
  assert.is(subnetBroadcast(undefined), undefined, "no IP yet");
  assert.is(subnetBroadcast("0.0.0.0"), undefined);
  assert.is(subnetBroadcast("300.1.1.1"), undefined);
  assert.is(subnetBroadcast("fe80::1"), undefined);
  assert.throws(() => subnetBroadcast("10.0.0.1", 31), /prefixBits/);
  assert.equal(ipv4Octets("1.2.3.4"), [1, 2, 3, 4]);
});

test("peer lists: ADDR or ADDR:PORT, commas and spaces; errors name the setting and the item", () => {
  assert.equal(parseEndpoints("127.0.0.1:47001, 127.0.0.1:47002,", 47000, "config.peers"), [
    { address: "127.0.0.1", port: 47001 },
    { address: "127.0.0.1", port: 47002 },
  ]);
  assert.equal(parseEndpoints("192.168.4.255", 47000, "x"), [{ address: "192.168.4.255", port: 47000 }]);
  assert.equal(parseEndpoints("", 47000, "x"), []);
  for (const bad of ["localhost:1", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:1:2", "1.2.3.4:x", "1.2.3:5"]) {
    assert.throws(() => parseEndpoints(bad, 47000, "config.peers"), (e: Error) => e.message.includes("config.peers") && e.message.includes(bad), bad);
  }
});

test("the clock is monotonic across a 32-bit wrap of Time.ticks and counts from its creation", () => {
  let ticks = 2 ** 32 - 1500;
  const clock = new MonotonicClock(() => ticks);
  assert.is(clock.now(), 0);
  ticks += 1000;
  assert.is(clock.now(), 1000);
  ticks = (ticks + 1000) % 2 ** 32; // wraps to a small number
  assert.is(clock.now(), 2000);
  ticks = 700;
  assert.is(clock.now(), 2000 + 700 - 500);
  // Signed 32-bit counters wrap from 2^31-1 to -2^31: the same arithmetic holds.
  let signed = 2 ** 31 - 10;
  const c2 = new MonotonicClock(() => signed);
  signed = -(2 ** 31) + 5;
  assert.is(c2.now(), 15);
  // The desktop simulator's ticks exceed 32 bits: differences are what count.
  let big = 5e12;
  const c3 = new MonotonicClock(() => big);
  big += 123;
  assert.is(c3.now(), 123);
});

test("the wall clock counts only once set (after 2024)", () => {
  assert.is(wallClockSeconds(0), undefined, "an ESP32 boots at 1970");
  assert.is(wallClockSeconds(1_795_000_000_123), 1_795_000_000);
});

const PROVISIONING = {
  networkId: "0x48590001",
  networkKey: "aa".repeat(32),
  ownerPublicKey: "bb".repeat(32),
  secretKey: "cc".repeat(64),
  certificate: "dd".repeat(10),
};

test("random: nodes and boots draw apart even where Math.random() is the same unseeded rand() (the simulator)", () => {
  const real = Math.random;
  Math.random = () => 0.25; // the worst case: the same number every call, in every node
  try {
    const draws = (seed: number[], now: number): number[] => {
      const r = boardRandom(Uint8Array.from(seed), now);
      return Array.from({ length: 8 }, () => r.nextU32());
    };
    const a = draws([1, 2, 3, 4, 5, 6, 7, 8], 1_795_000_000_000);
    assert.ok(a.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff));
    assert.is(new Set(a).size, a.length, "a stream, not one value");
    assert.not.equal(draws([1, 2, 3, 4, 5, 6, 7, 9], 1_795_000_000_000), a, "another node");
    assert.not.equal(draws([1, 2, 3, 4, 5, 6, 7, 8], 1_795_000_000_001), a, "another boot");
    assert.equal(draws([1, 2, 3, 4, 5, 6, 7, 8], 1_795_000_000_000), a, "a function of its inputs and Math.random");
  } finally {
    Math.random = real;
  }
});

test("settings: defaults from an empty config (the ESP32: broadcast, Wi-Fi on, readings every minute)", () => {
  const s = settingsFromConfig({});
  assert.is(s.port, DEFAULT_MESH_PORT);
  assert.is(s.link, "broadcast");
  assert.equal(s.peers, []);
  assert.equal(s.broadcast, []);
  assert.equal(s.wifi, { ssid: undefined, password: undefined, meshSsid: DEFAULT_MESH_SSID, meshPassword: undefined, meshChannel: 1 });
  assert.is(s.publishMs, 60000);
  assert.is(s.readingMs, 60000);
  assert.is(s.statusMs, 60000);
  assert.is(s.beaconMs, undefined);
  assert.equal([s.content, s.restartMs, s.rejoinMs], [false, 10000, 600000]);
  assert.equal(s.node, {});
  assert.is(s.provisioning, undefined);
});

test("settings: the manifest's values (JSON types) and mcconfig's command-line strings read alike", () => {
  const fromManifest = settingsFromConfig({
    port: 47001, link: "peers", peers: "127.0.0.1:47001,127.0.0.1:47002", wifi: false, publishMs: 5000, readingMs: 0, beaconMs: 1000,
    statusMs: 1000, ssid: "", networkId: "", networkKey: "", ownerPublicKey: "", secretKey: "", certificate: "", file: { root: "/tmp/" },
  });
  const cli = settingsFromConfig({
    port: "47001", link: "peers", peers: "127.0.0.1:47001,127.0.0.1:47002", wifi: "false", publishMs: "5000", readingMs: "0", beaconMs: "1000",
    statusMs: "1000",
  });
  assert.equal(fromManifest, cli);
  assert.is(cli.wifi, undefined);
  assert.is(cli.readingMs, 0);
  assert.is(cli.statusMs, 1000);
  assert.is(cli.peers.length, 2);
  const content = settingsFromConfig({ content: "true", restartMs: "2000", rejoinMs: "0" });
  assert.equal([content.content, content.restartMs, content.rejoinMs], [true, 2000, 0]);
  assert.throws(() => settingsFromConfig({ rejoinMs: 5000 }), /config\.rejoinMs must be 0 \(never roll back\) or from 10000/);
  assert.throws(() => settingsFromConfig({ restartMs: 0 }), /config\.restartMs must be an integer from 1000 to 600000/);
  const full = settingsFromConfig({ ...PROVISIONING, ssid: "home", password: "secret123", meshSsid: "orchard", meshPassword: "12345678", meshChannel: "6" });
  assert.equal(full.provisioning, PROVISIONING);
  assert.equal(full.wifi, { ssid: "home", password: "secret123", meshSsid: "orchard", meshPassword: "12345678", meshChannel: 6 });
  // The ESP32 entry of manifest.json runs the board's caps as measured (BOARD_NODE_CONFIG): no override.
  const manifest = JSON.parse(readFileSync(join(REPOSITORY, "manifest.json"), "utf8"));
  const esp32 = settingsFromConfig({ ...manifest.config, ...manifest.platforms.esp32.config });
  assert.equal(esp32.node, {});
  assert.is(esp32.link, "broadcast");
  assert.is(settingsFromConfig({ node: { neighborCapacity: 12 } }).node.neighborCapacity, 12, "config.node overrides a cap");
});

test("settings: each bad value fails naming its key and the rule", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ port: "0" }, /config\.port must be an integer from 1 to 65535/],
    [{ port: "47k" }, /config\.port/],
    [{ link: "mesh" }, /config\.link must be "broadcast" or "peers"/],
    [{ link: "peers" }, /config\.link "peers" needs config\.peers/],
    [{ peers: "nowhere" }, /config\.peers must list/],
    [{ wifi: "maybe" }, /config\.wifi must be true or false/],
    [{ meshSsid: "x".repeat(33) }, /config\.meshSsid/],
    [{ meshPassword: "short" }, /config\.meshPassword must be 8\.\.63/],
    [{ meshChannel: 14 }, /config\.meshChannel/],
    [{ publishMs: 50 }, /config\.publishMs must be 0 \(never\) or from 100/],
    [{ statusMs: 99 }, /config\.statusMs must be 0 \(never\) or from 100/],
    [{ beaconMs: 150 }, /config\.beaconMs must be a multiple of 100/],
    [{ networkKey: "aa" }, /part of a provisioning: missing networkId, ownerPublicKey, secretKey, certificate/],
    [{ port: { nested: 1 } }, /config\.port must be a string, number or boolean/],
    [{ node: "small" }, /config\.node must be an object/],
    [{ node: { neighborCapacity: [1] } }, /config\.node\.neighborCapacity must be a number/],
  ];
  for (const [config, message] of cases) {
    assert.throws(() => settingsFromConfig(config), message, JSON.stringify(config));
  }
});

test.run();
