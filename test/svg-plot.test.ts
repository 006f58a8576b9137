import { test } from "uvu";
import * as assert from "uvu/assert";
import { logTicks, niceTicks, svgPlot } from "../tools/svg-plot.js";
import { escapeXml } from "../tools/svg.js";

test("niceTicks: round steps from 0 to at least the maximum", () => {
  const cases: [number, number[]][] = [
    [100, [0, 20, 40, 60, 80, 100]],
    [7, [0, 2, 4, 6, 8]],
    [0.3, [0, 0.1, 0.2, 0.3]],
    [45, [0, 10, 20, 30, 40, 50]],
    [0, [0, 1]],
  ];
  for (const [max, ticks] of cases) assert.equal(niceTicks(max), ticks, `max ${max}`);
});

test("logTicks: powers of ten around the positive values, with 2 and 5 over short spans", () => {
  assert.equal(logTicks([3, 70]), [1, 2, 5, 10, 20, 50, 100]);
  assert.equal(logTicks([3, 700]), [1, 10, 100, 1000]);
  assert.equal(logTicks([0.02, 5000, 0, NaN]), [0.01, 0.1, 1, 10, 100, 1000, 10000]);
  assert.equal(logTicks([]), [1, 10]);
});

test("a line series is split at gaps; bars skip empty buckets; text is escaped", () => {
  const svg = svgPlot({
    id: "t", title: "A <b> & c", xLabel: "x", yLabel: "y", x: [0, 1, 2, 3, 4], xMax: 5, barWidth: 1,
    series: [
      { name: "line", color: "#000", values: [1, 2, NaN, 3, 4] },
      { name: "bars", color: "#111", bars: true, values: [1, 0, 2, NaN, 3] },
    ],
  });
  assert.is(svg.match(/<polyline/g)!.length, 2);
  assert.is(svg.match(/<rect [^>]*fill="#111"/g)!.length, 4, "three bars and the legend's swatch");
  assert.ok(svg.includes("A &#60;b&#62; &#38; c"));
  assert.ok(svg.includes('data-plot="t"'));
  const lone = svgPlot({ id: "u", title: "", xLabel: "", yLabel: "", x: [0, 1], xMax: 2, barWidth: 1, series: [{ name: "", color: "#000", values: [NaN, 5] }] });
  const points = /points="([^"]+)"/.exec(lone)![1].split(" ");
  assert.is(points.length, 2, "a lone value spans its bucket, so it shows");
  assert.is.not(points[0], points[1]);
  assert.is(escapeXml(`"'`), "&#34;&#39;");
});

test.run();
