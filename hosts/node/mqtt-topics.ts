/**
 * The gateway's MQTT names and payloads (docs/protocol.md §MQTT gateway): pure functions, no I/O.
 *
 *   <prefix>/<network>/<node>/<sensor>     a reading, retained: {value, unit, time, seq, verified}
 *   <prefix>/<network>/<node>/status       what the gateway knows of a node (the gateway's own: its health)
 *   <prefix>/<network>/<node>/set/<path>   commands (subscribed; forwarded into the mesh by the bridge)
 *   <prefix>/<network>/<node>/command/<path>   a command's delivery, retained: {seq, state, …}
 *   <discovery>/sensor/<object>/config     Home Assistant MQTT discovery, retained
 *
 * <network> is the network id as 8 hex digits, <node> a node id as 16. A sensor name is printable
 * ASCII; in a topic every character outside [A-Za-z0-9_.-] is written %XX (so `/`, `+` and `#`
 * cannot change the topic's shape), and in a discovery object id `%` and `.` become `_` (Home
 * Assistant allows only [A-Za-z0-9_-] there).
 */
import type { OutboxReading } from "./reading-outbox.js";

/** Units of the sensor names Hyphae nodes use; other sensors are published with unit null. */
const SENSOR_UNITS: Readonly<Record<string, string>> = Object.freeze({
  temperature: "°C",
  humidity: "%",
  pressure: "hPa",
  battery: "%",
  voltage: "V",
  rssi: "dBm",
});

export function sensorUnit(sensor: string): string | null {
  return Object.hasOwn(SENSOR_UNITS, sensor) ? SENSOR_UNITS[sensor] : null;
}

export function networkHex(networkId: number): string {
  return (networkId >>> 0).toString(16).padStart(8, "0");
}

export function topicSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

/** A topic prefix or discovery prefix: one or more levels, no wildcards, no empty level. */
export function isTopicPrefix(prefix: string): boolean {
  return prefix.length > 0 && prefix.length <= 200 && !/[+#\u0000]/.test(prefix) && prefix.split("/").every((level) => level.length > 0);
}

export class GatewayTopics {
  constructor(readonly prefix: string, readonly discoveryPrefix: string, readonly network: string) {}

  reading(node: string, sensor: string): string {
    return `${this.prefix}/${this.network}/${node}/${topicSegment(sensor)}`;
  }

  status(node: string): string {
    return `${this.prefix}/${this.network}/${node}/status`;
  }

  /**
   * Where the delivery of the last command on `<node>/set/<path>` is told. Two levels or more after
   * the node, so no sensor's topic (one level: `/` is escaped) can be it.
   */
  commandState(node: string, path: string): string {
    return `${this.prefix}/${this.network}/${node}/command/${path}`;
  }

  /** Every node's command topics. */
  get commandFilter(): string {
    return `${this.prefix}/${this.network}/+/set/#`;
  }

  /** Home Assistant announces itself here ("online") after a restart: discovery is sent again then. */
  get discoveryStatus(): string {
    return `${this.discoveryPrefix}/status`;
  }

  /** The node a command topic addresses and the path after `set/` (unchecked), or null when `topic` is not one. */
  command(topic: string): { node: string; path: string } | null {
    const head = `${this.prefix}/${this.network}/`;
    if (!topic.startsWith(head)) return null;
    const rest = topic.slice(head.length);
    const slash = rest.indexOf("/");
    if (slash < 0 || !rest.startsWith("/set", slash) || (rest.length > slash + 4 && rest[slash + 4] !== "/")) return null;
    return { node: rest.slice(0, slash), path: rest.slice(slash + 5) };
  }

  objectId(node: string, sensor: string): string {
    return `hyphae_${this.network}_${node}_${topicSegment(sensor).replace(/[%.]/g, "_")}`;
  }

  discovery(node: string, sensor: string): string {
    return `${this.discoveryPrefix}/sensor/${this.objectId(node, sensor)}/config`;
  }

  /**
   * Home Assistant's MQTT discovery config of one sensor: the entity reads `value` from the reading
   * topic, the rest of the payload becomes its attributes, and it belongs to a device per node.
   */
  discoveryConfig(node: string, sensor: string, gateway: string): string {
    const unit = sensorUnit(sensor);
    const config: Record<string, unknown> = {
      name: sensor,
      unique_id: this.objectId(node, sensor),
      state_topic: this.reading(node, sensor),
      value_template: "{{ value_json.value }}",
      json_attributes_topic: this.reading(node, sensor),
      state_class: "measurement",
      device: {
        identifiers: [`hyphae_${this.network}_${node}`],
        name: `Hyphae ${node}`,
        manufacturer: "Hyphae",
        model: "mesh node",
        ...(node === gateway ? {} : { via_device: `hyphae_${this.network}_${gateway}` }),
      },
    };
    if (unit !== null) config.unit_of_measurement = unit;
    return JSON.stringify(config);
  }
}

export function readingPayload(r: OutboxReading): string {
  return JSON.stringify({ value: r.value, unit: sensorUnit(r.sensor), time: r.time, seq: r.seq, verified: r.verified });
}
