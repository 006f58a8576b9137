/**
 * Seals payloads into link frames and opens received ones under the network key (docs/protocol.md
 * §Link security). One secretbox per frame each way; no public-key operation.
 */
import type { Crypto } from "../ports.js";
import {
  decodeFrameHeader, encodeFrameHeader, frameNonce, HEADER_BYTES, MAX_PAYLOAD_BYTES, NONCE_BYTES,
  type FrameHeader,
} from "../wire/frame.js";
import { WireError } from "../wire/errors.js";
import { typedArrays } from "../typed-arrays.js";

export class FrameSealer {
  private readonly nonce: Uint8Array;
  private readonly header: Uint8Array;
  /** Frames sealed in this epoch; (id, epoch, counter) never repeats, so neither does the nonce. */
  private counter = 0;

  constructor(
    private readonly crypto: Crypto,
    private readonly networkId: number,
    private readonly networkKey: Uint8Array,
    private readonly selfId: Uint8Array,
    private readonly epoch: number,
  ) {
    if (networkKey.length !== 32) throw new RangeError("network key must be 32 bytes");
    if (!Number.isInteger(networkId) || networkId < 0 || networkId > 0xffffffff) throw new RangeError("network id must be a u32");
    [this.nonce, this.header] = typedArrays([Uint8Array, NONCE_BYTES], [Uint8Array, HEADER_BYTES]);
  }

  /** Returns a sealed frame, or null when the counter space of this epoch is spent (reboot to renew). */
  seal(payload: Uint8Array): Uint8Array | null {
    if (payload.length === 0 || payload.length > MAX_PAYLOAD_BYTES) {
      throw new RangeError(`payload must be 1..${MAX_PAYLOAD_BYTES} bytes`);
    }
    if (this.counter >= 0xffffffff) return null;
    encodeFrameHeader(this.header, this.networkId, this.selfId, this.epoch, this.counter++);
    const box = this.crypto.seal(payload, frameNonce(this.header, this.nonce), this.networkKey);
    const frame = new Uint8Array(HEADER_BYTES + box.length);
    frame.set(this.header);
    frame.set(box, HEADER_BYTES);
    return frame;
  }

  /**
   * Decodes the header into `out` and opens the box. Returns the plaintext, or a WireError.
   * Does not judge the sender or replay: the caller does, after authentication.
   */
  open(frame: Uint8Array, out: FrameHeader): Uint8Array | WireError {
    const error = this.readHeader(frame, out);
    if (error !== WireError.None) return error;
    return this.openBox(frame, out) ?? WireError.AuthFailed;
  }

  /** Decodes the clear header into `out` and checks its network id; no crypto (a receiver judges what it can before the open). */
  readHeader(frame: Uint8Array, out: FrameHeader): WireError {
    const error = decodeFrameHeader(frame, out);
    if (error !== WireError.None) return error;
    return out.networkId === this.networkId ? WireError.None : WireError.WrongNetwork;
  }

  /** Opens the box of `frame`, whose header readHeader decoded into `header`: the plaintext, or null if it was not sealed under the network key. */
  openBox(frame: Uint8Array, header: FrameHeader): Uint8Array | null {
    return this.crypto.open(header.box, frameNonce(frame, this.nonce), this.networkKey);
  }
}
