/**
 * The "Content" section of BENCHMARKS.md (issue 7): a 256 KB image from a gateway to every node of
 * a 100-node and a 500-node mesh at 10% frame loss, against the naive baseline of the gateway
 * unicasting the whole image to each node, and the 100-node mesh with 10% of its nodes malicious.
 * Fixed seeds (hosts/sim/content-run.ts).
 *
 *   node build/tools/bench-content.js [--quick] [--out FILE]   rewrites the section in BENCHMARKS.md
 */
import { runContent, type ContentRunResult } from "../hosts/sim/content-run.js";
import { type Io, processIo, runAsScript } from "./cli.js";
import { runReportTool } from "./report-tool.js";
import { replaceSection } from "./markdown-section.js";

export const CONTENT_HEADING = "## Content";
const IMAGE_BYTES = 256 * 1024;
const LOSS = 0.1;

export interface ContentCase {
  name: string;
  malicious: number;
  result: ContentRunResult;
}

export function runContentBench(sizes: number[], log: (line: string) => void): ContentCase[] {
  const cases: ContentCase[] = [];
  const run = (nodes: number, malicious: number): void => {
    const name = `${nodes} nodes${malicious ? `, ${malicious * 100}% malicious` : ""}`;
    log(`content: ${name} …`);
    const result = runContent({ nodes, seed: 1, loss: LOSS, imageBytes: IMAGE_BYTES, malicious });
    log(`content: ${name}: ${result.installedRight} of ${result.honestReachable} installed in ${(result.timeToAllMs / 1000).toFixed(1)} s ` +
      `(${(result.wallMs / 1000).toFixed(1)} s wall)`);
    cases.push({ name, malicious, result });
  };
  for (const nodes of sizes) run(nodes, 0);
  run(sizes[0], 0.1);
  return cases;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function secondsOf(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "never";
}

export function renderContentSection(cases: ContentCase[], skipped: string | null): string {
  const L: string[] = [CONTENT_HEADING, ""];
  L.push("Measured by `node build/tools/bench-content.js` (also part of `npm run bench`).", "");
  L.push(`A ${IMAGE_BYTES / 1024} KB firmware image (1,024-byte pieces: 256 data pieces and 4 hash blocks) signed by the owner and ` +
    `published by a gateway to a random geometric mesh (mean degree 8, seed 1) at ${LOSS * 100}% frame loss, after 30 s of beacons. ` +
    "Every node fetches it from its neighbors (modules/content) and installs it. **Time** runs from publishing to the last node's install; " +
    "**on air** counts every frame sent meanwhile (beacons included) over the image size × the nodes that installed it. " +
    "The **baseline** is the gateway unicasting the whole image to each node along shortest paths, each hop acknowledged " +
    "(1/(1 − loss)² tries per hop), computed on the same graph and loss; its time assumes the gateway sends 16 pieces a second " +
    "(a node's upload budget in the swarm), its first hop being the bottleneck. Malicious nodes: half serve every piece with one bit " +
    "flipped, half advertise every piece and serve none.", "");
  L.push("| mesh | honest nodes installed | wrong installs | time to 100% | on air / (image × nodes) | baseline time | baseline on air / (image × nodes) | bad pieces rejected | wall |");
  L.push("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const c of cases) {
    const r = c.result;
    const per = r.imageBytesDelivered || 1;
    L.push(`| ${c.name} | ${r.installedRight} of ${r.honestReachable} | ${r.installedWrong} | ${secondsOf(r.timeToAllMs)} | ` +
      `${(r.bytesOnAir / per).toFixed(2)}× (${mb(r.bytesOnAir)}) | ${secondsOf(r.baseline.timeToAllMs)} | ` +
      `${(r.baseline.bytesOnAir / per).toFixed(2)}× (${mb(r.baseline.bytesOnAir)}) | ${r.badContentDrops} | ${secondsOf(r.wallMs)} |`);
  }
  L.push("", "Honest nodes counted are those the gateway reaches through honest nodes (a node whose every path runs through " +
    "malicious ones cannot be served). The simulator models no CPU time: on an ESP32 each 1 KB piece costs a secretbox seal and " +
    "open (≈ 0.1–0.24 s projected, docs/protocol.md §Crypto cost), which bounds a board to a few pieces a second whatever the pacing.");
  if (skipped) L.push("", skipped);
  return L.join("\n") + "\n";
}

/** `markdown` with its Content section replaced by (or, if it has none, followed by) `section`. */
export function withContentSection(markdown: string, section: string): string {
  return replaceSection(markdown, CONTENT_HEADING, section) ?? markdown.trimEnd() + "\n\n" + section;
}

const HELP = `Usage: node build/tools/bench-content.js [--quick] [--out FILE]

Sends a 256 KB image to every node of a 100-node and a 500-node mesh (and the 100-node mesh with
10 % of its nodes malicious) and rewrites the "## Content" section of the report, leaving the rest
of the file as it is.

  --quick       the 100-node meshes only
  --out FILE    the report to update (default: BENCHMARKS.md at the repo root)
  -h, --help    this help
`;

/** The command line: rewrites the Content section of `--out` (default BENCHMARKS.md). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runReportTool({
    name: "bench-content", section: CONTENT_HEADING.slice(3), help: HELP, flags: { quick: { type: "boolean" } },
    settings: (v) => v.quick === true,
    rewrite(existing, quick, _command, io) {
      const cases = runContentBench(quick ? [100] : [100, 500], (line) => void io.stderr.write(line + "\n"));
      const section = renderContentSection(cases, quick ? "The 500-node run was skipped (`--quick`)." : null);
      return existing ? withContentSection(existing, section) : section;
    },
  }, argv, io);
}

if (runAsScript(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
