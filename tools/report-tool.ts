/**
 * The command line of a bench that rewrites one section of the benchmark report: `--out FILE` (the
 * report, by default BENCHMARKS.md at the repo root) and `--help` besides its own flags. A bad flag
 * is refused before anything runs, and the report is written only once the whole run succeeded.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParseArgsConfig } from "node:util";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io, parseFlags, UsageError } from "./cli.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ReportTool<V> {
  /** The script's name, as messages start: `bench-device`. */
  name: string;
  /** The heading of the section it rewrites, without the hashes: `Device`. */
  section: string;
  help: string;
  /** Its own flags (parseArgs options); `--out` and `--help` are added. */
  flags: Options;
  /** Its settings from the parsed flags; throws UsageError for a bad value. */
  settings(values: Record<string, string | boolean | undefined>): V;
  /**
   * Runs the bench and returns the report with its section rewritten. `existing` is the report's
   * text, "" when the file does not exist yet; `command` is the command line that ran it.
   */
  rewrite(existing: string, settings: V, command: string, io: Io): Promise<string> | string;
}

/** The repo's BENCHMARKS.md: tools run from build/tools/. */
export const DEFAULT_REPORT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "BENCHMARKS.md");

export async function runReportTool<V>(tool: ReportTool<V>, argv: readonly string[], io: Io): Promise<number> {
  let out: string;
  let settings: V;
  try {
    const values = parseFlags([...argv], { ...tool.flags, out: { type: "string" }, help: { type: "boolean", short: "h" } }) as
      Record<string, string | boolean | undefined>;
    if (values.help === true) {
      io.stdout.write(tool.help);
      return EXIT_OK;
    }
    const file = values.out as string | undefined;
    if (file !== undefined && file.trim() === "") throw new UsageError("--out must name a file");
    out = file !== undefined ? resolve(file) : DEFAULT_REPORT;
    settings = tool.settings(values);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${tool.name}: ${e.message}\nRun with --help for the flags.\n`);
    return EXIT_USAGE;
  }
  try {
    let existing = "";
    try {
      existing = readFileSync(out, "utf8");
    } catch {
      // A new file holds the section alone.
    }
    const script = relative(process.cwd(), process.argv[1] ?? `build/tools/${tool.name}.js`) || `build/tools/${tool.name}.js`;
    writeFileSync(out, await tool.rewrite(existing, settings, ["node", script, ...argv].join(" "), io));
    io.stderr.write(`${tool.name}: wrote the "${tool.section}" section of ${out}\n`);
    return EXIT_OK;
  } catch (e) {
    io.stderr.write(`${tool.name}: failed: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
