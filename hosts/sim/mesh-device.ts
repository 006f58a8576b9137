/**
 * A simulated board: the real MeshNode plus the little application the firmware runs on top of it:
 * a message to every node every so often, and a sensor reading for the gateways every so often.
 * A NodeDevice: the node knows the time, its application publishes.
 */
import type { MeshNode } from "../../modules/node.js";
import { NodeDevice } from "./node-device.js";

/** When the application publishes next: the first time strictly after `after` (Infinity: never). */
export type PublishSchedule = (after: number) => number;

export type PublishHook = (origin: string, seq: number, now: number) => void;

/** Every `period` ms from `first` on, none at or after `until`. */
export function periodicSchedule(first: number, period: number, until: number): PublishSchedule {
  return (after: number) => {
    const next = after < first ? first : first + (Math.floor((after - first) / period) + 1) * period;
    return next < until ? next : Infinity;
  };
}

/** The feed sensor name of the simulated readings. */
export const SIM_SENSOR = "temp";

export class MeshDevice extends NodeDevice {
  private nextPublishAt = Infinity;
  private nextReadingAt = Infinity;
  private readonly reading = new Uint8Array(8);

  constructor(
    node: MeshNode,
    private readonly schedule: PublishSchedule | null,
    private readonly onPublish: PublishHook | null,
    private readonly readings: PublishSchedule | null = null,
    private readonly onReading: PublishHook | null = null,
    /** Sends at chosen times (messages to one node), in time order. */
    private readonly sends: { at: number; send(now: number): void }[] = [],
  ) {
    super(node);
  }

  override start(now: number): void {
    super.start(now);
    if (this.schedule) this.nextPublishAt = this.schedule(now - 1);
    if (this.readings) this.nextReadingAt = this.readings(now - 1);
  }

  protected act(now: number): void {
    while (this.sends.length > 0 && now >= this.sends[0].at) this.sends.shift()!.send(now);
    while (now >= this.nextPublishAt) {
      // A stand-in reading: the publish time, as a sensor would stamp it.
      const view = new DataView(this.reading.buffer);
      view.setFloat64(0, now);
      const seq = this.node.publish(this.reading, now);
      this.onPublish?.(this.node.idHex, seq, now);
      this.nextPublishAt = this.schedule ? this.schedule(now) : Infinity;
    }
    while (now >= this.nextReadingAt) {
      // A stand-in temperature: a slow daily wave, so plots show something.
      const seq = this.node.publishReading(SIM_SENSOR, 20 + 5 * Math.sin(now / 3_600_000), now);
      this.onReading?.(this.node.idHex, seq, now);
      this.nextReadingAt = this.readings ? this.readings(now) : Infinity;
    }
  }

  protected nextActAt(): number {
    return Math.min(this.nextPublishAt, this.nextReadingAt, this.sends.length > 0 ? this.sends[0].at : Infinity);
  }
}
