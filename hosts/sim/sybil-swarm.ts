/**
 * The Sybil attack in the simulator: a few attacker radios that hold the network key (read out of a
 * board's flash) but no certificate the owner signed, speaking as many fake identities. Each fake
 * HELLO carries a certificate signed by the attacker's own key, or none; each frame also carries a
 * gossip message from the fake identity. The honest mesh publishes as usual. Measures what the swarm
 * got: fake identities admitted anywhere (neighbors, delivered messages) — target 0 — and the
 * honest delivery next to it, and what it cost the honest nodes in signature verifies.
 */
import { createNodeConfig } from "../../modules/config.js";
import type { MeshEvent, Transmit } from "../../modules/events.js";
import { issueCertificate, Role } from "../../modules/identity/certificate.js";
import { FrameSealer } from "../../modules/link/frame-sealer.js";
import { MeshNode } from "../../modules/node.js";
import { encodeGossip, GossipKind } from "../../modules/wire/gossip.js";
import { encodeHello } from "../../modules/wire/hello.js";
import { RECORD_HEADER_BYTES, RecordType, writeRecord } from "../../modules/wire/records.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../node/node-crypto.js";
import { CountingCrypto } from "./counting-crypto.js";
import type { SimDevice } from "./device.js";
import { HonestDelivery } from "./honest-delivery.js";
import { MeshDevice, periodicSchedule } from "./mesh-device.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "./provision.js";
import { Rng } from "./rng.js";
import { Simulator } from "./simulator.js";
import { randomGeometricGraph } from "./topology.js";

export interface SybilResult {
  identities: number;
  framesSent: number;
  /** Fake identities that became anyone's neighbor, or whose message anyone delivered. */
  admitted: number;
  honestDelivery: number;
  /** Signature verifies the honest nodes spent on fake certificates, per honest node per minute. */
  verifiesPerNodeMinute: number;
}

/** An attacker radio: every `everyMs`, one frame as the next of its fake identities. */
class SybilRadio implements SimDevice {
  private next = Infinity;
  private k = 0;
  private readonly out: Transmit[] = [];
  sent = 0;

  constructor(private readonly frames: () => Uint8Array, private readonly everyMs: number) {}

  start(now: number): void {
    this.next = now + this.everyMs;
  }
  receive(): void {}
  tick(now: number): void {
    while (now >= this.next) {
      this.out.push({ bytes: this.frames(), to: null });
      this.sent++;
      this.k++;
      this.next += this.everyMs;
    }
  }
  nextTimeout(): number {
    return this.next;
  }
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollEvent(): MeshEvent | undefined {
    return undefined;
  }
}

export function runSybilSwarm(opts: { nodes: number; attackers: number; identities: number; seed: number; durationMs: number }): SybilResult {
  const { nodes, attackers, identities, seed, durationMs } = opts;
  const total = nodes + attackers;
  const topology = randomGeometricGraph({ nodes: total, averageDegree: 8, seed });
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng.fork("keys"));
  const attackerKey = nodeKeyPairFromSeed(new Uint8Array(32).fill(0x5b));
  const config = createNodeConfig({ hopLimit: 255 });
  const crypto = new CountingCrypto(nodeCrypto, false);
  // The fake identities, each with a certificate the attacker signed for itself.
  const fakes = Array.from({ length: identities }, (_, i) => {
    const pair = nodeKeyPairFromSeed(Uint8Array.from({ length: 32 }, (_, b) => (i * 31 + b * 7 + 1) & 255));
    const id = nodeCrypto.sha512(pair.publicKey).slice(0, 8);
    const certificate = issueCertificate(nodeCrypto, attackerKey.secretKey, {
      networkId: keys.networkId, publicKey: pair.publicKey, role: Role.Relay, notBefore: SIM_EPOCH_SECONDS, notAfter: SIM_EPOCH_SECONDS + 1e8,
    });
    return { id, certificate, sealer: new FrameSealer(nodeCrypto, keys.networkId, keys.networkKey, id, 1), seq: 0 };
  });
  const fakeIds = new Set(fakes.map((f) => Buffer.from(f.id).toString("hex")));
  let cursor = 0;
  const forge = (): Uint8Array => {
    const f = fakes[cursor++ % fakes.length];
    const withCertificate = f.seq % 2 === 0;
    const hello = encodeHello(f.seq & 0xffff, config.beaconIntervalMs, 0, withCertificate ? f.certificate : null, []);
    const gossip = encodeGossip(f.id, ++f.seq, GossipKind.Data, 0, 32, Uint8Array.of(0xba, 0xad));
    const payload = new Uint8Array(2 * RECORD_HEADER_BYTES + hello.length + gossip.length);
    writeRecord(payload, writeRecord(payload, 0, RecordType.Hello, hello), RecordType.Gossip, gossip);
    return f.sealer.seal(payload)!;
  };

  const up = new Uint8Array(total);
  up.fill(1, 0, nodes);
  const delivery = new HonestDelivery(topology.neighbors, up);
  let admitted = 0;
  const radios: SybilRadio[] = [];
  const sim = new Simulator({
    topology, seed, radio: { loss: 0.1 },
    createDevice: (i, ports) => {
      if (i >= nodes) {
        const radio = new SybilRadio(forge, Math.max(1, Math.round(config.beaconIntervalMs / (identities / attackers))));
        radios.push(radio);
        return radio;
      }
      const node = new MeshNode(provisionNode(keys, rng.fork("node").fork(i)), { crypto, random: ports.random, storage: ports.storage }, config);
      const schedule = periodicSchedule(20_000 + ((i * 997) % 60_000), 60_000, durationMs - 20_000);
      return new MeshDevice(node, schedule, (origin, seq) => delivery.publishedBy(i, `${origin}:${seq}`));
    },
    onEvent: (i, e) => {
      if (e.type === "message") {
        if (fakeIds.has(e.origin)) admitted++;
        delivery.receivedAt(i, `${e.origin}:${e.seq}`);
      } else if (e.type === "neighbor-up" && fakeIds.has(e.id)) {
        admitted++;
      }
    },
  });
  sim.startAll(0);
  sim.runUntil(durationMs);
  return {
    identities,
    framesSent: radios.reduce((a, r) => a + r.sent, 0),
    admitted,
    honestDelivery: delivery.ratio(),
    verifiesPerNodeMinute: crypto.counts.verify / nodes / (durationMs / 60_000),
  };
}
