/**
 * The simulator's crypto port: the host's fastest implementation, with every call counted (the
 * report's "crypto operations" are what the boards would compute) and with repeated work shared.
 *
 * Sharing is sound because the radio hands the same frame buffer to every receiver (radio.ts): when
 * eight neighbors open one broadcast, the bytes, nonce and key are identical, so the first result
 * is the result. The first open of a frame is shared with its seal: secretbox is deterministic, so
 * a box that is byte for byte the one `seal` produced under the same nonce and key opens to the
 * plaintext that was sealed. A signature is verified once per (message, signature, key) for the whole
 * mesh: a certificate travels in many HELLOs, each opened into a buffer of its own. Hits are checked
 * on content, not just on identity, so a memo can never answer for different bytes: a wrong key,
 * nonce or a tampered box or signature still reaches the real primitive.
 */
import { equalAt, equalBytes } from "../../modules/bytes.js";
import type { Crypto } from "../../modules/ports.js";

export interface CryptoCounts {
  sha512: number;
  sign: number;
  verify: number;
  seal: number;
  open: number;
  /** X25519 key agreements (an origin and a gateway agree once on their CONFIRM key). */
  agree: number;
}

interface SealMemo {
  box: Uint8Array;
  key: Uint8Array;
  nonce: Uint8Array;
  plaintext: Uint8Array;
}

interface VerifyMemo {
  signature: Uint8Array;
  publicKey: Uint8Array;
  message: Uint8Array;
  result: boolean;
}

/**
 * Seals remembered until their first open. A frame is opened a few ms after it is sealed; one whose
 * every reception was lost is never opened and ages out, oldest first.
 */
const SEALS_REMEMBERED = 4096;
/**
 * Opens remembered, one per slot chosen by the nonce's hash (a power of two). A frame's receivers
 * open it within a few ms of each other; a memo overwritten sooner only costs a real open.
 */
const OPEN_SLOTS = 16384;
/** Secretbox nonces are 24 bytes; opens under any other length are not remembered. */
const NONCE_BYTES = 24;
/** Verify results remembered, oldest forgotten first: every certificate of a 10,000-node mesh. */
const VERIFIES_REMEMBERED = 16384;

/** A 32-bit FNV-1a hash of a nonce or signature: a memo's key (hits are then checked on content). */
function bytesHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** Sets `key` in a map bounded to `capacity` entries by forgetting the oldest insertion. */
function remember<V>(map: Map<number, V>, capacity: number, key: number, value: V): void {
  if (map.size >= capacity) map.delete(map.keys().next().value as number);
  map.set(key, value);
}

export class CountingCrypto implements Crypto {
  readonly counts: CryptoCounts = { sha512: 0, sign: 0, verify: 0, seal: 0, open: 0, agree: 0 };
  /*
   * The open memos, one per slot, field by field (a hit reads a few slots of flat arrays, not an object
   * and its nonce's array, all cold): the frame buffer the box was a view of (the radio hands one
   * buffer to all receivers), the view's offset and length, the key, the nonce and the result.
   */
  private readonly openBuffer = new Array<ArrayBufferLike | undefined>(OPEN_SLOTS).fill(undefined);
  private readonly openOffset = new Int32Array(OPEN_SLOTS);
  private readonly openLength = new Int32Array(OPEN_SLOTS);
  private readonly openKey = new Array<Uint8Array | undefined>(OPEN_SLOTS).fill(undefined);
  private readonly openNonce = new Uint8Array(OPEN_SLOTS * NONCE_BYTES);
  private readonly openResult = new Array<Uint8Array | null>(OPEN_SLOTS).fill(null);
  private readonly sealed = new Map<number, SealMemo>();
  private readonly verified = new Map<number, VerifyMemo>();

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
    const hash = bytesHash(signature);
    const memo = this.verified.get(hash);
    if (memo && equalBytes(memo.signature, signature) && equalBytes(memo.publicKey, publicKey) && equalBytes(memo.message, message)) {
      return memo.result;
    }
    const result = this.inner.verify(message, signature, publicKey);
    remember(this.verified, VERIFIES_REMEMBERED, hash, {
      signature: signature.slice(), publicKey: publicKey.slice(), message: message.slice(), result,
    });
    return result;
  }

  agree(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
    this.counts.agree++;
    return this.inner.agree(secretKey, publicKey);
  }

  seal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    this.counts.seal++;
    const box = this.inner.seal(plaintext, nonce, key);
    if (this.share) {
      // Copies: the caller may reuse its nonce and plaintext buffers, and owns the box.
      remember(this.sealed, SEALS_REMEMBERED, bytesHash(nonce), { box: box.slice(), key: key.slice(), nonce: nonce.slice(), plaintext: plaintext.slice() });
    }
    return box;
  }

  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    this.counts.open++;
    if (!this.share || nonce.length !== NONCE_BYTES) return this.inner.open(box, nonce, key);
    const hash = bytesHash(nonce);
    const slot = hash & (OPEN_SLOTS - 1);
    const memoKey = this.openKey[slot];
    // The memo holds the key it was opened with (the mesh shares one network key object): same object, same bytes.
    if (memoKey !== undefined && this.openBuffer[slot] === box.buffer && this.openOffset[slot] === box.byteOffset &&
        this.openLength[slot] === box.length && (memoKey === key || equalBytes(memoKey, key)) &&
        equalAt(this.openNonce, slot * NONCE_BYTES, nonce, 0, NONCE_BYTES)) {
      return this.openResult[slot];
    }
    const result = this.sealedPlaintext(box, nonce, key, hash) ?? this.inner.open(box, nonce, key);
    this.openBuffer[slot] = box.buffer;
    this.openOffset[slot] = box.byteOffset;
    this.openLength[slot] = box.length;
    this.openKey[slot] = key;
    this.openNonce.set(nonce, slot * NONCE_BYTES);
    this.openResult[slot] = result;
    return result;
  }

  /** The plaintext `seal` turned into exactly this box under this nonce and key, or null. */
  private sealedPlaintext(box: Uint8Array, nonce: Uint8Array, key: Uint8Array, hash: number): Uint8Array | null {
    const memo = this.sealed.get(hash);
    if (!memo || !equalBytes(memo.nonce, nonce) || !equalBytes(memo.key, key) || !equalBytes(memo.box, box)) return null;
    this.sealed.delete(hash); // later receivers of the same buffer hit `opened`
    return memo.plaintext;
  }
}
