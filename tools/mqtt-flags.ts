/**
 * Flags the MQTT tools share (`hyphae gateway`, `hyphae monitor`): the broker address and topic
 * prefixes, checked with a UsageError that names the flag and the rule.
 */
import { isTopicPrefix } from "../hosts/node/mqtt-topics.js";
import { integerFlag, UsageError } from "./cli.js";

export const DEFAULT_MQTT_PORT = 1883;

/** HOST, HOST:PORT or [IPv6]:PORT. */
export function brokerFlag(value: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::([^:]*))?$/.exec(value.trim());
  if (!match || match[1].length === 0) throw new UsageError(`--mqtt must be HOST or HOST:PORT, got ${JSON.stringify(value)}`);
  const host = match[1].replace(/^\[|\]$/g, "");
  return { host, port: match[2] === undefined ? DEFAULT_MQTT_PORT : integerFlag("--mqtt port", match[2], 1, 65535) };
}

/** A topic prefix: one or more levels, no wildcards, no empty level. */
export function prefixFlag(flag: string, value: string): string {
  if (!isTopicPrefix(value)) throw new UsageError(`${flag} must be topic levels without + or # or empty levels, got ${JSON.stringify(value)}`);
  return value;
}
