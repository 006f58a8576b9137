import { test } from "uvu";
import * as assert from "uvu/assert";
import { ProgressBar, type ProgressOptions } from "../tools/progress-bar.js";

function bar(isTTY: boolean) {
  let now = 0;
  const writes: string[] = [];
  const options: ProgressOptions = {
    label: "sim", total: 100, describe: (done, total) => `${done} of ${total}`, clock: () => now, delayMs: 1000, intervalMs: 100,
  };
  const progress = new ProgressBar({ isTTY, columns: 80, write: (text: string) => writes.push(text) }, options);
  return { progress, writes, at: (t: number) => (now = t) };
}

test("on a terminal: nothing during the delay, then at most one line per interval, erased at the end", () => {
  const { progress, writes, at } = bar(true);
  at(500);
  progress.update(10);
  assert.is(writes.length, 0, "a short run draws nothing");
  at(1000);
  progress.update(40);
  assert.is(writes.length, 1);
  assert.match(writes[0], /^\rsim \[#{12}-{18}\]  40 %  40 of 100\x1b\[K$/);
  at(1050);
  progress.update(45);
  assert.is(writes.length, 1, "redrawn too soon");
  at(1100);
  progress.update(100);
  assert.match(writes[1], /\[#{30}\] 100 %/);
  progress.finish();
  assert.is(writes[2], "\r\x1b[K");
});

test("on a pipe or file: writes nothing at all", () => {
  const { progress, writes, at } = bar(false);
  for (let t = 0; t <= 5000; t += 100) {
    at(t);
    progress.update(t / 50);
  }
  progress.finish();
  assert.equal(writes, []);
});

test("the line is cut to the terminal's width; a terminal of unknown size (0 columns) gets 80", () => {
  for (const [columns, width] of [[40, 39], [0, 79], [undefined, 79]] as const) {
    const writes: string[] = [];
    const progress = new ProgressBar({ isTTY: true, columns, write: (text: string) => writes.push(text) },
      { label: "sim", total: 10, describe: () => "x".repeat(200), clock: () => 0, delayMs: 0, intervalMs: 0 });
    progress.update(5);
    assert.is(writes[0].length, 1 + width + 3, `columns ${columns}`);
  }
});

test("a run that ends within the delay erases nothing", () => {
  const { progress, writes } = bar(true);
  progress.update(100);
  progress.finish();
  assert.equal(writes, []);
});

test.run();
