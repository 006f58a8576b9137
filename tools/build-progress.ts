/**
 * The progress bar of `hyphae firmware build`, fed the build's output line by line.
 *
 * mcconfig's makefiles announce each step on a line of its own ("# cc xsAll.c", "# xsc
 * tweetnacl.xsb", "# tsc node.ts", "# ld mc.so"), and `make -n` prints the same announcements for
 * exactly the steps a build is about to run, so their count is the bar's total: about 300 for a first
 * build, a handful when only a node's config changed. An ESP32 build then runs ESP-IDF, whose ninja
 * counts its own steps ("[12/980] Building C object …"): that counter takes over the bar.
 */
import type { Writer } from "./cli.js";
import { ProgressBar, type ProgressOptions } from "./progress-bar.js";

/** The tools a Moddable makefile announces (`ar`: the ESP32 archive of the XS part). */
const TOOLS = "cc|xsc|tsc|xsid|xsl|mcrez|ld|ar";
/** A step as the build prints it. */
const STEP = new RegExp(`^# (?:${TOOLS}) `);
/** A step as `make -n` prints its announcement: echo '# xsc Resource.xsb', echo "# cc" xsAll.c. */
const PLANNED_STEP = new RegExp(`^echo ['"]# (?:${TOOLS})\\b`, "gm");
/** ninja's default status prefix, as ESP-IDF's build prints it. */
const NINJA_STEP = /^\[(\d+)\/(\d+)\] /;

const LABEL = "hyphae firmware";

/** The steps a build will run, counted in the output of `make -n` on its makefile. */
export function plannedSteps(dryRun: string): number {
  return dryRun.match(PLANNED_STEP)?.length ?? 0;
}

/** The bar's timing; tests draw every step. */
export type BarTiming = Pick<ProgressOptions, "clock" | "delayMs" | "intervalMs">;

export class BuildProgress {
  private bar: ProgressBar | null;
  private done = 0;
  private current = "";
  private ninja: ProgressBar | null = null;

  /** `steps`: plannedSteps of the build's dry run; 0 when unknown (no bar until ESP-IDF's). */
  constructor(private readonly stream: Writer, steps: number, private readonly timing: BarTiming = {}) {
    this.bar = steps > 0 ? this.newBar(steps, (done, total) => `${done} of ${total} steps · ${this.current}`) : null;
  }

  line(text: string): void {
    if (STEP.test(text)) {
      this.done++;
      this.current = text.slice(2);
      this.bar?.update(this.done);
      return;
    }
    const ninja = NINJA_STEP.exec(text);
    if (!ninja) return;
    const [done, total] = [Number(ninja[1]), Number(ninja[2])];
    if (!this.ninja) {
      this.bar?.finish();
      this.bar = null;
      this.ninja = this.newBar(total, (n, t) => `ESP-IDF: ${n} of ${t} steps`);
    }
    this.ninja.update(done);
  }

  /** Erases the bar. */
  finish(): void {
    this.bar?.finish();
    this.ninja?.finish();
  }

  private newBar(total: number, describe: ProgressOptions["describe"]): ProgressBar {
    return new ProgressBar(this.stream, { label: LABEL, total, describe, ...this.timing });
  }
}
