/**
 * Private networks of Linux network namespaces for tests: a hub namespace holding one bridge per
 * subnet, and per node a namespace with its loopback up and a veth into the bridge of each subnet it
 * joins, addressed `<base>.<subnet>.<node>/24` with the subnet's broadcast. Nothing is added to the
 * machine's own network; every namespace is named with the test's prefix and deleted by `delete`.
 * Needs root and iproute2 (as in CI).
 */
import { execFileSync, spawnSync } from "node:child_process";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** Why namespaces cannot be made here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return "needs root on Linux";
  if (spawnSync("ip", ["netns", "list"], { stdio: "ignore" }).status !== 0) return "needs iproute2 (`ip netns`)";
  return null;
}

export class BridgedNetwork {
  /**
   * `subnets`: name → third address byte; `members[i - 1]`: the subnets node i joins; `base`: the
   * first two address bytes (a private range, e.g. "10.77").
   */
  constructor(readonly prefix: string, readonly base: string, readonly subnets: Readonly<Record<string, number>>,
      readonly members: readonly (readonly string[])[]) {}

  /** Node i's namespace (1-based). */
  ns(i: number): string {
    return `${this.prefix}n${i}`;
  }

  /** `ip netns exec` for node i: prefix a command with it. */
  exec(i: number): string[] {
    return ["ip", "netns", "exec", this.ns(i)];
  }

  address(i: number, subnet: string): string {
    return `${this.base}.${this.subnets[subnet]}.${i}`;
  }

  broadcast(subnet: string): string {
    return `${this.base}.${this.subnets[subnet]}.255`;
  }

  private get hub(): string {
    return `${this.prefix}hub`;
  }

  build(): void {
    ip("netns", "add", this.hub);
    for (const s of Object.keys(this.subnets)) {
      ip("-n", this.hub, "link", "add", `br${s}`, "type", "bridge");
      ip("-n", this.hub, "link", "set", `br${s}`, "up");
    }
    this.members.forEach((subnets, k) => {
      const i = k + 1;
      ip("netns", "add", this.ns(i));
      ip("-n", this.ns(i), "link", "set", "lo", "up");
      for (const s of subnets) {
        ip("link", "add", `v${s}`, "netns", this.ns(i), "type", "veth", "peer", "name", `p${i}${s}`, "netns", this.hub);
        ip("-n", this.hub, "link", "set", `p${i}${s}`, "master", `br${s}`, "up");
        ip("-n", this.ns(i), "addr", "add", `${this.address(i, s)}/24`, "brd", "+", "dev", `v${s}`);
        ip("-n", this.ns(i), "link", "set", `v${s}`, "up");
      }
    });
  }

  /** Deletes every namespace (the veths and bridges go with them); safe to call after a failed build. */
  delete(): void {
    for (const name of [this.hub, ...this.members.map((_, k) => this.ns(k + 1))]) spawnSync("ip", ["netns", "del", name], { stdio: "ignore" });
  }
}
