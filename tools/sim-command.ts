/**
 * `hyphae sim`: build a Scenario from flags, run the deterministic mesh simulation, print the
 * report (text or JSON). The same flags always give the same trace digest.
 */
import { DEFAULT_NODE_CONFIG, type RelayPolicy } from "../modules/config.js";
import { defaultScenario, MeshSimulation, type Scenario } from "../hosts/sim/mesh-simulation.js";
import { Rng } from "../hosts/sim/rng.js";
import { Role } from "../modules/identity/certificate.js";
import {
  choiceFlag, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, numberFlag, parseFlags, rangeFlag,
  UsageError,
} from "./cli.js";
import { renderReport } from "./sim-report.js";

const POLICIES: readonly RelayPolicy[] = ["coverage", "flood", "managed"];
const DEFAULT_GATEWAYS = 2;
const DEFAULT_READING_SECONDS = 60;
/** Readings stop this long before the end, so the last ones have time to reach a gateway. */
const READINGS_DRAIN_MS = 60_000;
export const REBOOT_DOWN_MS = 30_000;
const MAX_NODES = 100_000; // keep HELP in step
const MAX_MINUTES = 7 * 24 * 60;

const HELP = `Usage: hyphae sim [flags]

Runs a deterministic simulation of a Hyphae mesh: nodes scattered at random on a plane, a disc
radio with random loss, every node running the real firmware core. Prints a report: delivery,
traffic, crypto work, drops, and a trace digest (same flags, same digest).

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
  --json                    print the report as JSON instead of text
  -h, --help                this help

Exit codes: 0 ok, 2 usage error (bad flag or value), 1 runtime failure.

Examples:
  hyphae sim
  hyphae sim --nodes 500 --loss 0.3 --policy flood
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
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export interface SimOptions {
  scenario: Scenario;
  json: boolean;
  help: boolean;
}

/** Flags → scenario. Throws UsageError naming the flag and the rule. */
export function parseSimArgs(args: string[]): SimOptions {
  const v = parseFlags(args, OPTIONS) as Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  const str = (k: keyof typeof OPTIONS): string | undefined => v[k] as string | undefined;
  if (v.help) return { scenario: defaultScenario(), json: false, help: true };

  const scenario = defaultScenario();
  const nodes = str("nodes") === undefined ? scenario.nodes : integerFlag("--nodes", str("nodes")!, 2, MAX_NODES);
  const degree = str("degree") === undefined ? scenario.averageDegree : numberFlag("--degree", str("degree")!, 1, 1000);
  const minutes = str("minutes") === undefined ? scenario.durationMs / 60_000 : numberFlag("--minutes", str("minutes")!, 0.01, MAX_MINUTES);
  const loss = str("loss") === undefined ? scenario.loss : numberFlag("--loss", str("loss")!, 0, 0.9);
  const seed = str("seed") === undefined ? scenario.seed : integerFlag("--seed", str("seed")!, 0, 0xffffffff);
  let publishSeconds = scenario.publishPeriodMs / 1000;
  if (str("publish-seconds") !== undefined) {
    const raw = str("publish-seconds")!;
    const rule = `--publish-seconds must be 0 (never) or a number from 1 to 86400, got ${JSON.stringify(raw)}`;
    try {
      publishSeconds = numberFlag("--publish-seconds", raw, 0, 86400);
    } catch {
      throw new UsageError(rule);
    }
    if (publishSeconds > 0 && publishSeconds < 1) throw new UsageError(rule);
  }
  const gateways = str("gateways") === undefined ? Math.min(DEFAULT_GATEWAYS, nodes) : integerFlag("--gateways", str("gateways")!, 0, nodes);
  let readingSeconds = DEFAULT_READING_SECONDS;
  if (str("reading-seconds") !== undefined) {
    const raw = str("reading-seconds")!;
    const rule = `--reading-seconds must be 0 (never) or a number from 1 to 86400, got ${JSON.stringify(raw)}`;
    try {
      readingSeconds = numberFlag("--reading-seconds", raw, 0, 86400);
    } catch {
      throw new UsageError(rule);
    }
    if (readingSeconds > 0 && readingSeconds < 1) throw new UsageError(rule);
  }
  const policy = str("policy") === undefined ? "coverage" : choiceFlag("--policy", str("policy")!, POLICIES);
  const reboots = str("reboots") === undefined ? 0 : integerFlag("--reboots", str("reboots")!, 0, nodes);
  const hopLimit = str("hop-limit") === undefined ? DEFAULT_NODE_CONFIG.hopLimit : integerFlag("--hop-limit", str("hop-limit")!, 1, 255);

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

  if (str("partition-minutes") !== undefined) {
    const [a, b] = rangeFlag("--partition-minutes", str("partition-minutes")!, 0, MAX_MINUTES);
    if (a >= minutes) {
      throw new UsageError(`--partition-minutes must start before the run ends (--minutes ${short(minutes)}), got ${short(a)}`);
    }
    scenario.partitions = [{ from: Math.round(a * 60_000), to: Math.round(b * 60_000) }];
  }
  if (reboots > 0) scenario.reboots = chooseReboots(seed, nodes, reboots, scenario.warmupMs, durationMs);
  return { scenario, json: v.json === true, help: false };
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
      io.stderr.write(`hyphae sim: ${e.message}\nRun \`hyphae sim --help\` for the flags.\n`);
      return EXIT_USAGE;
    }
    if (options.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    try {
      const report = new MeshSimulation(options.scenario).run();
      io.stdout.write(options.json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report));
      return EXIT_OK;
    } catch (e) {
      const err = e as Error;
      io.stderr.write(`hyphae sim: simulation failed: ${err.message}\n`);
      if (process.env.HYPHAE_DEBUG && err.stack) io.stderr.write(err.stack + "\n");
      return EXIT_FAILURE;
    }
  },
};
