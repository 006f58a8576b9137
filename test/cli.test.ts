import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_REPORT_PATH, parseSimArgs, SCENARIO_FIELDS } from "../tools/sim-command.js";
import { HYPHAE_BIN } from "./helpers/hyphae-process.js";
import { runHyphae as hyphae } from "./helpers/run-hyphae.js";

/** Pages and scenario files of this file's tests; removed at the end. */
const DIR = mkdtempSync(join(tmpdir(), "hyphae-cli-"));

const PAGE = join(DIR, "report.html");
const SMALL = ["sim", "--nodes", "20", "--minutes", "1", "--seed", "3", "--html", PAGE];

test("sim prints a readable report and exits 0", async () => {
  const r = await hyphae(...SMALL);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, "");
  for (const section of ["Delivery", "Traffic", "Crypto operations", "Drops", "trace digest"]) {
    assert.ok(r.stdout.includes(section), `missing ${section}:\n${r.stdout}`);
  }
  assert.match(r.stdout, /20 nodes/);
  assert.ok(r.stdout.trimEnd().split("\n").length <= 40, "report longer than 40 lines");
});

test("the same flags give the same trace digest (--json)", async () => {
  const a = await hyphae(...SMALL, "--json");
  const b = await hyphae(...SMALL, "--json");
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  const ra = JSON.parse(a.stdout);
  const rb = JSON.parse(b.stdout);
  assert.match(ra.traceDigest, /^[0-9a-f]{16}$/);
  assert.is(ra.traceDigest, rb.traceDigest);
  assert.is(ra.nodes, 20);
  assert.is(ra.scenario.seed, 3);
  assert.is(ra.scenario.durationMs, 60_000);
  assert.ok(ra.broadcasts.count > 0);
  const text = await hyphae(...SMALL);
  assert.ok(text.stdout.includes(ra.traceDigest), "text and JSON runs disagree");
});

test("usage errors exit 2 and name the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["sim", "--nodes", "abc"], /--nodes must be an integer/],
    [["sim", "--loss", "2"], /--loss must be a number from 0 to 0\.9/],
    [["sim", "--policy", "nope"], /--policy must be one of coverage, flood, managed/],
    [["sim", "--hop-limit", "300"], /--hop-limit must be an integer from 1 to 255/],
    [["sim", "--bogus"], /unknown flag --bogus/],
    [["sim", "--nodes"], /--nodes needs a value/],
    [["sim", "--json=yes"], /--json takes no value/],
    [["sim", "stray"], /unexpected argument 'stray'/],
    [["sim", "--partition-minutes", "3:1"], /--partition-minutes must be START:END/],
    [["sim", "--partition-minutes", "7:9"], /--partition-minutes must start before the run ends/],
    [["sim", "--publish-seconds", "0.5"], /--publish-seconds must be 0 \(never\) or/],
    [["sim", "--reboots", "21", "--nodes", "20"], /--reboots must be an integer from 0 to 20/],
    [["sim", "--seed", "-1"], /--seed needs a value/],
    [["sim", "--seed=-1"], /--seed must be an integer from 0/],
    [["sim", "--gateways", "21", "--nodes", "20"], /--gateways must be an integer from 0 to 20/],
    [["sim", "--reading-seconds", "0.2"], /--reading-seconds must be 0 \(never\) or/],
  ];
  for (const [argv, message] of cases) {
    const r = await hyphae(...argv);
    assert.is(r.code, 2, `${argv.join(" ")} → ${r.code}`);
    assert.match(r.stderr, message, `${argv.join(" ")}: ${r.stderr}`);
    assert.is(r.stdout, "", `${argv.join(" ")} wrote to stdout`);
  }
});

test("readings: gateways chosen from the seed collect every reading; --gateways 0 turns them off", async () => {
  const run = ["sim", "--nodes", "20", "--minutes", "3", "--seed", "3", "--html", PAGE];
  const on = await hyphae(...run, "--json");
  const report = JSON.parse(on.stdout);
  assert.equal(report.scenario.roles.map((r: { role: number }) => r.role), [4, 4]);
  assert.ok(report.readings.taken > 0 && report.readings.lost === 0 && report.readings.duplicated === 0, JSON.stringify(report.readings));
  const text = await hyphae(...run);
  assert.match(text.stdout, /Readings to gateways/);
  const off = JSON.parse((await hyphae(...run, "--gateways", "0", "--json")).stdout);
  assert.is(off.readings, undefined);
  assert.is(off.scenario.roles, undefined);
});

