#!/usr/bin/env node
// The `hyphae` command: runs the compiled CLI (build/tools/hyphae.js, made by `npm install`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../build/tools/hyphae.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("hyphae: the compiled CLI is missing (build/): run `npm install` (it compiles the TypeScript) first\n");
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
