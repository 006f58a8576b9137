import { test } from "uvu";
import * as assert from "uvu/assert";
import { BuildProgress, plannedSteps } from "../tools/build-progress.js";

/** What `make -n` prints for a Moddable makefile: announcements among the commands. */
const DRY_RUN = `echo '# xsc mc/config.xsb'
xsc /w/tmp/lin/mc/release/hyphae/mc.config.js -c -d -e -o /w/modules/mc -r config
echo "# xsl modules"
xsl -a -b /w/modules -o /w/tmp -r mc -u / /w/modules/mc/config.xsb
echo "# cc" mc.xs.c
cc -c -fPIC /w/tmp/mc.xs.c -o /w/tmp/mc.xs.c.o
echo "# cc" modTimer.c "(strings in flash)"
echo '# tsc node.ts'
tsc -p /w/modules/modules/node-tsconfig.json ; if [ $? -ne 0 ]; then echo "# typescript compile failure" && exit 1; fi
echo "# ar xs_esp32.a"
echo "# ld mc.so"
echo "# Clean project"
`;

function terminal() {
  const writes: string[] = [];
  const stream = { isTTY: true, columns: 120, write: (text: string) => writes.push(text) };
  return { stream, writes, timing: { clock: () => 0, delayMs: 0, intervalMs: 0 } };
}

test("plannedSteps counts the announced build steps of a dry run, not commands or other messages", () => {
  assert.is(plannedSteps(DRY_RUN), 7);
  assert.is(plannedSteps(""), 0);
});

test("on a terminal: one step per announced line, against the planned total, with the step's name; erased at the end", () => {
  const { stream, writes, timing } = terminal();
  const progress = new BuildProgress(stream, 4, timing);
  for (const line of ["# xsc mc/config.xsb", "### warning: modules/node: Role: no const", "# xsl modules", "cc -c x.c", "# cc mc.xs.c", "# ld mc.so"]) {
    progress.line(line);
  }
  assert.is(writes.length, 4, "a redraw per step, none for other lines");
  assert.match(writes[0], /^\rhyphae firmware \[#{8}-{22}\]  25 %  1 of 4 steps · xsc mc\/config\.xsb\x1b\[K$/);
  assert.match(writes[2], / 75 %  3 of 4 steps · cc mc\.xs\.c/);
  assert.match(writes[3], /\[#{30}\] 100 %  4 of 4 steps · ld mc\.so/);
  progress.finish();
  assert.is(writes[4], "\r\x1b[K");
});

test("ESP-IDF's ninja counter takes over the bar after mcconfig's steps", () => {
  const { stream, writes, timing } = terminal();
  const progress = new BuildProgress(stream, 1, timing);
  progress.line("# ar xs_esp32.a");
  progress.line("[1/980] Generating ../../partition_table/partition-table.bin");
  progress.line("[490/980] Building C object esp-idf/main/CMakeFiles/__idf_main.dir/xsHost.c.obj");
  assert.match(writes[0], /100 %  1 of 1 steps · ar xs_esp32\.a/);
  assert.is(writes[1], "\r\x1b[K", "mcconfig's bar erased");
  assert.match(writes[2], /^\rhyphae firmware \[-{30}\]   0 %  ESP-IDF: 1 of 980 steps/);
  assert.match(writes[3], /\[#{15}-{15}\]  50 %  ESP-IDF: 490 of 980 steps/);
  progress.finish();
  assert.is(writes.at(-1), "\r\x1b[K");
});

test("without a planned total no bar is drawn for mcconfig's steps; on a pipe nothing at all", () => {
  const unknown = terminal();
  const progress = new BuildProgress(unknown.stream, 0, unknown.timing);
  progress.line("# xsc mc/config.xsb");
  progress.finish();
  assert.equal(unknown.writes, []);
  const writes: string[] = [];
  const piped = new BuildProgress({ write: (t: string) => writes.push(t) }, 2, { delayMs: 0, intervalMs: 0 });
  for (const line of ["# xsc a.xsb", "# ld mc.so", "[1/2] x", "[2/2] y"]) piped.line(line);
  piped.finish();
  assert.equal(writes, []);
});

test.run();
