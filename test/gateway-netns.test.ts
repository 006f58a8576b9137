/**
 * `hyphae node` ×3 and `hyphae gateway`, each in its own Linux network namespace on one bridged
 * private subnet (10.78.1.0/24, test/helpers/netns.ts), form a mesh over UDP broadcast; the broker
 * (mosquitto) and the subscriber (mosquitto_sub) run inside the gateway's namespace, on its own
 * loopback. Checked: every node's readings reach the subscriber, each once and in order, exactly as
 * the gateway delivered them. Nothing leaves the namespaces; they are deleted at the end, also on
 * failure. Needs root, iproute2 and mosquitto; skipped (one line) otherwise.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Role } from "../modules/identity/certificate.js";
import { deliveredSeqs, HyphaeProcess, writeProvisioning } from "./helpers/hyphae-process.js";
import { MosquittoBroker, mosquittoMissing, readingSeqs, Subscriber } from "./helpers/mosquitto.js";
import { BridgedNetwork, netnsUnavailable } from "./helpers/netns.js";

const GATEWAY = 4;
const network = new BridgedNetwork(`hg${process.pid}`, "10.78", { A: 1 }, [["A"], ["A"], ["A"], ["A"]]);
const BROKER_PORT = 1883; // the gateway namespace's own loopback: nothing else listens there
const WAIT_MS = 15_000;

const skip = netnsUnavailable() ?? mosquittoMissing();

test("three nodes and a gateway in network namespaces: readings reach the broker exactly once, in order", async () => {
  if (skip) return console.log(`  gateway-netns: skipped (${skip})`);
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "hyphae-gwnetns-"));
  const files = writeProvisioning(dir, 4, 91, new Map([[GATEWAY, Role.Gateway]]));
  const broker = new MosquittoBroker(BROKER_PORT, { prefix: network.exec(GATEWAY) });
  const processes: HyphaeProcess[] = [];
  let subscriber: Subscriber | undefined;
  const common = ["--broadcast", network.broadcast("A"), "--beacon-ms", "300", "--publish-every", "0"];
  try {
    network.build();
    await broker.start();
    subscriber = new Subscriber(BROKER_PORT, ["hyphae/#"], "hy-netns-sub", network.exec(GATEWAY));
    const gateway = new HyphaeProcess("gateway", ["--provisioning", files[GATEWAY - 1], "--state", join(dir, "gw"),
      "--mqtt", `127.0.0.1:${BROKER_PORT}`, "--status-every", "1000", ...common], network.exec(GATEWAY), "gateway");
    processes.push(gateway);
    const nodes = [1, 2, 3].map((i) => new HyphaeProcess(`node${i}`, ["--provisioning", files[i - 1], "--state", join(dir, `n${i}`),
      "--reading-every", "400", ...common], network.exec(i)));
    processes.push(...nodes);
    await gateway.waitFor("mqtt-connected", () => true, WAIT_MS, "the broker");
    const ids = (await Promise.all(nodes.map((n) => n.waitFor("started", () => true, WAIT_MS, "start")))).map((s) => s.id);
    await Promise.all(ids.map((id) => gateway.waitFor("neighbor-up", (e) => e.id === id, WAIT_MS, `neighbor ${id}`)));
    await subscriber.waitFor("three readings per node", WAIT_MS, (m) => ids.every((id) => (readingSeqs(m).get(id)?.length ?? 0) >= 3));
    const tReached = Date.now() - t0;

    await Promise.all(nodes.map((n) => n.stop("SIGTERM")));
    await gateway.waitFor("mqtt-published", () => gateway.of("mqtt-published").length === gateway.of("reading").length, WAIT_MS, "the outbox drained");
    const atGateway = deliveredSeqs([gateway]);
    await subscriber.waitFor("every reading", WAIT_MS, (m) => ids.every((id) => (readingSeqs(m).get(id)?.length ?? 0) >= atGateway.get(id)!.length));
    const atSubscriber = readingSeqs(subscriber.messages);
    for (const id of ids) {
      const seqs = atGateway.get(id)!;
      assert.equal(seqs, seqs.map((_, j) => j + 1), `${id}: delivered 1..${seqs.length}`);
      assert.equal(atSubscriber.get(id), seqs, `${id}: each once, in order, at the subscriber`);
    }
    assert.is(await gateway.stop("SIGTERM"), 0);
    assert.equal(gateway.of("mqtt-error"), []);
    console.log(`  gateway-netns: readings at the broker ${tReached} ms, total ${Date.now() - t0} ms`);
  } finally {
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await subscriber?.stop();
    await broker.dispose();
    network.delete();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