test("unknown subcommand exits 2 and lists the subcommands", async () => {
  const r = await hyphae("frobnicate");
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /commands are: sim/);
  const none = await hyphae();
  assert.is(none.code, 2);
  assert.match(none.stderr, /Usage: hyphae <command>/);
  const flag = await hyphae("--nodes", "3");
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /unknown flag --nodes/);
});

test("the real binary: every subcommand answers --help, and a bad flag with one line on stderr and exit 2", () => {
  for (const command of ["sim", "keys", "node", "gateway", "monitor", "firmware", "content"]) {
    const help = spawnSync(process.execPath, [HYPHAE_BIN, command, "--help"], { encoding: "utf8" });
    assert.is(help.status, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`Usage: hyphae ${command}`), `${command} --help`);
    const bad = spawnSync(process.execPath, [HYPHAE_BIN, command, "--no-such-flag"], { encoding: "utf8" });
    assert.is(bad.status, 2, `${command} --no-such-flag → ${bad.status}`);
    const lines = bad.stderr.trimEnd().split("\n");
    assert.is(lines.length, 1, `${command}: ${bad.stderr}`);
    assert.match(lines[0], new RegExp(`^hyphae ${command}: .*no-such-flag`), command);
    assert.is(bad.stdout, "");
  }
});

test("--help documents commands, flags and exit codes", async () => {
  const top = await hyphae("--help");
  assert.is(top.code, 0);
  assert.match(top.stdout, /sim\s+simulate/);
  assert.match(top.stdout, /0 ok, 2 usage error.*1 runtime failure/);
  const sim = await hyphae("sim", "--help");
  assert.is(sim.code, 0);
  for (const flag of ["--nodes", "--degree", "--minutes", "--loss", "--seed", "--publish-seconds", "--policy", "--json",
    "--reboots", "--partition-minutes", "--scenario", "--html"]) {
    assert.ok(sim.stdout.includes(flag), `sim --help lacks ${flag}`);
  }
  assert.match(sim.stdout, /0 ok, 2 usage error.*1 runtime failure/);
  assert.is((await hyphae("help", "sim")).stdout, sim.stdout);
});

test("flags map onto the scenario; reboots are a function of the seed", () => {
  const o = parseSimArgs(["--nodes", "30", "--degree", "6", "--minutes", "2.5", "--loss", "0.3", "--seed", "9",
    "--publish-seconds", "0", "--policy", "managed", "--hop-limit", "64", "--reboots", "4", "--partition-minutes", "1:1.5", "--json"]);
  const s = o.scenario;
  assert.is(o.json, true);
  assert.equal([s.nodes, s.averageDegree, s.durationMs, s.loss, s.seed, s.publishPeriodMs], [30, 6, 150_000, 0.3, 9, 0]);
  assert.equal(s.config, { relayPolicy: "managed", hopLimit: 64 });
  assert.equal(s.partitions, [{ from: 60_000, to: 90_000 }]);
  assert.is(s.reboots!.length, 4);
  assert.is(new Set(s.reboots!.map((r) => r.node)).size, 4);
  for (const r of s.reboots!) {
    assert.is(r.downMs, 30_000);
    assert.ok(r.at >= s.warmupMs && r.at + r.downMs <= s.durationMs, `reboot at ${r.at}`);
  }
  assert.equal(parseSimArgs(["--seed", "9", "--nodes", "30", "--minutes", "2.5", "--reboots", "4"]).scenario.reboots, s.reboots);
  assert.not.equal(parseSimArgs(["--seed", "10", "--nodes", "30", "--minutes", "2.5", "--reboots", "4"]).scenario.reboots, s.reboots);
  const d = parseSimArgs([]).scenario;
  assert.equal([d.nodes, d.averageDegree, d.durationMs, d.loss, d.seed, d.publishPeriodMs], [50, 8, 300_000, 0.1, 1, 60_000]);
  assert.equal(d.config, { relayPolicy: "coverage", hopLimit: 32 });
});

