/**
 * The simulator's crypto port: the host's fastest implementation, with every call counted (the
 * report's "crypto operations" are what the boards would compute) and with repeated work shared.
 *
 * Sharing is sound because the radio hands the same frame buffer to every receiver (radio.ts): when
 * eight neighbors open one broadcast, the bytes, nonce and key are identical, so the first result
 * is the result. Hits are checked on content, not just on identity, so a memo can never answer for
 * different bytes.
 */
import { equalBytes } from "../../modules/bytes.js";
import type { Crypto } from "../../modules/ports.js";

export interface CryptoCounts {
  sha512: number;
  sign: number;
  verify: number;
  seal: number;
  open: number;
}

interface OpenMemo {
  byteOffset: number;
  length: number;
  key: Uint8Array;
  nonce: Uint8Array;
  result: Uint8Array | null;
}

interface VerifyMemo {
  byteOffset: number;
  publicKey: Uint8Array;
  message: Uint8Array;
  result: boolean;
}

export class CountingCrypto implements Crypto {
  readonly counts: CryptoCounts = { sha512: 0, sign: 0, verify: 0, seal: 0, open: 0 };
  private readonly opened = new WeakMap<ArrayBufferLike, OpenMemo>();
  private readonly verified = new WeakMap<ArrayBufferLike, VerifyMemo>();

  /** `share` false: every call reaches `inner` (real per-node cost, e.g. inside XS); only counted. */
  constructor(private readonly inner: Crypto, private readonly share = true) {}

  sha512(data: Uint8Array): Uint8Array {
    this.counts.sha512++;
    return this.inner.sha512(data);
  }

  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    this.counts.sign++;
    return this.inner.sign(message, secretKey);
  }

  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
    this.counts.verify++;
    if (!this.share) return this.inner.verify(message, signature, publicKey);
    const memo = this.verified.get(signature.buffer);
    if (memo && memo.byteOffset === signature.byteOffset && equalBytes(memo.publicKey, publicKey) &&
        equalBytes(memo.message, message)) {
      return memo.result;
    }
    const result = this.inner.verify(message, signature, publicKey);
    this.verified.set(signature.buffer, { byteOffset: signature.byteOffset, publicKey, message: message.slice(), result });
    return result;
  }

  seal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    this.counts.seal++;
    return this.inner.seal(plaintext, nonce, key);
  }

  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    this.counts.open++;
    if (!this.share) return this.inner.open(box, nonce, key);
    const memo = this.opened.get(box.buffer);
    if (memo && memo.byteOffset === box.byteOffset && memo.length === box.length &&
        equalBytes(memo.key, key) && equalBytes(memo.nonce, nonce)) {
      return memo.result;
    }
    const result = this.inner.open(box, nonce, key);
    this.opened.set(box.buffer, { byteOffset: box.byteOffset, length: box.length, key, nonce: nonce.slice(), result });
    return result;
  }
}
