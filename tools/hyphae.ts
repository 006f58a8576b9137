/**
 * The `hyphae` command line: `hyphae <command> [flags]`. bin/hyphae.js calls `main` with the
 * process arguments; tests call it with their own writers.
 *
 * Adding a subcommand (keys, node, gateway, monitor, ...): write a `Command` (see cli.ts) in its
 * own module and add it to COMMANDS.
 */
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io, processIo } from "./cli.js";
import { contentCommand } from "./content-command.js";
import { firmwareCommand } from "./firmware-command.js";
import { gatewayCommand } from "./gateway-command.js";
import { keysCommand } from "./keys-command.js";
import { monitorCommand } from "./monitor-command.js";
import { nodeCommand } from "./node-command.js";
import { simCommand } from "./sim-command.js";

export const COMMANDS: readonly Command[] = [simCommand, keysCommand, nodeCommand, gatewayCommand, monitorCommand, firmwareCommand, contentCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return `hyphae: tools for the Hyphae offline sensor mesh

Usage: hyphae <command> [flags]
       hyphae <command> --help

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}

Exit codes: 0 ok, 2 usage error (bad command, flag or value), 1 runtime failure.
`;
}

function commandList(): string {
  return COMMANDS.map((c) => c.name).join(", ");
}

/** Runs the CLI; resolves to the process exit code. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (first === "-h" || first === "--help") {
    io.stdout.write(usage());
    return EXIT_OK;
  }
  if (first === "help") {
    if (rest.length === 0) {
      io.stdout.write(usage());
      return EXIT_OK;
    }
    const target = COMMANDS.find((c) => c.name === rest[0]);
    if (!target) {
      io.stderr.write(`hyphae: unknown command '${rest[0]}'; the commands are: ${commandList()}\n`);
      return EXIT_USAGE;
    }
    io.stdout.write(target.help);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const what = first.startsWith("-") ? `unknown flag ${first.split("=")[0]} (flags go after the command)` : `unknown command '${first}'`;
    io.stderr.write(`hyphae: ${what}; the commands are: ${commandList()}\nRun \`hyphae --help\` for usage.\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run([...rest], io);
  } catch (e) {
    const err = e as Error;
    io.stderr.write(`hyphae ${command.name}: ${err?.message ?? String(e)}\n`);
    if (process.env.HYPHAE_DEBUG && err?.stack) io.stderr.write(err.stack + "\n");
    return EXIT_FAILURE;
  }
}
