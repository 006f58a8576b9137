/**
 * Headless Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
 * download), started with the flags this machine's closed network needs (and a fresh temporary
 * profile, which playwright makes itself). Tests skip with one line
 * when it is not installed (CI installs it: .ci/run).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots the page tests take, kept for people to look at: build/test-artifacts/. */
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-artifacts");

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `skipped: ${CHROMIUM} is not installed (Debian package chromium)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}
