/**
 * `hyphae sim`: build a Scenario from flags and a scenario file, run the deterministic mesh
 * simulation, print the report (text or JSON) and write it as an HTML page. The same settings
 * always give the same trace digest and the same page.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DEFAULT_NODE_CONFIG, type RelayPolicy } from "../modules/config.js";
import { defaultScenario, MeshSimulation, type Scenario, type SimulationReport } from "../hosts/sim/mesh-simulation.js";
import { Rng } from "../hosts/sim/rng.js";
import { Role } from "../modules/identity/certificate.js";
import {
  choiceFlag, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, numberFlag, parseFlags, rangeFlag,
  UsageError,
} from "./cli.js";
import { ProgressBar } from "./progress-bar.js";
import { renderReportPage, reportPageData } from "./report-page.js";
import { readScenarioFile, type ScenarioField, ScenarioFileError, type SettingText } from "./scenario-file.js";
import { renderReport } from "./sim-report.js";

const POLICIES: readonly RelayPolicy[] = ["coverage", "flood", "managed"];
const DEFAULT_GATEWAYS = 2;
const DEFAULT_READING_SECONDS = 60;
/** Readings stop this long before the end, so the last ones have time to reach a gateway. */
const READINGS_DRAIN_MS = 60_000;
export const REBOOT_DOWN_MS = 30_000;
const MAX_NODES = 100_000; // keep HELP in step
const MAX_MINUTES = 7 * 24 * 60;
/** Where the text report's run writes its HTML page unless --html says otherwise (in .gitignore). */
export const DEFAULT_REPORT_PATH = "reports/hyphae-report.html";
/** Simulated time between progress updates. */
const PROGRESS_STEP_MS = 1000;

const HELP = `Usage: hyphae sim [flags]

Runs a deterministic simulation of a Hyphae mesh: nodes scattered at random on a plane, a disc
radio with random loss, every node running the real firmware core. Prints a report: delivery,
traffic, crypto work, drops, and a trace digest (same flags, same digest); and writes it as an
HTML page with a picture of the mesh and plots over time (same flags, same page).

Flags:
  --nodes N                 nodes in the mesh, an integer 2..100000 [50]
  --degree D                mean radio neighbors per node, 1..1000 [8]
  --minutes M               simulated minutes, 0.01..10080 [5]
  --loss P                  probability that a reception is lost, 0..0.9 [0.1]
  --seed S                  integer 0..4294967295: topology, keys, loss and timing [1]
  --publish-seconds S       each node publishes a reading every S seconds after a
                            20 s warm-up; 0 = never, else 1..86400 [60]
  --gateways K              nodes that are gateways (collect readings), chosen from the
                            seed, 0..nodes [2]
  --reading-seconds S       each other node takes a sensor reading every S seconds after
                            the warm-up, sent store-and-forward to a gateway; the last
                            minute takes none, so they can arrive; 0 = never, else
                            1..86400 [60]
  --policy P                relay policy [coverage]: coverage (Hyphae's gossip),
                            flood (plain flooding), managed (Meshtastic-style)
  --hop-limit H             hop limit of every message, 1..255; must exceed the mesh's
                            diameter (a 1,000-node mesh needs about 40) [32]
  --reboots K               crash K random nodes at random times after the warm-up,
                            each rebooted 30 s later; chosen from the seed [0]
  --partition-minutes A:B   split the plane into two halves from minute A to B
  --scenario FILE           read these settings from a JSON file (FILE.json) or a YAML
                            file (any other name; docs/scenario.md); flags on the
                            command line override its fields
  --html FILE               write the HTML report to FILE [${DEFAULT_REPORT_PATH}, or
                            none with --json]
  --json                    print the report as JSON instead of text
  -h, --help                this help

A progress bar is drawn on stderr when it is a terminal and the run takes over a second.

Exit codes: 0 ok, 2 usage error (bad flag or value, bad scenario file), 1 runtime failure.

Examples:
  hyphae sim
  hyphae sim --nodes 500 --loss 0.3 --policy flood --html flood.html
  hyphae sim --scenario docs/examples/partition.json --seed 7
  hyphae sim --scenario docs/examples/field-trial.yaml
  hyphae sim --nodes 200 --minutes 10 --reboots 5 --partition-minutes 3:6 --json
`;

