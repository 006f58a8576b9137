/**
 * An insider (the network key, its own owner-signed certificate, no MeshNode) that broadcasts
 * hand-made frames at its script's times: each a HELLO, so that its neighbors admit it, and the
 * records of `type` the step makes.
 */
import type { MeshEvent, Transmit } from "../../modules/events.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import type { Provisioning } from "../../modules/node.js";
import { encodeHello } from "../../modules/wire/hello.js";
import { RecordType, RECORD_HEADER_BYTES, writeRecord } from "../../modules/wire/records.js";
import { nodeCrypto as crypto } from "../../hosts/node/node-crypto.js";
import type { SimDevice } from "../../hosts/sim/device.js";

export interface InsiderStep {
  at: number;
  records(): Uint8Array[];
}

/** A frame sealed by `sealer`: the HELLO record `hello`, then `records`, each of `type`. */
export function helloFrame(sealer: FrameSealer, hello: Uint8Array, type: RecordType, records: readonly Uint8Array[]): Uint8Array {
  const payload = new Uint8Array(records.reduce((n, r) => n + RECORD_HEADER_BYTES + r.length, RECORD_HEADER_BYTES + hello.length));
  let at = writeRecord(payload, 0, RecordType.Hello, hello);
  for (const r of records) at = writeRecord(payload, at, type, r);
  return sealer.seal(payload)!;
}

export class ScriptedInsider implements SimDevice {
  private readonly sealer: FrameSealer;
  private readonly out: Transmit[] = [];
  private step = 0;

  constructor(private readonly provisioning: Provisioning, private readonly type: RecordType, private readonly script: readonly InsiderStep[]) {
    this.sealer = new FrameSealer(crypto, provisioning.networkId, provisioning.networkKey, nodeIdOf(crypto, provisioning.secretKey.subarray(32)), 1);
  }

  start(): void {}

  receive(): void {}

  tick(now: number): void {
    for (; this.step < this.script.length && this.script[this.step].at <= now; this.step++) {
      const hello = encodeHello(this.step, 2000, 0, this.provisioning.certificate, []);
      this.out.push({ bytes: helloFrame(this.sealer, hello, this.type, this.script[this.step].records()), to: null });
    }
  }

  nextTimeout(): number {
    return this.script[this.step]?.at ?? Infinity;
  }

  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }

  pollEvent(): MeshEvent | undefined {
    return undefined;
  }
}
