/**
 * A simulated board that takes a sensor reading ("temp": the time in s) every `periodMs` from
 * `firstAt` while `publishing(now)` says so, and hands each one's seq to `onReading`. Every boot is
 * a new board: a test that reboots one chooses when the new one's first reading is due.
 */
import type { MeshNode } from "../../modules/node.js";
import { NodeDevice } from "../../hosts/sim/node-device.js";

export interface Readings {
  firstAt: number;
  periodMs: number;
  publishing(now: number): boolean;
  onReading(seq: number, now: number): void;
}

export class ReadingBoard extends NodeDevice {
  private nextAt: number;

  constructor(node: MeshNode, private readonly readings: Readings) {
    super(node);
    this.nextAt = readings.firstAt;
  }

  protected act(now: number): void {
    for (; now >= this.nextAt; this.nextAt += this.readings.periodMs) {
      if (this.readings.publishing(now)) this.readings.onReading(this.node.publishReading("temp", now / 1000, now), now);
    }
  }

  protected nextActAt(): number {
    return this.nextAt;
  }
}