test("reboots and a partition run end to end", async () => {
  const r = await hyphae("sim", "--nodes", "20", "--minutes", "2", "--reboots", "2", "--partition-minutes", "0.5:1", "--seed", "4", "--html", PAGE);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 reboots \(30 s down\)/);
  assert.match(r.stdout, /partition 0\.5–1 min/);
});

test("--html writes the page and says where; --json writes none unless asked", async () => {
  const page = join(DIR, "sub", "dir", "page.html");
  const text = await hyphae("sim", "--nodes", "10", "--minutes", "0.5", "--html", page);
  assert.is(text.code, 0, text.stderr);
  assert.ok(text.stdout.endsWith(`report page ${page}\n`), text.stdout);
  assert.match(readFileSync(page, "utf8"), /^<!doctype html>/);
  const json = await hyphae("sim", "--nodes", "10", "--minutes", "0.5", "--json", "--html", join(DIR, "json.html"));
  assert.ok(JSON.parse(json.stdout).traceDigest, "stdout is the JSON alone");
  assert.ok(existsSync(join(DIR, "json.html")));
  const unwritable = await hyphae("sim", "--nodes", "10", "--minutes", "0.1", "--html", join(page, "inside-a-file.html"));
  assert.is(unwritable.code, 1);
  assert.match(unwritable.stderr, /^hyphae sim: cannot write the report page .*inside-a-file\.html: /);
  assert.is(parseSimArgs(["--json"]).html, null);
  assert.is(parseSimArgs([]).html, DEFAULT_REPORT_PATH);
});

test("the page is a function of the settings: same seed, same bytes", async () => {
  const page = (name: string, seed: string) => {
    const file = join(DIR, name);
    return hyphae("sim", "--nodes", "15", "--minutes", "1", "--seed", seed, "--html", file).then((r) => {
      assert.is(r.code, 0, r.stderr);
      return readFileSync(file, "utf8");
    });
  };
  const a = await page("a.html", "8");
  assert.is(await page("b.html", "8"), a);
  assert.is.not(await page("c.html", "9"), a);
});

