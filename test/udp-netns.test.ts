/**
 * Real UDP broadcast between `hyphae node` processes, one per Linux network namespace, over two
 * bridged subnets joined only by node 3:
 *
 *   subnet A 10.77.1.0/24 (bridge brA)   node1  node2  node3
 *   subnet B 10.77.2.0/24 (bridge brB)                 node3  node4  node5
 *
 * Node 3 has a veth on each bridge and broadcasts to both subnets, so readings between nodes 1 and 5
 * cross it. Every node drops 10% of what it receives (--drop 0.1). Checked: neighbors form only within
 * a subnet; readings go 1 → 5 and 5 → 1 over node 3's relays; node 3 killed (SIGKILL, by PID) and
 * restarted on the same state directory keeps its id, never repeats a sequence number, is taken back
 * by its neighbors, and delivery across it resumes.
 *
 * The bridges live in a hub namespace of their own, so nothing touches the machine's network; all
 * namespaces are named with this process's PID and deleted at the end, also on failure. Needs root
 * and iproute2 (as in CI); skipped otherwise.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HyphaeProcess, writeProvisioning } from "./helpers/hyphae-process.js";
import { BridgedNetwork, netnsUnavailable } from "./helpers/netns.js";
import { Role } from "../modules/identity/certificate.js";

/** Node i (1-based) → the subnets it joins: A is 10.77.1.0/24, B 10.77.2.0/24. */
const network = new BridgedNetwork(`hy${process.pid}`, "10.77", { A: 1, B: 2 }, [["A"], ["A"], ["A", "B"], ["B"], ["B"]]);
const PLAN = network.members;
const BEACON_MS = "300";
const PUBLISH_MS = "400";
const WAIT_MS = 8000;
/**
 * A message that must cross node 3 can wait several refills of its origin's relay budget: a relay
 * passes 6 of an origin's messages a minute, after a burst of 2 for an origin it meets anew, and
 * spends a token on each new message before it decides whether to relay it (docs/protocol.md §Rate
 * limits). Nodes here publish every 400 ms, 25 times that budget, so a node 3 that just (re)started
 * spends its tokens on node 5's messages while its neighbors are still taking it back and naming it
 * their relay, and each later relay of node 5's messages waits for a token (every 10 s). With 8 s the
 * test failed 1 run in 20; with a custody-trust change since reverted, node 5's message reached node
 * 1 after 10.8 s in one run of 25 and not within 18 s in another. The bound is for that, not for a
 * mesh publishing within the budget.
 */
const RELAYED_WAIT_MS = 60_000;
/**
 * Node 1's readings cross node 3 in custody: one that node 3 held in RAM when it was killed is lost
 * with it, and the gateway holds the later ones (in order) until the gap is pulled (every 10 s) or
 * node 1 sends it again (after confirmAfterMs, 60 s) (docs/protocol.md §Store-and-forward). With 8 s the check
 * failed on main too: three of node 1's readings took 38.5 and 40.2 s there in 2 of 25 runs, and
 * 37.7 s in 1 of 25 with the busy-mesh economies; every other run under 2.2 s.
 */
const READINGS_WAIT_MS = 75_000;

const skip = netnsUnavailable();

