import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { UsageError } from "../tools/cli.js";
import { runReportTool, type ReportTool } from "../tools/report-tool.js";

function capture(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    io: { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) } },
    out: () => stdout,
    err: () => stderr,
  };
}

/** A bench whose run appends `--times` lines to the report; with `fail`, its run throws. */
function tool(runs: string[], fail = false): ReportTool<number> {
  return {
    name: "bench-fake", section: "Fake", help: "Usage: bench-fake [--times N] [--out FILE]\n", flags: { times: { type: "string" } },
    settings(v) {
      const times = v.times === undefined ? 1 : Number(v.times);
      if (!Number.isInteger(times) || times < 1) throw new UsageError("--times must be a positive integer");
      return times;
    },
    rewrite(existing, times, command) {
      runs.push(command);
      if (fail) throw new Error("the radio caught fire");
      return existing + "row\n".repeat(times);
    },
  };
}

test("writes what the run returns, to a new file or over an existing one, and names the command that ran it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-report-tool-"));
  try {
    const file = join(dir, "B.md");
    const runs: string[] = [];
    const c = capture();
    assert.is(await runReportTool(tool(runs), ["--out", file, "--times", "2"], c.io), 0);
    assert.is(readFileSync(file, "utf8"), "row\nrow\n");
    assert.is(await runReportTool(tool(runs), ["--out", file], c.io), 0);
    assert.is(readFileSync(file, "utf8"), "row\nrow\nrow\n");
    assert.match(runs[0], /^node \S+ --out \S+B\.md --times 2$/);
    assert.match(c.err(), /bench-fake: wrote the "Fake" section of \S+B\.md\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--help, a bad flag or value: nothing runs and the report is untouched; a failed run leaves it as it was", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-report-tool-"));
  try {
    const file = join(dir, "B.md");
    writeFileSync(file, "# B\n");
    const runs: string[] = [];
    const c = capture();
    assert.is(await runReportTool(tool(runs), ["--help"], c.io), 0);
    assert.is(c.out(), "Usage: bench-fake [--times N] [--out FILE]\n");
    assert.is(await runReportTool(tool(runs), ["--out", file, "--times", "0"], c.io), 2);
    assert.match(c.err(), /bench-fake: --times must be a positive integer\nRun with --help for the flags\.\n/);
    assert.is(await runReportTool(tool(runs), ["--out", file, "--quick"], c.io), 2);
    assert.match(c.err(), /bench-fake: unknown flag --quick/);
    assert.is(await runReportTool(tool(runs), ["--out="], c.io), 2);
    assert.match(c.err(), /--out must name a file/);
    assert.equal(runs, []);
    assert.is(await runReportTool(tool(runs, true), ["--out", file], c.io), 1);
    assert.match(c.err(), /bench-fake: failed: the radio caught fire\n/);
    assert.is(readFileSync(file, "utf8"), "# B\n");
    assert.is(await runReportTool(tool(runs, true), ["--out", join(dir, "new.md")], c.io), 1);
    assert.not.ok(existsSync(join(dir, "new.md")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
