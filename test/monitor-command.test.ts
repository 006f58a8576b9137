/**
 * `hyphae monitor` end to end: two `hyphae node` processes and a `hyphae gateway` on loopback
 * publish to a real Mosquitto; the monitor subscribes and serves the mesh it assembles from the
 * gateway's statuses, each node's health report included. Plus its flags.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Role } from "../modules/identity/certificate.js";
import type { MeshSnapshot } from "../tools/monitor-view.js";
import { freeUdpPort, HyphaeProcess, writeProvisioning } from "./helpers/hyphae-process.js";
import { freeTcpPort, MosquittoBroker, mosquittoMissing } from "./helpers/mosquitto.js";
import { runHyphae as hyphae } from "./helpers/run-hyphae.js";

const skip = mosquittoMissing();
const WAIT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("monitor flags: --help, and each bad flag a one-line reason with exit 2", async () => {
  const help = await hyphae("monitor", "--help");
  assert.is(help.code, 0);
  assert.match(help.stdout, /Usage: hyphae monitor --mqtt/);
  const cases: [string[], RegExp][] = [
    [[], /--mqtt HOST\[:PORT\] is required/],
    [["--mqtt", "h:0"], /--mqtt port must be an integer/],
    [["--mqtt", "h", "--network", "xyz"], /--network must be 8 hex digits/],
    [["--mqtt", "h", "--port", "70000"], /--port must be an integer/],
    [["--mqtt", "h", "--topic-prefix", "a/+"], /--topic-prefix must be topic levels/],
    [["--mqtt", "h", "--nope"], /--nope/],
  ];
  for (const [argv, message] of cases) {
    const r = await hyphae("monitor", ...argv);
    assert.is(r.code, 2, `${argv.join(" ")} → ${r.code}`);
    assert.match(r.stderr.split("\n")[0], message, argv.join(" "));
  }
});

test("the monitor shows the mesh as the gateway sees it: every node, its health report, its links", async () => {
  if (skip) return console.log(`  monitor-command: skipped (${skip})`);
  const dir = mkdtempSync(join(tmpdir(), "hyphae-monitor-"));
  const files = writeProvisioning(dir, 3, 91, new Map([[3, Role.Gateway]]));
  const broker = new MosquittoBroker(await freeTcpPort());
  const udp = await freeUdpPort("127.0.0.2");
  const common = ["--port", String(udp), "--broadcast", "127.0.0.2,127.0.0.3,127.0.0.4", "--beacon-ms", "200", "--publish-every", "0",
    "--health-every", "1000"];
  const processes: HyphaeProcess[] = [];
  try {
    await broker.start();
    processes.push(new HyphaeProcess("gateway", ["--provisioning", files[2], "--state", join(dir, "gw"), "--bind", "127.0.0.4",
      "--mqtt", `127.0.0.1:${broker.port}`, "--status-every", "500", ...common], [], "gateway"));
    for (const i of [1, 2]) {
      processes.push(new HyphaeProcess(`node${i}`, ["--provisioning", files[i - 1], "--state", join(dir, `n${i}`), "--bind", `127.0.0.${i + 1}`,
        "--reading-every", "500", ...common]));
    }
    const monitor = new HyphaeProcess("monitor", ["--mqtt", `127.0.0.1:${broker.port}`, "--port", "0"], [], "monitor");
    processes.push(monitor);
    const ids = await Promise.all(processes.slice(0, 3).map(async (p) => (await p.waitFor("started", () => true, WAIT_MS, "start")).id));
    const { url } = (await monitor.waitFor("monitor-listening" as never, () => true, WAIT_MS, "the page")) as unknown as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    // Every node reported (its first report comes 0.5 to 1.5 s after boot), and each lists the other two.
    let snapshot: MeshSnapshot | undefined;
    const end = Date.now() + WAIT_MS;
    for (;;) {
      snapshot = (await (await fetch(url + "snapshot.json")).json()) as MeshSnapshot;
      const reported = snapshot.nodes.filter((n) => n.report && n.report.neighborCount === 2);
      if (reported.length === 3) break;
      if (Date.now() > end) assert.unreachable(`snapshot: ${JSON.stringify(snapshot)}`);
      await sleep(250);
    }
    assert.equal(snapshot.nodes.map((n) => n.id).sort(), [...ids].sort());
    const gateway = snapshot.nodes.find((n) => n.id === ids[0])!;
    assert.ok(gateway.gateway && gateway.report!.gateway, "the gateway is drawn as one");
    for (const n of snapshot.nodes) {
      assert.equal(n.report!.neighbors.map((x) => x.id).sort(), ids.filter((id) => id !== n.id).sort(), `${n.id} lists the others`);
      assert.ok(n.report!.framesIn > 0 && n.report!.authFailures === 0);
    }
    assert.is(snapshot.links.length, 6);
    const page = await (await fetch(url)).text();
    assert.match(page, /<svg id="mesh"/);
  } finally {
    await Promise.all(processes.map((p) => p.stop("SIGTERM")));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
