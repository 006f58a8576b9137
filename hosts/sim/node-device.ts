/**
 * The real MeshNode as a SimDevice, with an application beside it: MeshDevice's publishing, or a
 * test's readings or script. The node knows the time, as simulated boards do; the application acts
 * before each tick of the node and wakes it at its own deadlines.
 */
import type { MeshEvent, Transmit } from "../../modules/events.js";
import type { MeshNode } from "../../modules/node.js";
import type { SimDevice } from "./device.js";
import { SIM_EPOCH_SECONDS } from "./sim-epoch.js";

export abstract class NodeDevice implements SimDevice {
  constructor(readonly node: MeshNode) {}

  start(now: number): void {
    // Simulated boards know the time (in the field a gateway or RTC tells them): certificates' windows
    // apply, and a commanding node's restored commands count the time it was off.
    this.node.setWallClock(SIM_EPOCH_SECONDS + Math.floor(now / 1000), now);
    this.node.start(now);
  }

  receive(bytes: Uint8Array, link: unknown, now: number): void {
    this.node.receive(bytes, link, now);
  }

  tick(now: number): void {
    this.act(now);
    this.node.tick(now);
  }

  nextTimeout(): number {
    return Math.min(this.node.nextTimeout(), this.nextActAt());
  }

  pollTransmit(): Transmit | undefined {
    return this.node.pollTransmit();
  }

  pollEvent(): MeshEvent | undefined {
    return this.node.pollEvent();
  }

  /** What the application has due by `now`, done before the node's tick. */
  protected abstract act(now: number): void;

  /** When the application acts next (Infinity: never). */
  protected abstract nextActAt(): number;
}
