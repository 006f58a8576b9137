/**
 * The real firmware as an equal mesh peer (issue 9): two firmware images, compiled from manifest.json
 * and hosts/moddable by the real mcconfig and booted in the Moddable simulator (mcsim), mesh over
 * real UDP on loopback with three `hyphae node` processes, one of them a gateway. Every node is
 * provisioned with `hyphae keys` (the CLI, run in-process).
 *
 * Shown: all five become neighbors with verified certificates (the role each announces is the one
 * the owner signed); the firmware nodes' sample readings reach the gateway process exactly once and
 * in order, with the values the firmware took; a message published by a Node peer reaches both
 * firmware nodes (they trace it); a firmware node stopped and started again keeps its identity,
 * never reuses a sequence number (messages or readings) and is taken back; a command published on
 * MQTT reaches a firmware node through the gateway (run as `hyphae gateway` with the command right,
 * when Mosquitto is installed) and the firmware traces it; a third firmware node
 * whose certificate another owner signed (same network key, so it boots and its frames open) is
 * never anyone's neighbor, and every other node counts its frames as bad-certificate drops.
 *
 * Processes are ended by PID (mcsim by its process group), also when an assertion fails. Skipped,
 * with one line, where the Moddable SDK is absent (no MODDABLE and no ../shared/moddable-build).
 * Builds share the work directory of firmware-command.test.ts, so each image takes seconds once the
 * first build has compiled everything.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Role } from "../modules/identity/certificate.js";
import type { Io } from "../tools/cli.js";
import { main } from "../tools/hyphae.js";
import { networkHex } from "../hosts/node/mqtt-topics.js";
import { HYPHAE_BIN, HyphaeProcess } from "./helpers/hyphae-process.js";
import { freeTcpPort, MosquittoBroker, mosquittoMissing } from "./helpers/mosquitto.js";
import { Mcsim, moddableSdk, type ModdableSdk, REPOSITORY } from "./helpers/moddable.js";

const BEACON_MS = "300";
const PERIOD_MS = "1000";
const WAIT_MS = 20_000;
const WORK = join(REPOSITORY, "build", "firmware", "work-test-lin");

/** `hyphae …` in this process (the CLI a user runs); throws with its stderr unless it exits 0. */
async function hyphae(...argv: string[]): Promise<string> {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await main(argv, io);
  if (code !== 0) throw new Error(`hyphae ${argv.join(" ")}: exit ${code}\n${stderr}`);
  return stdout;
}

/** `hyphae firmware build …` as a child process with the SDK's environment; resolves to the image path. */
function buildFirmware(sdk: ModdableSdk, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HYPHAE_BIN, "firmware", "build", ...args], { env: sdk.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`firmware build: exit ${code}\n${stderr}`))));
  });
}

/** UDP ports free on loopback now, distinct (test runs may overlap: no fixed ports). */
async function freePorts(count: number): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket("udp4"));
  const ports = await Promise.all(sockets.map((s) => new Promise<number>((r) => s.bind(0, "127.0.0.1", () => r(s.address().port)))));
  await Promise.all(sockets.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  return ports;
}

const seqs = (events: Record<string, unknown>[]): number[] => events.map((e) => e.seq as number);

