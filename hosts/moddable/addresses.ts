/**
 * IPv4 text helpers for the link: peer lists from the build's config and subnet broadcast addresses.
 * Pure functions, no Moddable import, so they are tested on Node.
 */

/** A UDP endpoint: where a frame came from, or where one goes. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The four octets of a dotted IPv4 address, or undefined when it is not one. */
export function ipv4Octets(address: string): number[] | undefined {
  // A literal here, not a module-level RegExp: the build preloads this module, and a RegExp kept in
  // flash crashes XS when `exec` runs on it (seen in the simulator).
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/**
 * The broadcast address of the subnet `address` sits in. Moddable's `Net` has no netmask getter,
 * so the prefix is an assumption: /24, which is what the ESP32 soft access point uses
 * (192.168.4.0/24) and what almost every small router hands out. Meshes on a wider subnet name
 * their broadcast address in the config (`broadcast`) instead. Undefined for a missing address or
 * 0.0.0.0 (no IP yet).
 */
export function subnetBroadcast(address: string | undefined, prefixBits = 24): string | undefined {
  if (!address) return undefined;
  const o = ipv4Octets(address);
  if (!o || (o[0] === 0 && o[1] === 0 && o[2] === 0 && o[3] === 0)) return undefined;
  if (!Number.isInteger(prefixBits) || prefixBits < 8 || prefixBits > 30) throw new RangeError("prefixBits must be 8..30");
  const ip = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  const host = 2 ** (32 - prefixBits) - 1;
  const b = (ip | host) >>> 0;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}`;
}

/**
 * Parses "ADDR[:PORT],ADDR[:PORT],…" (spaces allowed after commas); a missing port is `defaultPort`.
 * Throws TypeError naming `what` and the bad item.
 */
export function parseEndpoints(text: string, defaultPort: number, what: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const [address, portText, extra] = item.split(":");
    const port = portText === undefined ? defaultPort : Number(portText);
    if (extra !== undefined || !ipv4Octets(address) || !Number.isInteger(port) || port < 1 || port > 65535 ||
        (portText !== undefined && !/^\d+$/.test(portText))) {
      throw new TypeError(`${what} must list IPv4 ADDR or ADDR:PORT separated by commas, got "${item}"`);
    }
    out.push({ address, port });
  }
  return out;
}

export function endpointText(e: Endpoint): string {
  return `${e.address}:${e.port}`;
}
