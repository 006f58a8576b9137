/**
 * The gateway's MQTT client (hosts/node/mqtt-client.ts) against a real Mosquitto on a loopback port:
 * publish/subscribe round trips at QoS 0 and 1 with the retain flag, the last will, reconnecting
 * after the broker restarts, and a frozen broker detected by the keepalive. The reconnect delays are
 * checked as a table. Skipped (one line) when mosquitto is not installed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_RECONNECT, MqttClient, type MqttEvent, reconnectDelayMs } from "../hosts/node/mqtt-client.js";
import { freeTcpPort, MosquittoBroker, mosquittoMissing, Subscriber } from "./helpers/mosquitto.js";

const skip = mosquittoMissing();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, ready: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A client whose events and messages are recorded. */
function client(port: number, clientId: string, extra: Partial<ConstructorParameters<typeof MqttClient>[0]> = {}) {
  const events: MqttEvent[] = [];
  const messages: { topic: string; payload: string }[] = [];
  const c = new MqttClient({
    host: "127.0.0.1", port, clientId, keepaliveSeconds: 10, reconnect: { minMs: 100, maxMs: 400 },
    onEvent: (e) => events.push(e),
    onMessage: (topic, payload) => messages.push({ topic, payload: payload.toString() }),
    ...extra,
  });
  return { c, events, messages, connects: () => events.filter((e) => e.type === "mqtt-connected").length };
}

test("reconnect delays: capped exponential ceiling, drawn from its upper half", () => {
  const policy = { minMs: 500, maxMs: 30_000 };
  const rows: [number, number, number][] = [
    // attempt, random, delay
    [0, 0, 250], [0, 0.999, 499], [1, 0, 500], [2, 0.5, 1500], [5, 0, 8000], [6, 0, 15_000],
    [6, 0.999, 29_985], [7, 0, 15_000], [50, 0.5, 22_500], [1000, 0, 15_000],
  ];
  for (const [attempt, random, delay] of rows) assert.is(reconnectDelayMs(attempt, policy, random), delay, `attempt ${attempt}, random ${random}`);
  assert.equal(DEFAULT_RECONNECT, policy);
});

test("publish and subscribe round trip, QoS 0 and 1, retained, and the last will", async () => {
  if (skip) return console.log(`  mqtt-client: skipped (${skip})`);
  const broker = new MosquittoBroker(await freeTcpPort());
  const sub = client(broker.port, "test-sub");
  const pub = client(broker.port, "test-pub", { will: { topic: "t/will", payload: "gone", qos: 1, retain: true } });
  let watcher: Subscriber | undefined;
  try {
    await broker.start();
    assert.is(await pub.c.publish("t/early", "x", 1, false), false, "not connected yet: not sent");
    sub.c.subscribe("t/#", 1);
    sub.c.start();
    pub.c.start();
    await until("connections", 5000, () => sub.connects() === 1 && pub.connects() === 1);
    await sleep(100); // the SUBACK
    assert.is(await pub.c.publish("t/zero", "0", 0, false), true);
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => pub.c.publish("t/one", String(i), 1, false)));
    assert.equal(acks, Array(20).fill(true), "every QoS 1 publish acknowledged");
    assert.is(await pub.c.publish("t/kept", "last", 1, true), true);
    await until("messages", 5000, () => sub.messages.length >= 22);
    assert.equal(sub.messages.filter((m) => m.topic === "t/one").map((m) => m.payload), Array.from({ length: 20 }, (_, i) => String(i)), "in order");
    assert.ok(sub.messages.some((m) => m.topic === "t/zero" && m.payload === "0"));

    // A retained message reaches a later subscriber; an abrupt end of the publisher's connection
    // (not a DISCONNECT) makes the broker publish its will.
    watcher = new Subscriber(broker.port, ["t/kept", "t/will"], "test-watcher");
    await watcher.waitFor("the retained message", 5000, (m) => m.some((x) => x.topic === "t/kept" && x.payload === "last" && x.retained));
    (pub.c as unknown as { socket: { destroy(): void } }).socket.destroy();
    await watcher.waitFor("the will", 5000, (m) => m.some((x) => x.topic === "t/will" && x.payload === "gone"));
    assert.ok(pub.events.some((e) => e.type === "mqtt-disconnected"), "the loss is reported");
    await until("the publisher back", 5000, () => pub.connects() === 2);
    assert.equal(pub.events.filter((e) => e.type === "mqtt-error"), []);
  } finally {
    await Promise.all([sub.c.stop(), pub.c.stop(), watcher?.stop()]);
    await broker.dispose();
  }
});

test("reconnects after the broker restarts, subscriptions made again; in-flight publishes resolve false", async () => {
  if (skip) return;
  const broker = new MosquittoBroker(await freeTcpPort());
  const sub = client(broker.port, "test-sub2");
  const pub = client(broker.port, "test-pub2");
  try {
    await broker.start();
    sub.c.subscribe("r/#", 1);
    sub.c.start();
    pub.c.start();
    await until("connections", 5000, () => sub.connects() === 1 && pub.connects() === 1);
    broker.signal("SIGSTOP");
    const stuck = pub.c.publish("r/x", "stuck", 1, false); // no PUBACK from a frozen broker
    await sleep(100);
    await broker.stop("SIGKILL"); // dies without reading it
    assert.is(await stuck, false, "lost with the connection");
    await until("both disconnected", 5000, () => [sub, pub].every((x) => x.events.some((e) => e.type === "mqtt-disconnected")));
    assert.is(pub.c.isConnected, false);
    assert.is(await pub.c.publish("r/x", "while down", 1, false), false);
    await sleep(800); // several failed attempts while it is down
    await broker.start();
    await until("reconnections", 5000, () => sub.connects() === 2 && pub.connects() === 2);
    await sleep(100);
    assert.is(await pub.c.publish("r/x", "after", 1, false), true);
    await until("the message after the restart", 5000, () => sub.messages.some((m) => m.payload === "after"));
    const downs = pub.events.filter((e) => e.type === "mqtt-disconnected");
    assert.ok(downs.length >= 2, `retried while down: ${JSON.stringify(downs)}`);
    assert.ok(downs.every((e) => e.type === "mqtt-disconnected" && e.retryInMs >= 50 && e.retryInMs < 400), JSON.stringify(downs));
  } finally {
    await Promise.all([sub.c.stop(), pub.c.stop()]);
    await broker.dispose();
  }
});

test("a frozen broker is detected by the keepalive and the client reconnects when it thaws", async () => {
  if (skip) return;
  const broker = new MosquittoBroker(await freeTcpPort());
  const c = client(broker.port, "test-keepalive", { keepaliveSeconds: 1 });
  try {
    await broker.start();
    c.c.start();
    await until("connection", 5000, () => c.connects() === 1);
    await sleep(2500);
    assert.is(c.events.length, 1, "PINGREQ/PINGRESP keep an idle connection up");
    broker.signal("SIGSTOP");
    const frozenAt = Date.now();
    await until("dead-connection detection", 5000, () => c.events.some((e) => e.type === "mqtt-disconnected"));
    const down = c.events.find((e) => e.type === "mqtt-disconnected")!;
    assert.match((down as { reason: string }).reason, /no packet from the broker/);
    assert.ok(Date.now() - frozenAt < 2600, `detected after ${Date.now() - frozenAt} ms`);
    broker.signal("SIGCONT");
    await until("reconnection", 8000, () => c.connects() === 2);
  } finally {
    await c.c.stop();
    await broker.dispose();
  }
});

test.run();