test("npm start's run: the real binary writes the page to the default path and prints it", () => {
  const cwd = mkdtempSync(join(DIR, "cwd-"));
  const r = spawnSync(process.execPath, [HYPHAE_BIN, "sim", "--nodes", "10", "--minutes", "0.5"], { cwd, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, "", "no progress bar on a pipe");
  assert.match(r.stdout, new RegExp(`report page ${DEFAULT_REPORT_PATH}\n$`));
  assert.ok(existsSync(join(cwd, DEFAULT_REPORT_PATH)));
});

function scenarioFile(name: string, content: string): string {
  const file = join(DIR, name);
  writeFileSync(file, content);
  return file;
}

test("--scenario: a file's fields map onto the scenario, flags override them", () => {
  const file = scenarioFile("good.json", JSON.stringify({
    nodes: 30, degree: 6, minutes: 2.5, loss: 0.3, seed: 9, publishSeconds: 0, gateways: 3, readingSeconds: 30,
    policy: "managed", hopLimit: 64, reboots: 4, partitionMinutes: "1:1.5",
  }));
  const fromFile = parseSimArgs(["--scenario", file]).scenario;
  const fromFlags = parseSimArgs(["--nodes", "30", "--degree", "6", "--minutes", "2.5", "--loss", "0.3", "--seed", "9",
    "--publish-seconds", "0", "--gateways", "3", "--reading-seconds", "30", "--policy", "managed", "--hop-limit", "64",
    "--reboots", "4", "--partition-minutes", "1:1.5"]).scenario;
  assert.equal(fromFile, fromFlags);
  const overridden = parseSimArgs(["--scenario", file, "--nodes", "40", "--policy", "flood"]).scenario;
  assert.is(overridden.nodes, 40);
  assert.is(overridden.config!.relayPolicy, "flood");
  assert.is(overridden.loss, 0.3);
  assert.equal(parseSimArgs(["--scenario", scenarioFile("empty.json", "{}")]).scenario, parseSimArgs([]).scenario);
});

/** Each bad scenario file: exit 2, one line on stderr matching its message, nothing on stdout. */
async function assertScenarioErrors(cases: [string, RegExp][]): Promise<void> {
  for (const [file, message] of cases) {
    const r = await hyphae("sim", "--scenario", file);
    assert.is(r.code, 2, `${file} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^hyphae sim: [^\n]+\n$/, `not one line: ${r.stderr}`);
    assert.is(r.stdout, "");
  }
}

test("--scenario: a bad file is one line naming the file and the field, exit 2", async () => {
  const missing = join(DIR, "missing.json");
  const cases: [string, RegExp][] = [
    [missing, /missing\.json: cannot read the scenario file \(no such file\)/],
    [scenarioFile("not-json.json", "{nodes: 5}"), /not-json\.json: not JSON \(/],
    [scenarioFile("array.json", "[1, 2]"), /array\.json: a scenario file is one JSON object/],
    [scenarioFile("unknown.json", `{"nodez": 5}`), /unknown\.json: unknown field "nodez"; the fields are: nodes, degree, /],
    [scenarioFile("type.json", `{"nodes": "50"}`), /type\.json: nodes must be a JSON number, got string "50"/],
    [scenarioFile("null.json", `{"loss": null}`), /null\.json: loss must be a JSON number, got null/],
    [scenarioFile("range.json", `{"nodes": 1}`), /range\.json: nodes must be an integer from 2 to 100000, got "1"/],
    [scenarioFile("fraction.json", `{"seed": 1.5}`), /fraction\.json: seed must be an integer from 0 to 4294967295/],
    [scenarioFile("loss.json", `{"loss": 0.95}`), /loss\.json: loss must be a number from 0 to 0\.9/],
    [scenarioFile("policy.json", `{"policy": "gossip"}`), /policy\.json: policy must be one of coverage, flood, managed/],
    [scenarioFile("period.json", `{"readingSeconds": 0.5}`), /period\.json: readingSeconds must be 0 \(never\) or/],
    [scenarioFile("partition.json", `{"minutes": 2, "partitionMinutes": "3:4"}`),
      /partition\.json: partitionMinutes must start before the run ends \(.*partition\.json: minutes 2\)/],
    [scenarioFile("gateways.json", `{"nodes": 5, "gateways": 6}`), /gateways\.json: gateways must be an integer from 0 to 5/],
  ];
  await assertScenarioErrors(cases);
  const flag = await hyphae("sim", "--scenario", scenarioFile("ok.json", `{"nodes": 5}`), "--nodes", "1");
  assert.match(flag.stderr, /^hyphae sim: --nodes must be an integer from 2/, "a flag's error names the flag");
});

test("--scenario: a YAML file (.yaml, .yml or any name but .json) gives the same run as the same JSON", async () => {
  const json = scenarioFile("same.json", `{"nodes": 12, "minutes": 1, "loss": 0.2, "seed": 5, "policy": "managed", "partitionMinutes": "0.4:0.6"}`);
  const yaml = "# the same scenario\nnodes: 12\nminutes: 1\nloss: 0.2\nseed: 5\npolicy: managed   # a plain word is a string\n" +
    "partitionMinutes: 0.4:0.6\n";
  const expected = parseSimArgs(["--scenario", json]).scenario;
  for (const name of ["same.yaml", "same.yml", "same-scenario"]) {
    assert.equal(parseSimArgs(["--scenario", scenarioFile(name, yaml)]).scenario, expected, name);
  }
  assert.equal(parseSimArgs(["--scenario", scenarioFile("flow.yaml", JSON.stringify({ nodes: 12, minutes: 1, loss: 0.2, seed: 5,
    policy: "managed", partitionMinutes: "0.4:0.6" }))]).scenario, expected, "JSON text is YAML too");
  const fromJson = await hyphae("sim", "--scenario", json, "--json");
  const fromYaml = spawnSync(process.execPath, [HYPHAE_BIN, "sim", "--scenario", join(DIR, "same.yaml"), "--json"], { encoding: "utf8" });
  assert.is(fromJson.code, 0, fromJson.stderr);
  assert.is(fromYaml.status, 0, fromYaml.stderr);
  const report = (stdout: string) => {
    const { wallMs, ...rest } = JSON.parse(stdout);
    assert.type(wallMs, "number");
    return rest; // the same but for the wall-clock time
  };
  assert.equal(report(fromYaml.stdout), report(fromJson.stdout));
  assert.is(report(fromYaml.stdout).nodes, 12);
});

test("--scenario: a bad YAML file is one line naming the file, the line and the field, exit 2", async () => {
  const cases: [string, RegExp][] = [
    [scenarioFile("syntax.yaml", "nodes: 5\nloss: [0.1\n"), /syntax\.yaml:3:1: not YAML \(Flow sequence in block collection must be/],
    [scenarioFile("indent.yaml", "nodes: 5\n  loss: 0.1\n"), /indent\.yaml:1:8: not YAML \(Nested mappings are not allowed/],
    [scenarioFile("twice.yml", "seed: 1\nseed: 2\n"), /twice\.yml:2:1: not YAML \(Map keys must be unique\)/],
    [scenarioFile("list.yaml", "- nodes: 5\n"), /list\.yaml: a scenario file is one YAML mapping/],
    [scenarioFile("blank.yaml", "# nothing\n"), /blank\.yaml: a scenario file is one YAML mapping/],
    [scenarioFile("unknown.yaml", "seed: 3\nnodez: 5\n"), /unknown\.yaml:2: unknown field "nodez"; the fields are: nodes, degree, /],
    [scenarioFile("key.yaml", "? [nodes]\n: 5\n"), /key\.yaml:1: a field name must be a plain word/],
    [scenarioFile("type.yaml", "seed: 3\n\nnodes: \"50\"\n"), /type\.yaml:3: nodes must be a YAML number, got string "50"/],
    [scenarioFile("empty-value.yaml", "loss:\n"), /empty-value\.yaml:1: loss must be a YAML number, got null/],
    [scenarioFile("nested.yaml", "policy:\n  name: flood\n"), /nested\.yaml:1: policy must be a YAML string, got object/],
    [scenarioFile("range.yaml", "loss: 0.1\nnodes: 1\n"), /range\.yaml:2: nodes must be an integer from 2 to 100000, got "1"/],
    [scenarioFile("yes.yaml", "policy: yes\n"), /yes\.yaml:1: policy must be one of coverage, flood, managed, got "yes"/],
    [scenarioFile("partition.yaml", "minutes: 2\npartitionMinutes: 3:4\n"),
      /partition\.yaml:2: partitionMinutes must start before the run ends \(.*partition\.yaml:1: minutes 2\)/],
  ];
  await assertScenarioErrors(cases);
  for (const file of ["syntax.yaml", "type.yaml"]) {
    const r = spawnSync(process.execPath, [HYPHAE_BIN, "sim", "--scenario", join(DIR, file)], { encoding: "utf8" });
    assert.is(r.status, 2, `the binary on ${file}: ${r.stderr}`);
    assert.match(r.stderr, /^hyphae sim: [^\n]+\n$/);
  }
});

test("the scenario schema is documented field by field; the example files are valid", () => {
  const root = join(HYPHAE_BIN, "..", "..");
  const docs = [readFileSync(join(root, "docs", "scenario.md"), "utf8"), readFileSync(join(root, "README.md"), "utf8")];
  for (const field of Object.keys(SCENARIO_FIELDS)) {
    for (const doc of docs) assert.ok(doc.includes(`\`${field}\``), `${field} is not documented`);
  }
  const examples = join(root, "docs", "examples");
  const files = readdirSync(examples);
  assert.ok(files.some((f) => f.endsWith(".json")) && files.some((f) => f.endsWith(".yaml")), `JSON and YAML examples: ${files}`);
  for (const f of files) parseSimArgs(["--scenario", join(examples, f)]);
  assert.ok(docs[1].includes("--scenario docs/examples/partition.json") && docs[1].includes("--html"));
});

test.after(() => rmSync(DIR, { recursive: true, force: true }));

test.run();