const OPTIONS = {
  nodes: { type: "string" },
  degree: { type: "string" },
  minutes: { type: "string" },
  loss: { type: "string" },
  seed: { type: "string" },
  "publish-seconds": { type: "string" },
  gateways: { type: "string" },
  "reading-seconds": { type: "string" },
  policy: { type: "string" },
  "hop-limit": { type: "string" },
  reboots: { type: "string" },
  "partition-minutes": { type: "string" },
  scenario: { type: "string" },
  html: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type ScenarioFlag = Exclude<keyof typeof OPTIONS, "scenario" | "html" | "json" | "help">;

/** The fields of a scenario file (docs/scenario.md): one per scenario flag. */
export const SCENARIO_FIELDS: Readonly<Record<string, ScenarioField & { flag: ScenarioFlag }>> = {
  nodes: { flag: "nodes", type: "number" },
  degree: { flag: "degree", type: "number" },
  minutes: { flag: "minutes", type: "number" },
  loss: { flag: "loss", type: "number" },
  seed: { flag: "seed", type: "number" },
  publishSeconds: { flag: "publish-seconds", type: "number" },
  gateways: { flag: "gateways", type: "number" },
  readingSeconds: { flag: "reading-seconds", type: "number" },
  policy: { flag: "policy", type: "string" },
  hopLimit: { flag: "hop-limit", type: "number" },
  reboots: { flag: "reboots", type: "number" },
  partitionMinutes: { flag: "partition-minutes", type: "string" },
};

export interface SimOptions {
  scenario: Scenario;
  json: boolean;
  /** Where to write the HTML report; null: nowhere. */
  html: string | null;
  help: boolean;
}

/**
 * Flags (over a scenario file's fields, over the defaults) → scenario. Throws UsageError naming
 * the flag and the rule, or ScenarioFileError naming the file and the field.
 */
export function parseSimArgs(args: string[]): SimOptions {
  const v = parseFlags(args, OPTIONS) as Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  if (v.help) return { scenario: defaultScenario(), json: false, html: null, help: true };
  const file = typeof v.scenario === "string" ? readScenarioFile(v.scenario, SCENARIO_FIELDS) : new Map<string, SettingText>();
  const setting = (flag: ScenarioFlag): SettingText | undefined =>
    typeof v[flag] === "string" ? { raw: v[flag] as string, name: `--${flag}`, fromFile: false } : file.get(flag);
  /** The setting checked by `check`, or `fallback` when neither the flags nor the file give it. */
  const value = <T>(flag: ScenarioFlag, fallback: T, check: (name: string, raw: string) => T): T => {
    const s = setting(flag);
    return s ? checked(s, () => check(s.name, s.raw)) : fallback;
  };
  const integer = (flag: ScenarioFlag, fallback: number, min: number, max: number) =>
    value(flag, fallback, (name, raw) => integerFlag(name, raw, min, max));
  const number = (flag: ScenarioFlag, fallback: number, min: number, max: number) =>
    value(flag, fallback, (name, raw) => numberFlag(name, raw, min, max));

  const scenario = defaultScenario();
  const nodes = integer("nodes", scenario.nodes, 2, MAX_NODES);
  const degree = number("degree", scenario.averageDegree, 1, 1000);
  const minutes = number("minutes", scenario.durationMs / 60_000, 0.01, MAX_MINUTES);
  const loss = number("loss", scenario.loss, 0, 0.9);
  const seed = integer("seed", scenario.seed, 0, 0xffffffff);
  const publishSeconds = value("publish-seconds", scenario.publishPeriodMs / 1000, periodSeconds);
  const gateways = integer("gateways", Math.min(DEFAULT_GATEWAYS, nodes), 0, nodes);
  const readingSeconds = value("reading-seconds", DEFAULT_READING_SECONDS, periodSeconds);
  const policy = value("policy", "coverage", (name, raw) => choiceFlag(name, raw, POLICIES));
  const reboots = integer("reboots", 0, 0, nodes);
  const hopLimit = integer("hop-limit", DEFAULT_NODE_CONFIG.hopLimit, 1, 255);

  const durationMs = Math.round(minutes * 60_000);
  Object.assign(scenario, {
    seed, nodes, averageDegree: degree, durationMs, loss, publishPeriodMs: Math.round(publishSeconds * 1000),
  });
  scenario.config = { relayPolicy: policy, hopLimit };
  if (gateways > 0) scenario.roles = chooseGateways(seed, nodes, gateways).map((node) => ({ node, role: Role.Gateway }));
  if (gateways > 0 && readingSeconds > 0) {
    scenario.readingPeriodMs = Math.round(readingSeconds * 1000);
    scenario.readingsUntilMs = Math.max(scenario.warmupMs, durationMs - READINGS_DRAIN_MS);
  }

  const partition = value("partition-minutes", null, (name, raw) => {
    const [a, b] = rangeFlag(name, raw, 0, MAX_MINUTES);
    if (a >= minutes) {
      const end = setting("minutes")?.name ?? "--minutes";
      throw new UsageError(`${name} must start before the run ends (${end} ${short(minutes)}), got ${short(a)}`);
    }
    return [a, b];
  });
  if (partition) scenario.partitions = [{ from: Math.round(partition[0] * 60_000), to: Math.round(partition[1] * 60_000) }];
  if (reboots > 0) scenario.reboots = chooseReboots(seed, nodes, reboots, scenario.warmupMs, durationMs);
  const html = typeof v.html === "string" ? v.html : v.json ? null : DEFAULT_REPORT_PATH;
  return { scenario, json: v.json === true, html, help: false };
}

/** Runs `check` on a setting; a file's bad value becomes a ScenarioFileError (one line, no flag hint). */
function checked<T>(s: SettingText, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (s.fromFile && e instanceof UsageError) throw new ScenarioFileError(e.message);
    throw e;
  }
}

