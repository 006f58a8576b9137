/**
 * The gateway's durable outbox (hosts/node/reading-outbox.ts) and its MQTT names and payloads
 * (hosts/node/mqtt-topics.ts): order per origin, acks, reopening after a crash (torn last line),
 * compaction, the cap and its drop-oldest rule; topic escaping and the discovery config.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayTopics, isTopicPrefix, networkHex, readingPayload, topicSegment } from "../hosts/node/mqtt-topics.js";
import { type OutboxReading, ReadingOutbox } from "../hosts/node/reading-outbox.js";

const dir = mkdtempSync(join(tmpdir(), "hyphae-outbox-"));
let files = 0;
const fresh = () => join(dir, `outbox${++files}.jsonl`);
const reading = (origin: string, seq: number, value = seq / 10): OutboxReading =>
  ({ origin, seq, sensor: "load", value, time: 1_700_000_000 + seq, verified: seq % 2 === 0 });
const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter(Boolean).length;

test("readings wait per origin in order, leave on ack, and survive reopening", () => {
  const path = fresh();
  const { outbox } = ReadingOutbox.open(path, 100);
  const ids = [reading("a", 1), reading("b", 1), reading("a", 2), reading("a", 3)].map((r) => outbox.add(r)!.entry.id);
  assert.equal(ids, [1, 2, 3, 4]);
  assert.equal([...outbox.origins()], ["a", "b"]);
  assert.is(outbox.firstOf("a")!.reading.seq, 1);
  outbox.ack(1);
  outbox.ack(1); // twice: no-op
  assert.is(outbox.firstOf("a")!.reading.seq, 2);
  outbox.ack(2);
  assert.is(outbox.firstOf("b"), undefined);
  assert.equal([...outbox.origins()], ["a"]);
  outbox.close();
  // A crash in mid-write leaves a torn last line: skipped, the rest kept, the file rewritten clean.
  appendFileSync(path, '{"add":9,"r":{"orig');
  const again = ReadingOutbox.open(path, 100).outbox;
  assert.is(again.skippedLines, 1);
  assert.is(again.size, 2);
  assert.equal([again.firstOf("a")!.id, again.firstOf("a")!.reading], [3, reading("a", 2)]);
  assert.is(lines(path), 4, "compacted: a mark per origin and the live entries");
  assert.is(again.add(reading("c", 1))!.entry.id, 5, "ids keep increasing");
  again.close();
});

test("a reading at or below its origin's last seq is refused as a repeat, also after acks, rewrites and a reopen", () => {
  const path = fresh();
  const { outbox } = ReadingOutbox.open(path, 100, 4);
  for (let seq = 1; seq <= 6; seq++) outbox.ack(outbox.add(reading("a", seq))!.entry.id); // compacted on the way
  outbox.add(reading("b", 3));
  assert.is(outbox.add(reading("a", 6)), null);
  assert.is(outbox.add(reading("a", 2)), null);
  assert.is(outbox.add(reading("b", 3)), null);
  outbox.close();
  const reopened = ReadingOutbox.open(path, 100).outbox;
  assert.is(reopened.add(reading("a", 6)), null, "the mark survived the rewrite");
  assert.is(reopened.add(reading("b", 2)), null);
  assert.is(reopened.add(reading("a", 7))!.entry.reading.seq, 7);
  reopened.close();
});

test("the cap drops the oldest reading, also across a reopen and a smaller cap", () => {
  const path = fresh();
  const { outbox } = ReadingOutbox.open(path, 3);
  for (let seq = 1; seq <= 3; seq++) assert.is(outbox.add(reading("a", seq))!.dropped, null);
  const { dropped } = outbox.add(reading("b", 1))!;
  assert.equal(dropped?.reading, reading("a", 1));
  outbox.ack(dropped!.id); // the dropped one was in flight: its late PUBACK changes nothing
  assert.is(outbox.size, 3);
  outbox.ack(3); // a2 stays, a3 acknowledged
  outbox.close();
  const reopened = ReadingOutbox.open(path, 3).outbox;
  assert.equal([reopened.firstOf("a")!.reading.seq, reopened.size], [2, 2], "the drop was journaled: a1 does not come back");
  reopened.close();
  const smaller = ReadingOutbox.open(path, 1);
  assert.equal(smaller.dropped.map((e) => e.reading), [reading("a", 2)]);
  assert.equal(smaller.outbox.firstOf("b")!.reading, reading("b", 1));
  smaller.outbox.close();
});

test("the journal is compacted once acknowledged lines dominate, and stays bounded while the broker is down", () => {
  const path = fresh();
  const { outbox } = ReadingOutbox.open(path, 10, 40);
  for (let seq = 1; seq <= 150; seq++) outbox.ack(outbox.add(reading("a", seq))!.entry.id);
  assert.ok(lines(path) <= 41, `${lines(path)} lines after 150 adds and acks`);
  for (let seq = 151; seq <= 400; seq++) outbox.add(reading("a", seq)); // nothing acknowledged: drops
  assert.is(outbox.size, 10);
  assert.ok(lines(path) <= 41 + 2, `${lines(path)} lines while full`);
  outbox.close();
  const reopened = ReadingOutbox.open(path, 10).outbox;
  assert.equal([reopened.size, reopened.firstOf("a")!.reading.seq], [10, 391]);
  reopened.close();
});

test("topics escape sensor names; payloads and discovery follow the documented schema", () => {
  assert.is(networkHex(0xbeef), "0000beef");
  assert.is(topicSegment("soil_moisture-2.5"), "soil_moisture-2.5");
  assert.is(topicSegment("a/b+#c d%"), "a%2Fb%2B%23c%20d%25");
  assert.ok(isTopicPrefix("hyphae") && isTopicPrefix("site/hyphae"));
  for (const bad of ["", "a/+", "#", "a//b", "/a", "a/"]) assert.not.ok(isTopicPrefix(bad), bad);
  const topics = new GatewayTopics("hyphae", "homeassistant", "0000beef");
  const node = "0123456789abcdef";
  const gateway = "fedcba9876543210";
  assert.is(topics.reading(node, "a/b"), `hyphae/0000beef/${node}/a%2Fb`);
  assert.is(topics.status(node), `hyphae/0000beef/${node}/status`);
  assert.is(topics.commandFilter, "hyphae/0000beef/+/set/#");
  assert.equal(topics.command(`hyphae/0000beef/${node}/set/led`), { node, path: "led" });
  assert.equal(topics.command(`hyphae/0000beef/${node}/set/light/level`), { node, path: "light/level" });
  assert.equal(topics.command(`hyphae/0000beef/${node}/set`), { node, path: "" }, "the filter's # matches set itself");
  for (const other of [`hyphae/0000beef/${node}/load`, `hyphae/0000beef/${node}/settings/x`, `hyphae/0000beef/${node}`, `site/0000beef/${node}/set/led`]) {
    assert.is(topics.command(other), null, other);
  }
  assert.is(topics.discovery(node, "a/b.c"), `homeassistant/sensor/hyphae_0000beef_${node}_a_2Fb_c/config`);
  assert.equal(JSON.parse(readingPayload({ origin: node, seq: 7, sensor: "temperature", value: 21.5, time: 1_700_000_000, verified: true })),
    { value: 21.5, unit: "°C", time: 1_700_000_000, seq: 7, verified: true });
  assert.is(JSON.parse(readingPayload(reading(node, 1))).unit, null, "unknown unit: null");
  const config = JSON.parse(topics.discoveryConfig(node, "temperature", gateway));
  assert.equal(config, {
    name: "temperature", unique_id: `hyphae_0000beef_${node}_temperature`, state_topic: `hyphae/0000beef/${node}/temperature`,
    value_template: "{{ value_json.value }}", json_attributes_topic: `hyphae/0000beef/${node}/temperature`, state_class: "measurement",
    device: { identifiers: [`hyphae_0000beef_${node}`], name: `Hyphae ${node}`, manufacturer: "Hyphae", model: "mesh node", via_device: `hyphae_0000beef_${gateway}` },
    unit_of_measurement: "°C",
  });
  assert.not.ok("unit_of_measurement" in JSON.parse(topics.discoveryConfig(node, "load", gateway)));
  assert.not.ok("via_device" in JSON.parse(topics.discoveryConfig(gateway, "load", gateway)).device, "the gateway's own sensors");
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