test("five nodes in network namespaces: multi-hop delivery over UDP broadcast, node 3 restarts with its state", async () => {
  if (skip) {
    console.log(`  udp-netns: skipped (${skip})`);
    return;
  }
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "hyphae-netns-"));
  // Node 5 is the gateway; nodes 1 and 3 also take sensor readings, which must reach it exactly once.
  const files = writeProvisioning(dir, PLAN.length, 77, new Map([[5, Role.Gateway]]));
  const nodes: HyphaeProcess[] = [];
  const launch = (i: number): HyphaeProcess => {
    const broadcast = PLAN[i - 1].map((s) => network.broadcast(s)).join(",");
    return new HyphaeProcess(`node${i}`, [
      "--provisioning", files[i - 1], "--state", join(dir, `state${i}`), "--broadcast", broadcast,
      "--drop", "0.1", "--seed", String(i), "--beacon-ms", BEACON_MS, "--publish-every", PUBLISH_MS,
      ...(i === 1 || i === 3 ? ["--reading-every", PUBLISH_MS] : []),
    ], network.exec(i));
  };
  try {
    network.build();
    for (let i = 1; i <= PLAN.length; i++) nodes.push(launch(i));
    const ids = (await Promise.all(nodes.map((n) => n.waitFor("started", () => true, WAIT_MS, "start")))).map((s) => s.id);
    const id = (i: number) => ids[i - 1];
    const [n1, , n3, , n5] = nodes;

    // Neighbors: exactly the nodes sharing a subnet.
    const expected: number[][] = [[2, 3], [1, 3], [1, 2, 4, 5], [3, 5], [3, 4]];
    await Promise.all(expected.flatMap((peers, k) =>
      peers.map((j) => nodes[k].waitFor("neighbor-up", (e) => e.id === id(j), WAIT_MS, `neighbor node${j}`))));
    const tFormed = Date.now() - t0;

    // Readings cross node 3 both ways.
    const to5 = await n5.waitFor("message", (e) => e.origin === id(1), RELAYED_WAIT_MS, "a reading from node1");
    const to1 = await n1.waitFor("message", (e) => e.origin === id(5), RELAYED_WAIT_MS, "a reading from node5");
    assert.ok(to5.hops >= 2 && to1.hops >= 2, `hops ${to5.hops}, ${to1.hops}`);
    assert.ok(n3.of("relayed").some((e) => e.origin === id(1)), "node3 relayed node1's readings");
    assert.ok(n3.of("relayed").some((e) => e.origin === id(5)), "node3 relayed node5's readings");
    const tDelivered = Date.now() - t0;

    // Node 3 crashes (SIGKILL by PID) once both subnets have its readings ...
    await n1.waitFor("message", (e) => e.origin === id(3), WAIT_MS, "a reading from node3");
    await n5.waitFor("message", (e) => e.origin === id(3), WAIT_MS, "a reading from node3");
    const seqsBefore = n3.of("published").map((e) => e.seq);
    const down = [n1, n5].map((n) => n.events.length);
    assert.is(await n3.stop("SIGKILL"), "SIGKILL");
    await Promise.all([n1, n5].map((n, k) =>
      n.waitFor("neighbor-down", (e) => e.id === id(3), WAIT_MS, "node3 declared down", down[k])));

    // ... and restarts on the same state directory.
    const [mark1, mark5] = [n1.events.length, n5.events.length];
    const n3b = launch(3);
    nodes[2] = n3b;
    const restarted = await n3b.waitFor("started", () => true, WAIT_MS, "restart");
    assert.is(restarted.id, id(3), "same identity");
    await n1.waitFor("neighbor-up", (e) => e.id === id(3), WAIT_MS, "node3 back", mark1);
    await n5.waitFor("neighbor-up", (e) => e.id === id(3), WAIT_MS, "node3 back", mark5);
    const after1 = await n5.waitFor("message", (e) => e.origin === id(1), RELAYED_WAIT_MS, "node1's reading after the restart", mark5);
    await n1.waitFor("message", (e) => e.origin === id(5), RELAYED_WAIT_MS, "node5's reading after the restart", mark1);
    const heard3 = await n5.waitFor("message", (e) => e.origin === id(3), WAIT_MS, "node3's reading after the restart", mark5);
    const seqsAfter = n3b.of("published").map((e) => e.seq);
    assert.ok(Math.min(...seqsAfter) > Math.max(...seqsBefore), `node3 seqs ${seqsBefore} then ${seqsAfter}`);
    assert.ok(heard3.seq > Math.max(...seqsBefore), `node5 heard node3's new seq ${heard3.seq}`);
    assert.ok(after1.hops >= 2);
    const tRestored = Date.now() - t0;

    // Sensor readings of nodes 1 and 3 reached the gateway (node 5) exactly once, in order, node 3's
    // across its crash (the unconfirmed ones were kept in its state directory and sent again).
    const lastTaken3 = Math.max(...n3b.of("reading-taken").map((e) => e.seq), 0);
    await n5.waitFor("reading", (e) => e.origin === id(3) && e.seq >= lastTaken3, WAIT_MS, "node3's readings after the restart");
    await n5.waitFor("reading", (e) => e.origin === id(1) && e.seq >= 3, READINGS_WAIT_MS, "three of node1's readings");
    for (const k of [1, 3]) {
      const got = n5.of("reading").filter((e) => e.origin === id(k)).map((e) => e.seq);
      assert.ok(got.length >= 3, `node${k}: ${got.length} readings at the gateway`);
      assert.equal(got, got.map((_, j) => j + 1), `node${k}: readings 1..${got.length}, each once, in order`);
    }

    // Only nodes sharing a subnet ever became neighbors.
    nodes.forEach((n, k) => {
      const strangers = n.of("neighbor-up").map((e) => ids.indexOf(e.id) + 1).filter((j) => !expected[k].includes(j));
      assert.equal(strangers, [], n.name);
    });

    // A clean stop, no errors, and about a tenth of all datagrams dropped on receipt.
    assert.equal(new Set(await Promise.all(nodes.map((n) => n.stop("SIGTERM")))), new Set([0]));
    let received = 0;
    let dropped = 0;
    for (const n of nodes) {
      const stopped = n.of("stopped")[0];
      assert.ok(stopped, `${n.name} reported its counters`);
      received += stopped.counters.datagramsIn;
      dropped += stopped.counters.injectedDrops;
      assert.equal(n.of("error"), [], n.name);
    }
    assert.ok(received > 100 && dropped > 0.03 * received && dropped < 0.2 * received, `${dropped} of ${received} dropped`);
    console.log(`  udp-netns: neighbors ${tFormed} ms, 1⇄5 ${tDelivered} ms, restored after restart ${tRestored} ms, total ${Date.now() - t0} ms`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    network.delete();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
