/**
 * Wire interop between engines: half the nodes of one mesh run on Node (node:crypto), half inside one
 * XS VM (the board's crypto), joined by the simulator's radio through an async pump. On a line that
 * alternates engines, every link and every relay crosses between them. Commands cross too: one
 * signed in Node and checked in XS, one signed in XS and checked in Node.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { ascii, toHex } from "../modules/bytes.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { provisioningToText } from "../modules/provisioning.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { Role } from "../modules/identity/certificate.js";
import { meshKeysFor, provisionMesh, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { lineLayout } from "../hosts/sim/topology.js";
import { bundleForXs, startXsWorker } from "../tools/xs/xs-worker.js";
import { EnginePump } from "./xs/engine-pump.js";
import { NodePool, type NodeState, type StepOutput } from "./xs/node-pool.js";
import type { PoolRequest } from "./xs/pool-entry.js";

const ENTRY = fileURLToPath(new URL("./xs/pool-entry.js", import.meta.url));
const SEED = 21;
const N = 8;
const END_MS = 45_000;
const IN_NODE = [0, 2, 4, 6];
const IN_XS = [1, 3, 5, 7];

const reading = (i: number): Uint8Array => ascii(`reading from node ${i}`);

test("nodes in Node and in XS become neighbors and carry each other's messages over several hops", async () => {
  const provisioning = provisionMesh(SEED, N, new Map());
  const ids = provisioning.map((p) => toHex(nodeIdOf(nodeCrypto, p.secretKey.subarray(32))));
  const local = new NodePool(IN_NODE.map((i) => provisioning[i]), nodeCrypto, SEED);
  const worker = await startXsWorker(await bundleForXs(ENTRY), "hyphae-mixed");
  try {
    const ask = <T>(request: PoolRequest): Promise<T> => worker.request<T>(request);
    const xsIds = await ask<string[]>({ create: { provisioning: IN_XS.map((i) => provisioningToText(provisioning[i])), seed: SEED + 1 } });
    assert.equal(xsIds, IN_XS.map((i) => ids[i]), "XS derives the same node ids (SHA-512)");

    const pump = new EnginePump(lineLayout(N, 100, 120), [
      { members: IN_NODE, apply: (now, steps) => local.apply(now, steps) },
      { members: IN_XS, apply: (now, steps) => ask<StepOutput[]>({ now, steps }) },
    ], SEED);
    for (let i = 0; i < N; i++) pump.publish(i, 20_000 + 1000 * i, reading(i));
    await pump.runUntil(END_MS);

    const states: NodeState[] = [];
    local.state(END_MS).forEach((s, k) => (states[IN_NODE[k]] = s));
    (await ask<NodeState[]>({ state: END_MS })).forEach((s, k) => (states[IN_XS[k]] = s));
    for (let i = 0; i < N; i++) {
      const expected = [i - 1, i + 1].filter((j) => j >= 0 && j < N).map((j) => ids[j]);
      assert.equal(states[i].neighbors.slice().sort(), expected.sort(), `node ${i}'s neighbors are its line neighbors, all in the other engine`);
      assert.equal(states[i].drops, {}, `node ${i} dropped nothing`);
      assert.is(states[i].messagesNew, N - 1, `node ${i} got every other node's reading once`);
    }

    for (let j = 0; j < N; j++) {
      for (let i = 0; i < N; i++) {
        if (i === j) continue;
        const got = pump.events.filter((e) => e.node === j && e.event.type === "message" && e.event.origin === ids[i]);
        assert.is(got.length, 1, `node ${j} got node ${i}'s reading`);
        assert.is(got[0].event.payload, toHex(reading(i)), `node ${j} got node ${i}'s bytes`);
      }
    }
    const relayers = new Set(pump.events.filter((e) => e.event.type === "relayed").map((e) => e.node));
    for (let i = 1; i < N - 1; i++) assert.ok(relayers.has(i), `inner node ${i} relayed (Node and XS alike)`);
  } finally {
    await worker.close();
  }
});

test("commands cross engines: signed in one, checked and acted on once in the other, three hops away or one", async () => {
  // Line 0 (Node) - 1 (XS) - 2 (Node) - 3 (XS); nodes 0 and 1 hold the command right.
  const keys = meshKeysFor(SEED);
  const provisioning = [0, 1, 2, 3].map((i) => provisionNode(keys, new Rng(SEED).fork(i), i < 2 ? Role.Gateway : Role.Node, i < 2));
  const ids = provisioning.map((p) => toHex(nodeIdOf(nodeCrypto, p.secretKey.subarray(32))));
  const local = new NodePool([provisioning[0], provisioning[2]], nodeCrypto, SEED);
  const worker = await startXsWorker(await bundleForXs(ENTRY), "hyphae-mixed-commands");
  try {
    const ask = <T>(request: PoolRequest): Promise<T> => worker.request<T>(request);
    await ask({ create: { provisioning: [1, 3].map((i) => provisioningToText(provisioning[i])), seed: SEED + 1 } });
    const pump = new EnginePump(lineLayout(4, 100, 120), [
      { members: [0, 2], apply: (now, steps) => local.apply(now, steps) },
      { members: [1, 3], apply: (now, steps) => ask<StepOutput[]>({ now, steps }) },
    ], SEED);
    pump.command(0, 20_000, ids[3], "led", ascii("on"));
    pump.command(1, 21_000, ids[2], "fan/speed", Uint8Array.of(3));
    await pump.runUntil(30_000);
    const commands = pump.events.filter((e) => e.event.type === "command").map((e) => [e.node, e.event.origin, e.event.path, e.event.payload]);
    assert.equal(commands, [[3, ids[0], "led", toHex(ascii("on"))], [2, ids[1], "fan/speed", "03"]]);
    const states = [...local.state(30_000), ...(await ask<NodeState[]>({ state: 30_000 }))];
    for (const s of states) assert.equal(s.drops, {}, `${s.id} dropped nothing`);
  } finally {
    await worker.close();
  }
});

test.run();
