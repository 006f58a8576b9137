/**
 * The driver's Link on the board: one ECMA-419 UDP socket (`embedded:io/socket/udp`) bound to the
 * mesh port. The one place in the firmware that knows sockets.
 *
 * A frame for everyone (`to` null) goes to each of the link's targets; which targets, the caller
 * decides, and the core never knows:
 *   - on the ESP32, the subnet broadcast address of each interface that has an IP (station and
 *     soft access point: both in AP+STA mode), recomputed whenever Wi-Fi changes (`setTargets`);
 *   - on the desktop simulator, whose UDP cannot broadcast (no SO_BROADCAST) or join a multicast
 *     group, every configured peer address and port (unicast fan-out).
 * A frame for one neighbor goes back to the address and port it came from.
 *
 * Reading: the ECMA-419 socket queues datagrams without bound on the ESP32 (lwIP) and up to 100 on
 * the desktop, and signals `onReadable`; every signal drains the whole queue, so nothing waits for a
 * next signal that may not come. Each datagram is its own ArrayBuffer, so the core may keep views.
 * Our own broadcasts come back to us on the ESP32: they are dropped here, before any crypto.
 *
 * Writing never throws out of here: a failed `write` (no route yet, interface down) is counted and
 * reported through `onError`, at most once per `ERROR_REPORT_MS`, and the mesh repairs the loss.
 */
import UDP from "embedded:io/socket/udp";
import type { Link } from "../../modules/driver.js";
import { type Endpoint, endpointText } from "./addresses.js";

/** A sender as the socket reported it; the core keeps it as the neighbor's link and may send back to it. */
export class UdpPeer implements Endpoint {
  constructor(readonly address: string, readonly port: number) {}

  toString(): string {
    return endpointText(this);
  }
}

/** The node's sameLink (NodePorts): each datagram brings a new UdpPeer, so the same sender is the same address and port. */
export function samePeer(a: unknown, b: unknown): boolean {
  return a instanceof UdpPeer && b instanceof UdpPeer && a.port === b.port && a.address === b.address;
}

export interface UdpLinkOptions {
  /** The mesh port, bound on all interfaces. */
  port: number;
  onFrame(bytes: Uint8Array, from: UdpPeer): void;
  onError(message: string): void;
  /** Monotonic ms, for rate-limiting error reports. */
  now(): number;
}

type Datagram = ArrayBuffer & { address: string; port: number };

/** Socket errors are reported at most this often; the counters keep the total. */
const ERROR_REPORT_MS = 10_000;

export class UdpLink implements Link {
  readonly counters = { datagramsIn: 0, framesOut: 0, ownDropped: 0, sendErrors: 0, notOpen: 0 };
  private socket: UDP | undefined;
  private targets: Endpoint[] = [];
  /** Our interface addresses: a datagram from one of them on our port is our own broadcast. */
  private own: string[] = [];
  private errorReportedAt = -Infinity;

  constructor(private readonly options: UdpLinkOptions) {}

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /**
   * Binds the socket. On the ESP32 call it once the network is up (Wi-Fi has an IP or the access
   * point runs): lwIP is started with Wi-Fi. Throws when the port cannot be bound.
   */
  open(): void {
    if (this.socket) return;
    const link = this;
    this.socket = new UDP({
      port: this.options.port,
      onReadable(this: UDP) {
        link.drain(this);
      },
    });
  }

  /** Where frames for everyone go; `own` lists this node's addresses (to drop our own broadcasts). */
  setTargets(targets: readonly Endpoint[], own: readonly string[] = []): void {
    this.own = own.slice();
    // A peer list shared by every node includes this node itself: never send to ourselves.
    this.targets = targets.filter((t) => !(t.port === this.options.port && this.isOwnAddress(t.address)));
  }

  get targetList(): string[] {
    return this.targets.map(endpointText);
  }

  send(bytes: Uint8Array, to: unknown | null): void {
    const socket = this.socket;
    if (!socket) {
      this.counters.notOpen++;
      return;
    }
    if (to === null) {
      for (const t of this.targets) this.write(socket, bytes, t.address, t.port);
    } else if (to instanceof UdpPeer) {
      this.write(socket, bytes, to.address, to.port);
    } else {
      this.report(`send: unicast target is not a UDP sender: ${String(to)}`);
    }
  }

  private isOwnAddress(address: string): boolean {
    return address.startsWith("127.") || this.own.includes(address);
  }

  private drain(socket: UDP): void {
    const port = this.options.port;
    for (;;) {
      const d = socket.read() as Datagram | undefined;
      if (d === undefined) return;
      this.counters.datagramsIn++;
      if (d.port === port && this.own.includes(d.address)) {
        this.counters.ownDropped++;
        continue;
      }
      this.options.onFrame(new Uint8Array(d), new UdpPeer(d.address, d.port));
    }
  }

  private write(socket: UDP, bytes: Uint8Array, address: string, port: number): void {
    try {
      socket.write(bytes, address, port);
      this.counters.framesOut++;
    } catch (e) {
      this.counters.sendErrors++;
      this.report(`send to ${address}:${port}: ${(e as Error).message}`);
    }
  }

  private report(message: string): void {
    const now = this.options.now();
    if (now - this.errorReportedAt < ERROR_REPORT_MS) return;
    this.errorReportedAt = now;
    this.options.onError(`${message} (${this.counters.sendErrors} send errors so far)`);
  }
}
