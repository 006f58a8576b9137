/**
 * The HTML report in a real browser: `hyphae sim --html` on a small mesh, the page opened in headless
 * Chromium (Debian's /usr/bin/chromium through playwright-core; no browser download). It must load
 * with no console or page errors and no request beyond its own file, draw one circle per node, render
 * every plot, and hold the text report's figures; a screenshot is kept in build/test-artifacts/.
 * Skipped with one line when /usr/bin/chromium is missing (CI installs it).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { main } from "../tools/hyphae.js";
import { artifactPath, chromiumMissing, launchChromium } from "./helpers/browser.js";

const NODES = 24;

test("the report page renders in Chromium: one circle per node, every plot, the figures, no errors", async () => {
  const skip = chromiumMissing();
  if (skip) return console.log(`  report-page: ${skip}`);
  const dir = mkdtempSync(join(tmpdir(), "hyphae-report-"));
  const file = join(dir, "report.html");
  let stdout = "";
  const code = await main(["sim", "--nodes", String(NODES), "--minutes", "2", "--seed", "11", "--html", file],
    { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } });
  assert.is(code, 0);
  const html = readFileSync(file, "utf8");
  assert.not.match(html, /<script|<link|<img|<iframe|@import|url\(|https?:\/\//i, "the page pulls in nothing from outside");

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

    const mesh = await page.$$eval("svg[data-picture=mesh] circle", (circles) =>
      circles.map((c) => ({ node: c.getAttribute("data-node"), id: c.getAttribute("data-id"), gateway: c.classList.contains("gateway") })));
    assert.is(mesh.length, NODES, "one circle per node");
    assert.equal(mesh.map((c) => Number(c.node)).sort((a, b) => a - b), Array.from({ length: NODES }, (_, i) => i));
    assert.ok(mesh.every((c) => /^[0-9a-f]{16}$/.test(c.id ?? "")), "every circle carries its node id");
    assert.is(mesh.filter((c) => c.gateway).length, 2, "the two default gateways are drawn as gateways");
    const path = await page.$eval("svg[data-picture=mesh] polyline.path", (p) => p.getAttribute("points")!.split(" ").length);
    assert.ok(path >= 2, "the sample broadcast's path is drawn");
    assert.ok(await page.$$eval("svg[data-picture=mesh] .links line", (l) => l.length) > NODES, "radio links are drawn");

    const plots = await page.$$eval("svg[data-plot]", (svgs) => svgs.map((svg) => {
      const marks = [...svg.querySelectorAll("polyline, rect:not(.swatch)")];
      const drawn = marks.map((m) => (m as unknown as { getBBox(): { width: number; height: number } }).getBBox()).filter((b) => b.width > 0 && (b.height > 0 || b.width > 1));
      const box = svg.getBoundingClientRect();
      return { id: svg.getAttribute("data-plot"), drawn: drawn.length, width: box.width, height: box.height };
    }));
    assert.equal(plots.map((p) => p.id), ["delivery", "message-latency", "reading-latency", "frames", "bytes"]);
    for (const p of plots) {
      assert.ok(p.width > 100 && p.height > 100, `${p.id} is laid out: ${p.width}×${p.height}`);
      assert.ok(p.drawn > 1, `${p.id} draws lines or bars with nonzero size`);
    }

    const sections = await page.$$eval("table[data-section]", (tables) => tables.map((t) => ({
      title: t.getAttribute("data-section"),
      rows: [...t.querySelectorAll("tr")].filter((r) => r.querySelector("th[scope=row]"))
        .map((r) => [...r.children].map((c) => c.textContent ?? "")),
    })));
    assert.equal(sections.map((s) => s.title), ["Delivery", "Readings to gateways", "Traffic", "Crypto operations", "Drops", "Run"]);
    const textLines = stdout.split("\n");
    for (const s of sections.slice(0, -1)) {
      for (const [label, ...values] of s.rows) {
        const line = textLines.find((l) => l.startsWith(`  ${label} `));
        assert.ok(line, `the text report has no row ${label}`);
        for (const v of values) assert.ok(line!.includes(v), `${s.title}/${label}: ${v} is not in "${line}"`);
      }
    }
    const digest = /trace digest ([0-9a-f]{16})/.exec(stdout)![1];
    assert.equal(sections[sections.length - 1].rows, [["trace digest", digest]]);

    assert.equal(problems, []);
    assert.equal(requests, [pathToFileURL(file).href], "the page requested nothing but itself");

    const shot = artifactPath("report-page.png");
    const png = await page.screenshot({ path: shot, fullPage: true });
    assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
    assert.ok(png.length > 20_000, `screenshot of ${png.length} bytes`);
    assert.is(readFileSync(shot).length, png.length);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