/** A period in seconds: 0 (never) or 1..86400. */
function periodSeconds(name: string, raw: string): number {
  const rule = `${name} must be 0 (never) or a number from 1 to 86400, got ${JSON.stringify(raw)}`;
  let seconds: number;
  try {
    seconds = numberFlag(name, raw, 0, 86400);
  } catch {
    throw new UsageError(rule);
  }
  if (seconds > 0 && seconds < 1) throw new UsageError(rule);
  return seconds;
}

function short(n: number): string {
  return String(Number(n.toFixed(3)));
}

/** `count` distinct nodes to be gateways, a pure function of the seed. */
export function chooseGateways(seed: number, nodes: number, count: number): number[] {
  const rng = new Rng(seed).fork("cli-gateways");
  const order = Array.from({ length: nodes }, (_, i) => i);
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(nodes - k);
    [order[k], order[j]] = [order[j], order[k]];
  }
  return order.slice(0, count).sort((a, b) => a - b);
}

/**
 * `count` distinct nodes, each crashed at a uniform time in [warm-up, end − down) (clamped to the
 * run) and rebooted REBOOT_DOWN_MS later. A pure function of the seed.
 */
export function chooseReboots(seed: number, nodes: number, count: number, warmupMs: number, durationMs: number):
    { node: number; at: number; downMs: number }[] {
  const rng = new Rng(seed).fork("cli-reboots");
  const order = Array.from({ length: nodes }, (_, i) => i);
  const lo = Math.min(warmupMs, durationMs);
  const hi = Math.max(lo, durationMs - REBOOT_DOWN_MS);
  const out: { node: number; at: number; downMs: number }[] = [];
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(nodes - k);
    [order[k], order[j]] = [order[j], order[k]];
    out.push({ node: order[k], at: lo + Math.floor(rng.float() * (hi - lo)), downMs: REBOOT_DOWN_MS });
  }
  return out.sort((x, y) => x.at - y.at || x.node - y.node);
}

export const simCommand: Command = {
  name: "sim",
  summary: "simulate a mesh (deterministic, seeded) and report delivery, traffic and crypto work",
  help: HELP,
  run(args: string[], io: Io): number {
    let options: SimOptions;
    try {
      options = parseSimArgs(args);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const hint = e instanceof ScenarioFileError ? "" : " (see `hyphae sim --help`)";
      io.stderr.write(`hyphae sim: ${e.message}${hint}\n`);
      return EXIT_USAGE;
    }
    if (options.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const { html } = options;
    const sim = new MeshSimulation(options.scenario);
    const recorder = html === null ? null : sim.record();
    const bar = new ProgressBar(io.stderr, {
      label: "hyphae sim",
      total: options.scenario.durationMs,
      describe: (done, total) => `${(done / 60_000).toFixed(1)} of ${(total / 60_000).toFixed(1)} simulated min`,
    });
    let report: SimulationReport;
    let page = "";
    try {
      report = sim.run({ stepMs: PROGRESS_STEP_MS, onStep: (now) => bar.update(now) });
      if (recorder) page = renderReportPage(reportPageData(sim, recorder, report));
    } catch (e) {
      const err = e as Error;
      io.stderr.write(`hyphae sim: simulation failed: ${err.message}\n`);
      if (process.env.HYPHAE_DEBUG && err.stack) io.stderr.write(err.stack + "\n");
      return EXIT_FAILURE;
    } finally {
      bar.finish();
    }
    if (html !== null) {
      try {
        mkdirSync(dirname(html), { recursive: true });
        writeFileSync(html, page);
      } catch (e) {
        io.stderr.write(`hyphae sim: cannot write the report page ${html}: ${(e as Error).message}\n`);
        return EXIT_FAILURE;
      }
    }
    if (options.json) io.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else io.stdout.write(renderReport(report) + (html === null ? "" : `report page ${html}\n`));
    return EXIT_OK;
  },
};
