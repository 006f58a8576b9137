/**
 * NodeDriver: the loop every host runs around a MeshNode, written once.
 *
 * A host binds three things: a link that sends frames, a wake-up call that (re)arms its one timer, and
 * an event sink for the application. It then forwards what happens to it:
 *   frame arrives  → driver.receive(bytes, from, now)
 *   timer fires    → driver.tick(now)
 *   app publishes  → driver.publish(payload, now) (to every node) or
 *                    driver.publishReading(sensor, value, now) (to a gateway, exactly once)
 *   a tool seeds   → driver.publishContent(manifest, pieces, now)
 *   a gateway commands → driver.sendCommand(target, path, value, now) (one node, signed)
 * After each call the driver sends every queued frame, hands every event to the sink, and asks the host
 * to wake it at the node's next deadline. `now` is the host's monotonic milliseconds, never decreasing.
 */
import type { ManifestStatus } from "./content/content-manifest.js";
import type { MeshEvent } from "./events.js";
import type { MeshNode } from "./node.js";

export interface Link {
  /** Sends one frame; `to` null is link-local broadcast, otherwise the address a frame came from. */
  send(bytes: Uint8Array, to: unknown | null): void;
}

export interface DriverHost {
  link: Link;
  /** Arms the host's timer for `at` (absolute ms on the same clock as `now`), replacing the last one. */
  wakeAt(at: number): void;
  onEvent(event: MeshEvent): void;
}

export class NodeDriver {
  /** The deadline last handed to the host; Infinity when nothing is due. */
  private armedAt = Infinity;

  constructor(readonly node: MeshNode, private readonly host: DriverHost) {}

  start(now: number): void {
    this.node.start(now);
    this.settle();
  }

  receive(bytes: Uint8Array, from: unknown, now: number): void {
    this.node.receive(bytes, from, now);
    this.settle();
  }

  tick(now: number): void {
    this.node.tick(now);
    this.settle();
  }

  publish(payload: Uint8Array, now: number): number {
    const seq = this.node.publish(payload, now);
    this.settle();
    return seq;
  }

  publishReading(sensor: string, value: number, now: number): number {
    const seq = this.node.publishReading(sensor, value, now);
    this.settle();
    return seq;
  }

  /** Sends a signed command to one node (MeshNode.sendCommand, which throws without the right). */
  sendCommand(target: Uint8Array, path: string, value: Uint8Array, now: number): number {
    const seq = this.node.sendCommand(target, path, value, now);
    this.settle();
    return seq;
  }

  /** Seeds owner-signed content (MeshNode.publishContent); null when the node has no content store. */
  publishContent(manifest: Uint8Array, pieces: readonly Uint8Array[], now: number): ManifestStatus | null {
    const status = this.node.publishContent(manifest, pieces, now);
    this.settle();
    return status;
  }

  /** Drains frames and events, then re-arms the timer only when the deadline moved. */
  private settle(): void {
    const { link, onEvent } = this.host;
    for (let t = this.node.pollTransmit(); t; t = this.node.pollTransmit()) link.send(t.bytes, t.to);
    for (let e = this.node.pollEvent(); e; e = this.node.pollEvent()) onEvent(e);
    const at = this.node.nextTimeout();
    if (at !== this.armedAt) {
      this.armedAt = at;
      this.host.wakeAt(at);
    }
  }
}
