/**
 * Shared plumbing for the `hyphae` command line: output writers (so tests capture them), the
 * subcommand shape, usage errors, and strict value parsers whose messages name the flag and state
 * the rule.
 *
 * Exit codes, for every subcommand: 0 ok, 2 usage error, 1 runtime failure.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Anything with `write(text)`: process.stdout, or a string collector in tests. */
export interface Writer {
  write(text: string): unknown;
  /** True on a terminal (process streams set it): progress bars draw only there. */
  readonly isTTY?: boolean;
  /** Terminal width in characters, where known. */
  readonly columns?: number;
}

export interface Io {
  stdout: Writer;
  stderr: Writer;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** A `hyphae <name>` subcommand. `run` gets the arguments after the name. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full `hyphae <name> --help` text. */
  help: string;
  run(args: string[], io: Io): Promise<number> | number;
}

/** A bad flag or value: the command prints the message and exits with EXIT_USAGE. */
export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs in strict mode, no positionals, with its errors rewritten as UsageErrors
 * that name the offending flag.
 */
export function parseFlags<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const err = e as Error & { code?: string };
    const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? "";
    const flag = quoted.split(/[ =]/)[0];
    switch (err.code) {
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
        throw new UsageError(`unknown flag ${flag}`);
      case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
        throw new UsageError(`unexpected argument '${quoted}' (every value follows its flag, e.g. --nodes 50)`);
      case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
        if (/does not take an argument/.test(err.message)) throw new UsageError(`${flag} takes no value`);
        if (/ambiguous/.test(err.message)) {
          throw new UsageError(`${flag} needs a value; to pass one starting with '-', write ${flag}=VALUE`);
        }
        throw new UsageError(`${flag} needs a value`);
      default:
        throw new UsageError(err.message);
    }
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function show(value: string): string {
  return JSON.stringify(value);
}

/** An integer in [min, max]. */
export function integerFlag(flag: string, value: string, min: number, max: number): number {
  const n = INTEGER.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return n;
}

/** A decimal number in [min, max]. */
export function numberFlag(flag: string, value: string, min: number, max: number): number {
  const n = DECIMAL.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got ${show(value)}`);
  }
  return n;
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(", ")}, got ${show(value)}`);
  }
  return value as T;
}

/** `A:B` with two decimal numbers, min ≤ A < B ≤ max. */
export function rangeFlag(flag: string, value: string, min: number, max: number): [number, number] {
  const parts = value.split(":");
  const rule = `${flag} must be START:END, two numbers with ${min} ≤ START < END ≤ ${max}, got ${show(value)}`;
  if (parts.length !== 2 || !DECIMAL.test(parts[0].trim()) || !DECIMAL.test(parts[1].trim())) throw new UsageError(rule);
  const a = Number(parts[0]);
  const b = Number(parts[1]);
  if (!(a >= min && a < b && b <= max)) throw new UsageError(rule);
  return [a, b];
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function runAsScript(moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
