/**
 * The monitor page in real headless Chromium: served by MonitorServer from a MeshView, it draws one
 * circle per node and a row per node, shows anomaly events, and redraws live when a status arrives.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { MeshView, type NodeStatus } from "../tools/monitor-view.js";
import { MonitorServer } from "../tools/monitor-server.js";
import { artifactPath, chromiumMissing, launchChromium } from "./helpers/browser.js";

const NETWORK = "48590001";
const id = (i: number): string => (0xa0 + i).toString(16).padStart(16, "0");

function status(i: number, neighbors: number[], anomalies = 0, seq = 1): NodeStatus {
  return {
    role: i === 0 ? "gateway" : undefined, lastSeq: 10 + i, lastHeard: 1_800_000_000,
    report: {
      seq, at: 1_800_000_000, gateway: i === 0, anomalies, uptimeSeconds: 600 + i, framesIn: 1000 + i, framesOut: 900, messagesNew: 50,
      relays: 40, drops: 3, authFailures: 0, rateLimited: 0, neighborCount: neighbors.length, certificates: neighbors.length, custody: 0,
      routes: 1, unconfirmedReadings: 0, firmwareVersion: 3, configVersion: 0, transferVersion: 0, transferHeld: 0, transferTotal: 0, neighbors: neighbors.map((n) => ({ id: id(n), reception: 0.9, score: n === 3 ? -12 : 2 })),
    },
  };
}

test("the view: links from reports, the lowest score a neighbor gives, anomaly events once per report", () => {
  const view = new MeshView();
  view.update(NETWORK, id(0), status(0, [1, 3]), 1);
  view.update(NETWORK, id(1), status(1, [0, 3], 0b100, 7), 2);
  assert.not.ok(view.update(NETWORK, id(1), status(1, [0, 3], 0b100, 7), 3), "a repeated status changes nothing");
  const s = view.snapshot();
  assert.equal(s.nodes.map((n) => n.id), [id(0), id(1)]);
  assert.is(s.nodes[0].gateway, true);
  assert.is(s.links.length, 4);
  assert.equal(s.events, [{ at: 1_800_000_000, node: id(1), kind: "neighbor-churn" }]);
  assert.is(s.nodes.find((n) => n.id === id(1))!.lowestScore, 2);
});

test("the monitor page in headless Chromium: a circle per node, live updates, no console errors", async () => {
  const skip = chromiumMissing();
  if (skip) return console.log(skip);
  const view = new MeshView();
  const mesh = [[1, 2], [0, 2, 3], [0, 1, 4], [1, 4], [2, 3]];
  mesh.forEach((neighbors, i) => view.update(NETWORK, id(i), status(i, neighbors), 1));
  const server = new MonitorServer(view, "Hyphae mesh 48590001");
  const { port } = await server.listen(0, "127.0.0.1");
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    page.on("pageerror", (e) => void errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction("document.querySelectorAll('svg#mesh circle').length === 5");
    assert.is(await page.locator("svg#mesh circle.gateway").count(), 1);
    assert.is(await page.locator("#nodes tbody tr").count(), 5);
    assert.match(await page.locator("#nodes tbody tr").first().innerText(), /\bv3\b/, "the installed firmware version");
    assert.is(await page.locator("svg#mesh line.link").count(), 6, "one line per neighbor pair");

    // A sixth node reports, with a neighbor churn anomaly: the open page redraws by itself.
    view.update(NETWORK, id(5), status(5, [4], 0b100, 3), 2);
    server.changed();
    await page.waitForFunction("document.querySelectorAll('svg#mesh circle').length === 6", undefined, { timeout: 5000 });
    assert.is(await page.locator("svg#mesh circle.anomaly").count(), 1);
    assert.match(await page.locator("#events").innerText(), /neighbor-churn/);
    const shot = artifactPath("monitor-page.png");
    await page.screenshot({ path: shot });
    const png = readFileSync(shot);
    assert.ok(png.length > 1000 && png.subarray(1, 4).toString() === "PNG", `screenshot at ${shot}`);
    console.log(`  monitor screenshot: ${shot}`);
    assert.equal(errors, [], "no console errors");
  } finally {
    await browser.close();
    await server.close();
  }
});

test.run();
