/** `hyphae …` run in this process (tools/hyphae.ts main) with its output captured, for CLI tests. */
import type { Io } from "../../tools/cli.js";
import { main } from "../../tools/hyphae.js";

export interface HyphaeRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runHyphae(...argv: string[]): Promise<HyphaeRun> {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
