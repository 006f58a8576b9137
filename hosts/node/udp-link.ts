/**
 * The driver's Link on a UDP socket: every node binds the same mesh port, broadcasts frames to each
 * configured broadcast address (a node on two interfaces serves two subnets) and sends unicast only
 * back to a sender it heard. Frames are datagrams as they are, one frame each.
 *
 * Bind to 0.0.0.0 (the default) to hear broadcasts: on Linux a socket bound to a unicast address
 * receives only datagrams sent to that address. We hear our own broadcasts back; the core drops them
 * (counted as `self`).
 *
 * Socket errors never throw out of here: they go to `onError`, and the link keeps running.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { Link } from "../../modules/driver.js";
import { type Random, unitFloat } from "../../modules/ports.js";

/** A sender as the socket reported it: the core keeps it as the neighbor's link, and may send back to it. */
export class UdpPeer {
  constructor(readonly address: string, readonly port: number) {}

  toString(): string {
    return `${this.address}:${this.port}`;
  }
}

/** The node's sameLink (NodePorts): each datagram brings a new UdpPeer, so the same sender is the same address and port. */
export function samePeer(a: unknown, b: unknown): boolean {
  return a instanceof UdpPeer && b instanceof UdpPeer && a.port === b.port && a.address === b.address;
}

/** A broadcast destination; without a port, the mesh port (the one the link is bound to). */
export interface UdpDestination {
  address: string;
  port?: number;
}

export interface UdpLinkOptions {
  /** The mesh port; 0 lets the system pick (tests). */
  port: number;
  /** Local IPv4 address to bind; default 0.0.0.0 (all interfaces, broadcasts heard). */
  bind?: string;
  broadcast: readonly UdpDestination[];
  /**
   * Test and diagnostic option: each received datagram is discarded with this probability before
   * the core sees it (injected loss on links that lose nothing, such as loopback or veth).
   */
  dropProbability?: number;
  /** Draws the injected drops; seeded by the caller so the loss pattern is reproducible. Required with a drop probability. */
  dropRandom?: Random;
  onFrame(bytes: Uint8Array, from: UdpPeer): void;
  onError(message: string): void;
}

export class UdpLink implements Link {
  readonly counters = { datagramsIn: 0, injectedDrops: 0, sendErrors: 0 };
  private closed = false;

  private constructor(private readonly socket: Socket, private readonly options: UdpLinkOptions) {}

  /** Binds the socket; rejects when the address or port cannot be bound. */
  static async open(options: UdpLinkOptions): Promise<UdpLink> {
    const p = options.dropProbability ?? 0;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropProbability must be between 0 and 1, got ${p}`);
    if (p > 0 && !options.dropRandom) throw new TypeError("dropProbability needs a dropRandom");
    const socket = createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ port: options.port, address: options.bind ?? "0.0.0.0" }, () => {
        socket.off("error", reject);
        resolve();
      });
    }).catch((e: Error) => {
      socket.close();
      throw new Error(`cannot bind UDP ${options.bind ?? "0.0.0.0"}:${options.port}: ${e.message}`);
    });
    socket.setBroadcast(true);
    const link = new UdpLink(socket, options);
    socket.on("message", (msg, rinfo) => link.onMessage(msg, rinfo));
    socket.on("error", (e) => options.onError(`udp socket: ${e.message}`));
    return link;
  }

  /** The bound address and port. */
  get local(): UdpPeer {
    const a = this.socket.address();
    return new UdpPeer(a.address, a.port);
  }

  /** Broadcast destinations with the mesh port filled in, as "address:port". */
  get broadcastTargets(): string[] {
    return this.options.broadcast.map((d) => `${d.address}:${d.port ?? this.local.port}`);
  }

  send(bytes: Uint8Array, to: unknown | null): void {
    if (this.closed) return;
    if (to === null) {
      const port = this.local.port;
      for (const d of this.options.broadcast) this.sendTo(bytes, d.address, d.port ?? port);
    } else if (to instanceof UdpPeer) {
      this.sendTo(bytes, to.address, to.port);
    } else {
      this.options.onError(`send: unicast target is not a UDP sender: ${String(to)}`);
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private sendTo(bytes: Uint8Array, address: string, port: number): void {
    const fail = (e: Error): void => {
      this.counters.sendErrors++;
      this.options.onError(`send to ${address}:${port}: ${e.message}`);
    };
    try {
      this.socket.send(bytes, port, address, (e) => e && fail(e));
    } catch (e) {
      fail(e as Error);
    }
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.datagramsIn++;
    const { dropProbability = 0, dropRandom } = this.options;
    if (dropProbability > 0 && unitFloat(dropRandom!) < dropProbability) {
      this.counters.injectedDrops++;
      return;
    }
    // Each datagram arrives in a buffer of its own, so the core may keep a view of it.
    this.options.onFrame(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), new UdpPeer(rinfo.address, rinfo.port));
  }
}
