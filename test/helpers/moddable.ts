/**
 * The Moddable SDK for tests: found through MODDABLE (a user's machine) or built by
 * ../shared/moddable-build (this project's machines and CI), and the desktop simulator (mcsim) run
 * headless as a child process whose trace lines are collected (tools/firmware-sim.ts, which the
 * firmware benchmark uses too).
 *
 * Tests that need the SDK skip, with one line saying how to enable them, when neither is present.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findModdableSdk, McsimProcess, type ModdableSdk } from "../../tools/firmware-sim.js";

export type { ModdableSdk } from "../../tools/firmware-sim.js";
/** One firmware image running in mcsim under xvfb-run, in a process group of its own. */
export { McsimProcess as Mcsim };

/** build/test/helpers/ → the repository root. */
export const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

let found: ModdableSdk | string | undefined;

/** The SDK, or the reason it is missing (a one-line skip message). */
export function moddableSdk(): ModdableSdk | string {
  return (found ??= findModdableSdk(REPOSITORY));
}
