/**
 * The simulator's crypto port: the host's fastest implementation, with every call counted (the
 * report's "crypto operations" are what the boards would compute) and with repeated work shared.
 *
 * Sharing is sound because the radio hands the same frame buffer to every receiver (radio.ts): when
 * eight neighbors open one broadcast, the bytes, nonce and key are identical, so the first result
 * is the result. The first open of a frame is shared with its seal: secretbox is deterministic, so
 * a box that is byte for byte the one `seal` produced under the same nonce and key opens to the
 * plaintext that was sealed. Hits are checked on content, not just on identity, so a memo can never
 * answer for different bytes: a wrong key, nonce or a tampered box still reaches the real `open`.
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

interface SealMemo {
  box: Uint8Array;
  key: Uint8Array;
  nonce: Uint8Array;
  plaintext: Uint8Array;
}

interface VerifyMemo {
  byteOffset: number;
  publicKey: Uint8Array;
  message: Uint8Array;
  result: boolean;
}

/**
 * Seals remembered until their first open. A frame is opened a few ms after it is sealed; one whose
 * every reception was lost is never opened and ages out, oldest first.
 */
const SEALS_REMEMBERED = 4096;

/** A 32-bit hash of a nonce: the seal memo's key (hits are then checked on content). */
function nonceHash(nonce: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < nonce.length; i++) h = Math.imul(h ^ nonce[i], 0x01000193);
  return h >>> 0;
}

export class CountingCrypto implements Crypto {
  readonly counts: CryptoCounts = { sha512: 0, sign: 0, verify: 0, seal: 0, open: 0 };
  private readonly opened = new WeakMap<ArrayBufferLike, OpenMemo>();
  private readonly sealed = new Map<number, SealMemo>();
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
    const box = this.inner.seal(plaintext, nonce, key);
    if (this.share) {
      const sealed = this.sealed;
      if (sealed.size >= SEALS_REMEMBERED) sealed.delete(sealed.keys().next().value as number);
      // Copies: the caller may reuse its nonce and plaintext buffers, and owns the box.
      sealed.set(nonceHash(nonce), { box: box.slice(), key: key.slice(), nonce: nonce.slice(), plaintext: plaintext.slice() });
    }
    return box;
  }

  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    this.counts.open++;
    if (!this.share) return this.inner.open(box, nonce, key);
    const memo = this.opened.get(box.buffer);
    if (memo && memo.byteOffset === box.byteOffset && memo.length === box.length &&
        equalBytes(memo.key, key) && equalBytes(memo.nonce, nonce)) {
      return memo.result;
    }
    const result = this.sealedPlaintext(box, nonce, key) ?? this.inner.open(box, nonce, key);
    this.opened.set(box.buffer, { byteOffset: box.byteOffset, length: box.length, key, nonce: nonce.slice(), result });
    return result;
  }

  /** The plaintext `seal` turned into exactly this box under this nonce and key, or null. */
  private sealedPlaintext(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const hash = nonceHash(nonce);
    const memo = this.sealed.get(hash);
    if (!memo || !equalBytes(memo.nonce, nonce) || !equalBytes(memo.key, key) || !equalBytes(memo.box, box)) return null;
    this.sealed.delete(hash); // later receivers of the same buffer hit `opened`
    return memo.plaintext;
  }
}
