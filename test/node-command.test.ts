/**
 * `hyphae node`: help, flags and their errors, provisioning-file errors, runtime failures, and two
 * real processes on loopback (127.0.0.2 and .3, one port) that become neighbors and exchange readings.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStorage } from "../hosts/node/file-storage.js";
import { parseNodeArgs } from "../tools/node-command.js";
import { freeUdpPort, HyphaeProcess, writeProvisioning } from "./helpers/hyphae-process.js";
import { runHyphae as hyphae } from "./helpers/run-hyphae.js";

const dir = mkdtempSync(join(tmpdir(), "hyphae-node-"));
const [p1, p2] = writeProvisioning(dir, 2, 31);
const state = (name: string) => join(dir, name);

test("--help documents the flags, the JSON lines and the exit codes", async () => {
  const r = await hyphae("node", "--help");
  assert.is(r.code, 0);
  for (const flag of ["--provisioning", "--state", "--port", "--bind", "--broadcast", "--publish-every", "--beacon-ms", "--drop", "--seed"]) {
    assert.ok(r.stdout.includes(flag), `node --help lacks ${flag}`);
  }
  assert.match(r.stdout, /"type":"message","origin"/);
  assert.match(r.stdout, /2 usage error/);
  assert.match((await hyphae("--help")).stdout, /node\s+run one mesh node/);
});

test("flags map onto options, with the documented defaults", () => {
  const d = parseNodeArgs(["--provisioning", "p.json", "--state", "s"])!;
  assert.equal({ ...d, seed: 0 }, {
    provisioningFile: "p.json", stateDir: "s", port: 47000, bind: "0.0.0.0", broadcast: [{ address: "255.255.255.255" }],
    publishEveryMs: 60_000, readingEveryMs: 0, beaconMs: 5000, healthEveryMs: 300_000, drop: 0, seed: 0,
  });
  const o = parseNodeArgs(["--provisioning", "p.json", "--state", "s", "--port", "47001", "--bind", "10.0.0.1",
    "--broadcast", "10.0.1.255, 10.0.2.255:47002", "--publish-every", "0", "--reading-every", "1000", "--beacon-ms", "300", "--drop", "0.1", "--seed", "9", "--health-every", "0"])!;
  assert.equal(o.broadcast, [{ address: "10.0.1.255" }, { address: "10.0.2.255", port: 47002 }]);
  assert.equal([o.port, o.bind, o.publishEveryMs, o.readingEveryMs, o.beaconMs, o.drop, o.seed, o.healthEveryMs], [47001, "10.0.0.1", 0, 1000, 300, 0.1, 9, 0]);
  assert.throws(() => parseNodeArgs(["--provisioning", "p.json", "--state", "s", "--health-every", "500"]), /--health-every must be 0 \(never\) or from 1000/);
});

test("bad flags exit 2 and name the flag", async () => {
  const need = ["--provisioning", p1, "--state", state("unused")];
  const cases: [string[], RegExp][] = [
    [["--state", "s"], /--provisioning FILE is required/],
    [["--provisioning", p1], /--state DIR is required/],
    [[...need, "--port", "0"], /--port must be an integer from 1 to 65535/],
    [[...need, "--bind", "300.1.1.1"], /--bind must be an IPv4 address/],
    [[...need, "--broadcast", "10.0.0.255,nowhere"], /--broadcast must list IPv4 ADDR or ADDR:PORT.*"nowhere"/],
    [[...need, "--broadcast", "10.0.0.255:99999"], /--broadcast port must be an integer from 1 to 65535/],
    [[...need, "--drop", "1.5"], /--drop must be a number from 0 to 1/],
    [[...need, "--publish-every", "50"], /--publish-every must be 0 \(never\) or from 100/],
    [[...need, "--reading-every", "soon"], /--reading-every must be an integer from 0 to 86400000/],
    [[...need, "--beacon-ms", "250"], /--beacon-ms must be a multiple of 100/],
    [[...need, "--beacon-ms", "70000"], /--beacon-ms must be an integer from 100 to 60000/],
    [[...need, "--seed", "x"], /--seed must be an integer from 0 to 4294967295/],
    [[...need, "--nodes", "3"], /unknown flag --nodes/],
  ];
  for (const [argv, message] of cases) {
    const r = await hyphae("node", ...argv);
    assert.is(r.code, 2, `${argv.join(" ")} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(" "));
    assert.is(r.stdout, "");
  }
  assert.not.ok(existsSync(state("unused")), "no state directory for a usage error");
});

test("a bad provisioning file exits 2 naming the file and the field; the state directory is released", async () => {
  const bad = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const good = JSON.parse(readFileSync(p1, "utf8"));
  const other = JSON.parse(readFileSync(p2, "utf8"));
  const cases: [string, RegExp][] = [
    [join(dir, "missing.json"), /cannot read .*missing\.json/],
    [bad("garbled.json", "{nope"), /garbled\.json: .*JSON/],
    [bad("short-key.json", JSON.stringify({ ...good, networkKey: "00" })), /provisioning\.networkKey must be 32 bytes/],
    [bad("swapped.json", JSON.stringify({ ...good, certificate: other.certificate })), /swapped\.json: own certificate is not for this secret key/],
  ];
  for (const [file, message] of cases) {
    const r = await hyphae("node", "--provisioning", file, "--state", state("bad"));
    assert.is(r.code, 2, `${file}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  FileStorage.open(state("bad")).close();
});

test("a state directory in use or an address that cannot be bound exits 1", async () => {
  const held = FileStorage.open(state("held"));
  try {
    const r = await hyphae("node", "--provisioning", p1, "--state", state("held"));
    assert.is(r.code, 1);
    assert.match(r.stderr, /state directory .* already open/);
  } finally {
    held.close();
  }
  const r = await hyphae("node", "--provisioning", p1, "--state", state("unbound"), "--bind", "192.0.2.1");
  assert.is(r.code, 1);
  assert.match(r.stderr, /cannot bind UDP 192\.0\.2\.1:47000/);
  assert.not.ok(existsSync(join(state("unbound"), ".lock")), "the lock is released");
});

test("two processes on loopback become neighbors, exchange readings and stop cleanly on SIGTERM", async () => {
  const port = String(await freeUdpPort("127.0.0.2"));
  const start = Date.now();
  const common = ["--port", port, "--broadcast", "127.0.0.2,127.0.0.3", "--beacon-ms", "200", "--publish-every", "300"];
  const nodes = [
    new HyphaeProcess("node1", ["--provisioning", p1, "--state", state("n1"), "--bind", "127.0.0.2", ...common]),
    new HyphaeProcess("node2", ["--provisioning", p2, "--state", state("n2"), "--bind", "127.0.0.3", ...common]),
  ];
  try {
    const [s1, s2] = await Promise.all(nodes.map((n) => n.waitFor("started", () => true, 5000, "start")));
    assert.equal([s1.address, s1.port, s1.broadcast], ["127.0.0.2", Number(port), [`127.0.0.2:${port}`, `127.0.0.3:${port}`]]);
    const ids = [s1.id, s2.id];
    await Promise.all(nodes.map((n, i) => n.waitFor("neighbor-up", (e) => e.id === ids[1 - i], 5000, "the other node")));
    for (const [i, n] of nodes.entries()) {
      const got = await n.waitFor("message", (e) => e.origin === ids[1 - i], 5000, "a reading from the other node");
      const sent = await nodes[1 - i].waitFor("published", (e) => e.seq === got.seq, 1000, `published seq ${got.seq}`);
      assert.is(got.payload, sent.payload);
      assert.is(got.hops, 1);
      assert.match(got.payload, /^[0-9a-f]{16}$/);
      assert.is(parseInt(got.payload.slice(0, 8), 16), got.seq, "the reading number is the first u32");
    }
    assert.equal(await Promise.all(nodes.map((n) => n.stop("SIGTERM"))), [0, 0]);
    for (const n of nodes) {
      const last = n.events[n.events.length - 1];
      assert.ok(last.type === "stopped" && last.counters.framesIn > 0 && last.counters.published > 0, JSON.stringify(last));
      assert.is(n.of("error").length, 0);
      assert.is(n.stderr, "");
    }
    assert.equal(readdirSync(state("n1")).sort(), ["epoch", "seq"], "state kept, lock released");
    console.log(`  two-process loopback run: ${Date.now() - start} ms`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
