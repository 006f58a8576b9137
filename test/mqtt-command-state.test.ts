/**
 * The MQTT bridge's command states (docs/protocol.md §MQTT gateway, Commands), in process against a
 * real Mosquitto: a `set/<path>` publish gives `sent` on `command/<path>`, the node's events give
 * `acked` or `expired`, and an older command's outcome never overwrites the state of a newer command
 * on the same path (a `mosquitto_sub` sees every publish; one subscribing later gets each path's
 * newest state, retained), also after a restart of the gateway with commands pending (the node's
 * `commands-restored`). Skipped when mosquitto is not installed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqttBridge, type GatewayEvent } from "../hosts/node/mqtt-bridge.js";
import { GatewayTopics } from "../hosts/node/mqtt-topics.js";
import { ReadingOutbox } from "../hosts/node/reading-outbox.js";
import { freeTcpPort, MosquittoBroker, mosquittoMissing, Subscriber } from "./helpers/mosquitto.js";

const skip = mosquittoMissing();
const WAIT_MS = 10_000;
const GATEWAY = "00000000000000aa";
const NODE = "00000000000000bb";

test("command states: sent, then acked or expired; an older command's outcome leaves a newer one's state", async () => {
  if (skip) return console.log(`  mqtt-command-state: skipped (${skip})`);
  const dir = mkdtempSync(join(tmpdir(), "hyphae-command-state-"));
  const broker = new MosquittoBroker(await freeTcpPort());
  let subscriber: Subscriber | undefined;
  let late: Subscriber | undefined;
  let bridge: MqttBridge | undefined;
  try {
    await broker.start();
    subscriber = new Subscriber(broker.port, ["hy/+/+/command/#"], `hy-state-${process.pid}`);
    const events: GatewayEvent[] = [];
    let seq = 10;
    const options = (events: GatewayEvent[]) => ({
      mqtt: { host: "127.0.0.1", port: broker.port, clientId: `hy-bridge-${process.pid}`, keepaliveSeconds: 5 },
      outbox: ReadingOutbox.open(join(dir, "outbox.jsonl"), 10).outbox,
      topics: new GatewayTopics("hy", "ha", "00000001"),
      gatewayId: GATEWAY,
      health: () => ({ neighbors: 0, certificates: 0, replayWindows: 0, seen: 0, recent: 0, pendingRelays: 0, routes: 0, nodeRoutes: 0,
        custody: 0, unconfirmedReadings: 0, outbox: 0, events: 0 }),
      mayCommand: true,
      sendCommand: () => (seq += 2),
      statusEveryMs: 60_000,
      onEvent: (e: GatewayEvent) => void events.push(e),
    });
    bridge = new MqttBridge(options(events));
    bridge.start();
    const until = async (what: string, done: () => boolean) => {
      for (const t0 = Date.now(); !done(); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > WAIT_MS) throw new Error(`timed out waiting for ${what}`);
      }
    };
    await until("the connection", () => events.some((e) => e.type === "mqtt-connected"));
    await new Promise((r) => setTimeout(r, 300)); // the subscriber and the bridge's subscription in place
    const set = (path: string, value: string) => broker.publish(`hy/00000001/${NODE}/set/${path}`, value);
    set("led", "on");
    await until("the first command", () => events.filter((e) => e.type === "command-sent").length === 1);
    set("led", "off");
    set("fan", "3");
    await until("three commands", () => events.filter((e) => e.type === "command-sent").length === 3);
    // led 12 was acked and led 14 (sent after it) expired; fan 16 acked.
    bridge.handle({ type: "command-acked", target: NODE, seq: 16, path: "fan", resends: 0, ms: 40 });
    bridge.handle({ type: "command-expired", target: NODE, seq: 14, path: "led", resends: 7, reason: "timeout" });
    bridge.handle({ type: "command-acked", target: NODE, seq: 12, path: "led", resends: 2, ms: 90_000 });
    const states = (path: string) => subscriber!.messages.filter((m) => m.topic === `hy/00000001/${NODE}/command/${path}`)
      .map((m) => JSON.parse(m.payload));
    await subscriber.waitFor("the states", WAIT_MS, () => states("fan").length === 2 && states("led").length === 3);
    await new Promise((r) => setTimeout(r, 300)); // led 12's outcome, if published, would come right behind
    assert.equal(states("led").map((s) => [s.seq, s.state]), [[12, "sent"], [14, "sent"], [14, "expired"]],
      "led 12's ack came after led 14 was sent: not shown");
    assert.equal(states("led")[2].reason, "timeout");
    assert.equal(states("fan").map((s) => [s.seq, s.state, s.resends, s.ms]), [[16, "sent", undefined, undefined], [16, "acked", 0, 40]]);
    assert.ok(states("fan").every((s) => typeof s.time === "number"));
    // Retained: a dashboard that subscribes later sees each path's newest state.
    late = new Subscriber(broker.port, ["hy/+/+/command/#"], `hy-state-late-${process.pid}`);
    await late.waitFor("the retained states", WAIT_MS, (m) => m.length === 2);
    assert.equal(late.messages.map((m) => [m.retained, m.topic.split("/").at(-1), JSON.parse(m.payload).seq, JSON.parse(m.payload).state]).sort(),
      [[true, "fan", 16, "acked"], [true, "led", 14, "expired"]]);
    // The gateway restarts with led 18 in flight and led 20 behind it (`sent` shown for 20, retained):
    // after the restart, 18's outcome is not shown over 20's, and 20's is.
    set("led", "dim");
    set("led", "off");
    await until("two more commands", () => events.filter((e) => e.type === "command-sent").length === 5);
    await subscriber.waitFor("their states", WAIT_MS, () => states("led").length === 5);
    await bridge.stop();
    bridge = new MqttBridge(options(events));
    bridge.start();
    await until("the reconnection", () => events.filter((e) => e.type === "mqtt-connected").length === 2);
    bridge.handle({ type: "commands-restored", commands: [{ target: NODE, seq: 18, path: "led" }, { target: NODE, seq: 20, path: "led" }], unreadable: 0 });
    bridge.handle({ type: "command-acked", target: NODE, seq: 18, path: "led", resends: 1, ms: 50_000 });
    bridge.handle({ type: "command-acked", target: NODE, seq: 20, path: "led", resends: 0, ms: 50_100 });
    await subscriber.waitFor("20 acked", WAIT_MS, () => states("led").length === 6);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(states("led").slice(3).map((s) => [s.seq, s.state]), [[18, "sent"], [20, "sent"], [20, "acked"]]);
  } finally {
    await bridge?.stop();
    await subscriber?.stop();
    await late?.stop();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
