/** A simulated board that runs a test's script on its node: each step at its time, in order, before the node's tick. */
import type { MeshNode } from "../../modules/node.js";
import { NodeDevice } from "../../hosts/sim/node-device.js";

export interface ScriptStep {
  at: number;
  run(node: MeshNode, now: number): void;
}

export class ScriptedBoard extends NodeDevice {
  private step = 0;

  constructor(node: MeshNode, private readonly script: readonly ScriptStep[]) {
    super(node);
  }

  protected act(now: number): void {
    while (this.step < this.script.length && this.script[this.step].at <= now) this.script[this.step++].run(this.node, now);
  }

  protected nextActAt(): number {
    return this.script[this.step]?.at ?? Infinity;
  }
}
