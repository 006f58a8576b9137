/**
 * UdpLink on loopback only (127.0.0.x): "broadcast" to an address list, unicast back to a sender,
 * explicit destination ports, seeded injected loss, and errors reported instead of thrown.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { UdpLink, UdpPeer, type UdpLinkOptions } from "../hosts/node/udp-link.js";
import { Rng } from "../hosts/sim/rng.js";

interface Heard {
  bytes: number[];
  from: string;
}

interface Probe {
  link: UdpLink;
  heard: Heard[];
  peers: UdpPeer[];
  errors: string[];
}

async function probe(options: Omit<UdpLinkOptions, "onFrame" | "onError">): Promise<Probe> {
  const p = { heard: [], peers: [], errors: [] } as unknown as Probe;
  p.link = await UdpLink.open({
    ...options,
    onFrame: (bytes, from) => {
      p.heard.push({ bytes: [...bytes], from: String(from) });
      p.peers.push(from);
    },
    onError: (message) => p.errors.push(message),
  });
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !done(); await sleep(5)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

const BROADCAST = [{ address: "127.0.0.2" }, { address: "127.0.0.3" }];

test("broadcast reaches every listed address on the mesh port, unicast only the sender it came from", async () => {
  const a = await probe({ port: 0, bind: "127.0.0.2", broadcast: BROADCAST });
  const port = a.link.local.port;
  const b = await probe({ port, bind: "127.0.0.3", broadcast: BROADCAST });
  try {
    assert.equal(a.link.broadcastTargets, [`127.0.0.2:${port}`, `127.0.0.3:${port}`]);
    a.link.send(new Uint8Array([1, 2, 3]), null);
    await until(() => a.heard.length === 1 && b.heard.length === 1, "the broadcast");
    assert.equal(b.heard[0], { bytes: [1, 2, 3], from: `127.0.0.2:${port}` });
    assert.equal(a.heard[0], { bytes: [1, 2, 3], from: `127.0.0.2:${port}` }, "a sender hears its own broadcast");

    b.link.send(new Uint8Array([4]), b.peers[0]);
    await until(() => a.heard.length === 2, "the unicast reply");
    assert.equal(a.heard[1], { bytes: [4], from: `127.0.0.3:${port}` });
    await sleep(50);
    assert.is(b.heard.length, 1, "unicast goes to the sender only");
    assert.equal([a.errors, b.errors], [[], []]);
  } finally {
    await a.link.close();
    await b.link.close();
  }
});

test("a destination with its own port (several nodes on one address)", async () => {
  const a = await probe({ port: 0, bind: "127.0.0.1", broadcast: [] });
  const c = await probe({ port: 0, bind: "127.0.0.1", broadcast: [{ address: "127.0.0.1", port: a.link.local.port }] });
  try {
    c.link.send(new Uint8Array([5]), null);
    await until(() => a.heard.length === 1, "the frame");
    assert.equal(a.heard[0], { bytes: [5], from: `127.0.0.1:${c.link.local.port}` });
    assert.is(c.heard.length, 0);
  } finally {
    await a.link.close();
    await c.link.close();
  }
});

/** Sends `n` numbered frames from a fresh sender to `p`; returns the numbers `p` delivered. */
async function delivered(p: Probe, n: number): Promise<number[]> {
  const sender = await probe({ port: 0, bind: "127.0.0.1", broadcast: [{ address: "127.0.0.1", port: p.link.local.port }] });
  try {
    for (let i = 0; i < n; i++) sender.link.send(new Uint8Array([i]), null);
    await until(() => p.link.counters.datagramsIn === n, `${n} datagrams`);
    return p.heard.map((h) => h.bytes[0]);
  } finally {
    await sender.link.close();
  }
}

test("injected receive loss: probability 1 drops all, 0.5 about half, the same seed drops the same frames", async () => {
  const all = await probe({ port: 0, bind: "127.0.0.1", broadcast: [], dropProbability: 1, dropRandom: new Rng(1) });
  const half = [
    await probe({ port: 0, bind: "127.0.0.1", broadcast: [], dropProbability: 0.5, dropRandom: new Rng(7) }),
    await probe({ port: 0, bind: "127.0.0.1", broadcast: [], dropProbability: 0.5, dropRandom: new Rng(7) }),
  ];
  try {
    assert.equal(await delivered(all, 20), []);
    assert.equal(all.link.counters, { datagramsIn: 20, injectedDrops: 20, sendErrors: 0 });
    const kept = [await delivered(half[0], 200), await delivered(half[1], 200)];
    assert.ok(kept[0].length > 60 && kept[0].length < 140, `${kept[0].length} of 200 kept`);
    assert.equal(kept[0], kept[1]);
    assert.is(half[0].link.counters.injectedDrops, 200 - kept[0].length);
  } finally {
    for (const p of [all, ...half]) await p.link.close();
  }
});

test("socket errors are reported, never thrown, and the link keeps working", async () => {
  const a = await probe({ port: 0, bind: "127.0.0.1", broadcast: [] });
  const b = await probe({ port: 0, bind: "127.0.0.1", broadcast: [{ address: "127.0.0.1", port: a.link.local.port }] });
  try {
    b.link.send(new Uint8Array(70_000), null); // larger than any UDP datagram
    b.link.send(new Uint8Array([1]), { address: "127.0.0.1", port: a.link.local.port }); // not a UdpPeer
    await until(() => b.errors.length === 2, "two errors");
    assert.ok(b.errors.some((m) => /^send to 127\.0\.0\.1:\d+: .*EMSGSIZE/.test(m)), b.errors.join("\n"));
    assert.ok(b.errors.some((m) => /unicast target is not a UDP sender/.test(m)), b.errors.join("\n"));
    assert.is(b.link.counters.sendErrors, 1);
    b.link.send(new Uint8Array([6]), null);
    await until(() => a.heard.length === 1, "a frame after the errors");
    await b.link.close();
    b.link.send(new Uint8Array([7]), null); // after close: ignored
    await sleep(30);
    assert.is(a.heard.length, 1);
  } finally {
    await a.link.close();
    await b.link.close();
  }
});

test("open refuses bad options and reports an address it cannot bind", async () => {
  const base = { port: 0, broadcast: [], onFrame: () => {}, onError: () => {} };
  await UdpLink.open({ ...base, dropProbability: 2 }).then(() => assert.unreachable(), (e: Error) => assert.instance(e, RangeError));
  await UdpLink.open({ ...base, dropProbability: 0.5 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /needs a dropRandom/));
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address; binding sends nothing.
  await UdpLink.open({ ...base, bind: "192.0.2.1" }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /^cannot bind UDP 192\.0\.2\.1:0: .*EADDRNOTAVAIL/),
  );
});

test.run();
