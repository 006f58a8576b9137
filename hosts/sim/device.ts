/**
 * What the simulator drives: the sans-I/O surface of a node. The core's MeshNode satisfies it
 * structurally; tests use small fakes.
 */
import type { MeshEvent, Transmit } from "../../modules/events.js";
import type { Random, Storage } from "../../modules/ports.js";

export interface SimDevice {
  start(now: number): void;
  /** `link` is the sender's node index (a number). `bytes` is shared with other receivers: read only. */
  receive(bytes: Uint8Array, link: unknown, now: number): void;
  tick(now: number): void;
  /** Absolute ms of the next deadline, Infinity if none. */
  nextTimeout(): number;
  /** `to` null: broadcast; otherwise a neighbour's index. The device must not touch `bytes` afterwards. */
  pollTransmit(): Transmit | undefined;
  pollEvent(): MeshEvent | undefined;
}

/** The per-node ports; the same objects are handed to every incarnation of a node. */
export interface DevicePorts {
  readonly random: Random;
  readonly storage: Storage;
}

export type CreateDevice = (index: number, ports: DevicePorts) => SimDevice;