const sdk = moddableSdk();
if (typeof sdk === "string") {
  test(`five-node mixed mesh of firmware in mcsim and hyphae node (${sdk})`, () => {});
  console.log(`firmware-mesh.test: ${sdk}`);
} else {
  test("two firmware nodes in mcsim and three hyphae node processes form one certified mesh; a rogue firmware node is ignored", async () => {
    const t0 = Date.now();
    const lap = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const dir = mkdtempSync(join(tmpdir(), "hyphae-fwmesh-"));
    const sims: Mcsim[] = [];
    const nodes: HyphaeProcess[] = [];
    // With a broker, the gateway runs as `hyphae gateway` and forwards a command to fw2.
    const broker = mosquittoMissing() ? null : new MosquittoBroker(await freeTcpPort());
    try {
      // ---- provisioning with the owner's key tool ----
      const keys = join(dir, "keys");
      await hyphae("keys", "init", "--dir", keys);
      const roles: Record<string, string> = { fw1: "node", fw2: "node", n1: "node", n2: "relay", gw: "gateway" };
      const file: Record<string, string> = {};
      const id: Record<string, string> = {};
      for (const [name, role] of Object.entries(roles)) {
        await hyphae("keys", "issue", "--dir", keys, "--name", name, "--role", role, ...(name === "gw" ? ["--command"] : []));
        const exported = await hyphae("keys", "export", "--dir", keys, "--name", name);
        file[name] = join(dir, `${name}.json`);
        writeFileSync(file[name], exported, { mode: 0o600 });
        id[name] = JSON.parse(exported).id;
      }
      // The rogue: another owner's key directory on the same network id, its certificate signed by
      // that owner, and the mesh's network key (leaked, say), so it boots and its frames open.
      const mesh = JSON.parse(readFileSync(file.fw1, "utf8"));
      const rogueKeys = join(dir, "rogue-keys");
      await hyphae("keys", "init", "--dir", rogueKeys, "--network-id", mesh.networkId);
      await hyphae("keys", "issue", "--dir", rogueKeys, "--name", "rogue");
      const rogue = JSON.parse(await hyphae("keys", "export", "--dir", rogueKeys, "--name", "rogue"));
      assert.is.not(rogue.ownerPublicKey, mesh.ownerPublicKey);
      file.rogue = join(dir, "rogue.json");
      writeFileSync(file.rogue, JSON.stringify({ ...rogue, networkKey: mesh.networkKey }), { mode: 0o600 });
      id.rogue = rogue.id;

      // ---- three images, one per firmware node ----
      const names = ["fw1", "fw2", "n1", "n2", "gw", "rogue"];
      const portList = await freePorts(names.length);
      const port = Object.fromEntries(names.map((n, i) => [n, portList[i]]));
      const endpoint = (n: string): string => `127.0.0.1:${port[n]}`;
      const peers = names.map(endpoint).join(",");
      const image: Record<string, string> = {};
      for (const name of ["fw1", "fw2", "rogue"]) {
        image[name] = await buildFirmware(sdk, ["--provisioning", file[name], "--port", String(port[name]), "--peers", peers,
          "--beacon-ms", BEACON_MS, "--publish-every", PERIOD_MS, "--reading-every", PERIOD_MS, "--status-every", "1000",
          "--out", join(dir, name), "--work", WORK]);
      }
      const tBuilt = lap();

      // ---- start all six ----
      const sim: Record<string, Mcsim> = {};
      const launchSim = (name: string): Mcsim => {
        const s = new Mcsim(sdk, image[name], join(dir, `home-${name}`));
        sims.push(s);
        return (sim[name] = s);
      };
      for (const name of ["fw1", "fw2", "rogue"]) launchSim(name);
      const node: Record<string, HyphaeProcess> = {};
      await broker?.start();
      for (const name of ["n1", "n2", "gw"]) {
        const asGateway = name === "gw" && broker;
        const p = new HyphaeProcess(name, ["--provisioning", file[name], "--state", join(dir, `state-${name}`), "--port", String(port[name]),
          "--bind", "127.0.0.1", "--broadcast", names.filter((n) => n !== name).map(endpoint).join(","), "--beacon-ms", BEACON_MS,
          "--publish-every", name === "n1" ? PERIOD_MS : "0", "--reading-every", "0",
          ...(asGateway ? ["--mqtt", `127.0.0.1:${broker.port}`] : [])], [], asGateway ? "gateway" : "node");
        nodes.push(p);
        node[name] = p;
      }
      for (const name of ["fw1", "fw2", "rogue"]) {
        const started = await sim[name].waitFor((e) => e.type === "started", WAIT_MS, `${name} started`);
        assert.is(started.id, id[name], `${name} boots as the node its provisioning names`);
        assert.is(started.port, port[name]);
      }
      for (const name of ["n1", "n2", "gw"]) {
        assert.is((await node[name].waitFor("started", () => true, WAIT_MS, "start")).id, id[name]);
      }

      // ---- all five are neighbors, each having verified the others' certificates ----
      const five = ["fw1", "fw2", "n1", "n2", "gw"];
      const roleOf: Record<string, Role> = { fw1: Role.Node, fw2: Role.Node, n1: Role.Node, n2: Role.Relay, gw: Role.Gateway };
      /** The role `name` announces for its new neighbor `other`, once it has one. */
      const neighborRole = async (name: string, other: string): Promise<unknown> => {
        if (name in sim) return (await sim[name].waitFor((e) => e.type === "neighbor-up" && e.id === id[other], WAIT_MS, `${name}: neighbor ${other}`)).role;
        return (await node[name].waitFor("neighbor-up", (e) => e.id === id[other], WAIT_MS, `neighbor ${other}`)).role;
      };
      await Promise.all(five.flatMap((name) => five.filter((o) => o !== name).map(async (other) => {
        // The role comes from the certificate, which a node takes only once the owner's signature verified.
        assert.is(await neighborRole(name, other), roleOf[other], `${name} sees ${other} as role ${roleOf[other]}`);
      })));
      const tNeighbors = lap();

      // ---- a Node peer's message (the first once all are neighbors) reaches both firmware nodes ----
      const published = await node.n1.waitFor("published", () => true, WAIT_MS, "a published message", node.n1.events.length);
      for (const name of ["fw1", "fw2"]) {
        const got = await sim[name].waitFor((e) => e.type === "message" && e.origin === id.n1 && e.seq === published.seq, WAIT_MS,
          `${name}: n1's message ${published.seq}`);
        assert.is(got.payload, published.payload, `${name} traced n1's payload`);
      }

      // ---- the firmware nodes' readings reach the gateway ----
      for (const name of ["fw1", "fw2"]) {
        await node.gw.waitFor("reading", (e) => e.origin === id[name] && e.seq >= 3, WAIT_MS, `three readings of ${name}`);
      }
      const tReadings = lap();

      // ---- a command from MQTT: through the gateway (command right) to fw2, which traces it ----
      if (broker) {
        await node.gw.waitFor("mqtt-connected", () => true, WAIT_MS, "the broker");
        spawnSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t",
          `hyphae/${networkHex(Number(mesh.networkId))}/${id.fw2}/set/led`, "-m", "on"]);
        const sent = await node.gw.waitFor("command-sent", () => true, WAIT_MS, "the command sent");
        const got = await sim.fw2.waitFor((e) => e.type === "command" && e.seq === sent.seq, WAIT_MS, "fw2: the command");
        assert.equal([got.origin, got.path, got.value, got.hops], [id.gw, "led", "6f6e", 1], "fw2 traced the command");
        assert.equal(sim.fw1.of("command"), [], "fw1 is not the target");
      }
      const tCommand = lap();

      // ---- fw1 stopped and started again: same identity, fresh sequence numbers, taken back ----
      const first = sim.fw1;
      const messagesBefore = seqs(first.of("published"));
      const readingsBefore = first.of("reading-taken");
      assert.ok(messagesBefore.length > 0 && readingsBefore.length > 0);
      const gwMark = node.gw.events.length;
      const n1Mark = node.n1.events.length;
      await first.stop();
      await node.gw.waitFor("neighbor-down", (e) => e.id === id.fw1, WAIT_MS, "fw1 down", gwMark);
      const second = launchSim("fw1");
      const restarted = await second.waitFor((e) => e.type === "started", WAIT_MS, "fw1 restarted");
      assert.is(restarted.id, id.fw1, "the same identity after the restart");
      const maxMessage = Math.max(...seqs(first.of("published")));
      const maxReading = Math.max(...seqs(first.of("reading-taken")));
      await second.waitFor((e) => e.type === "published", WAIT_MS, "fw1 publishing again");
      await second.waitFor((e) => e.type === "reading-taken", WAIT_MS, "fw1 taking readings again");
      const heard = await node.n1.waitFor("message", (e) => e.origin === id.fw1 && e.seq > maxMessage, WAIT_MS,
        "fw1's message after the restart", n1Mark);
      await node.gw.waitFor("neighbor-up", (e) => e.id === id.fw1, WAIT_MS, "fw1 back", gwMark);
      await node.n1.waitFor("neighbor-up", (e) => e.id === id.fw1, WAIT_MS, "fw1 back", n1Mark);
      const firstNewReading = second.of("reading-taken")[0].seq as number;
      await node.gw.waitFor("reading", (e) => e.origin === id.fw1 && e.seq >= firstNewReading + 1, WAIT_MS, "fw1's readings after the restart");
      const messagesAfter = seqs(second.of("published"));
      const readingsAfter = seqs(second.of("reading-taken"));
      assert.ok(Math.min(...messagesAfter) > maxMessage, `message seqs ${messagesBefore} then ${messagesAfter}`);
      assert.ok(Math.min(...readingsAfter) > maxReading, `reading seqs up to ${maxReading} then ${readingsAfter}`);
      assert.ok(heard.seq > maxMessage);
      const tRestarted = lap();

      // ---- readings at the gateway: each exactly once, in order, with the value the firmware took ----
      for (const [name, runs] of [["fw1", [first, second]], ["fw2", [sim.fw2]]] as const) {
        const taken = new Map<number, unknown>();
        for (const run of runs) for (const e of run.of("reading-taken")) taken.set(e.seq as number, e.value);
        const got = node.gw.of("reading").filter((e) => e.origin === id[name]);
        assert.ok(got.length >= 3, `${name}: ${got.length} readings at the gateway`);
        assert.equal(got.map((e) => e.seq), got.map((_, j) => j + 1), `${name}: readings 1..${got.length}, each once, in order`);
        for (const e of got) assert.is(e.value, taken.get(e.seq), `${name} reading ${e.seq}: the value the firmware took`);
      }
      assert.ok(node.gw.of("reading").filter((e) => e.origin === id.fw1).some((e) => e.seq > maxReading),
        "fw1's readings after its restart reached the gateway");

      // ---- the rogue: booted, heard by all, never anyone's neighbor ----
      for (const name of five) {
        const ups: { id?: unknown }[] = name === "fw1" ? [first, second].flatMap((s) => s.of("neighbor-up"))
          : name in sim ? sim[name].of("neighbor-up") : node[name].of("neighbor-up");
        assert.not.ok(ups.some((e) => e.id === id.rogue), `${name} took the rogue as a neighbor`);
      }
      assert.equal(sim.rogue.of("neighbor-up"), [], "the rogue verifies nobody's certificate either");
      for (const name of ["fw1", "fw2"]) {
        // Its status line (every second): four neighbors, and the rogue's frames dropped for their certificate.
        await sim[name].waitFor((e) => e.type === "status" && (e.neighbors as number) >= 4 &&
          ((e.drops as Record<string, number>)["bad-certificate"] ?? 0) > 0, WAIT_MS, `${name}: status with 4 neighbors and bad-certificate drops`);
      }
      const exits = await Promise.all(["n1", "n2", "gw"].map((n) => node[n].stop("SIGTERM")));
      assert.equal(exits, [0, 0, 0]);
      for (const name of ["n1", "n2", "gw"]) {
        const stopped = node[name].of("stopped")[0];
        assert.ok((stopped.drops["bad-certificate"] ?? 0) > 0, `${name} counted the rogue's frames: ${JSON.stringify(stopped.drops)}`);
        assert.equal(node[name].of("error"), [], `${name} reported no error`);
      }
      for (const s of [first, second, sim.fw2]) assert.equal(s.of("error"), [], `${s.image}: no error`);
      console.log(`  firmware-mesh: built ${tBuilt}, neighbors ${tNeighbors}, readings ${tReadings}, command ${tCommand}, restart done ${tRestarted}, total ${lap()}`);
    } finally {
      await Promise.all([...sims.map((s) => s.stop()), ...nodes.map((n) => n.stop("SIGKILL"))]);
      await broker?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
