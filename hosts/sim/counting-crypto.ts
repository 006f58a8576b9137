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

interface VerifyMemo {
  signature: Uint8Array;
  publicKey: Uint8Array;
  message: Uint8Array;
  result: boolean;
}

/**
 * Seals remembered until their first open, one per slot chosen by the nonce's hash (a power of two).
 * A frame is opened a few ms after it is sealed, so few are ever waiting; one whose every reception
 * was lost is never opened and is overwritten. A memo overwritten sooner only costs a real open.
 */
const SEAL_SLOTS = 4096;
/** Secretbox keys are 32 bytes; seals under any other length are not remembered. */
const KEY_BYTES = 32;
/**
 * Opens remembered, one per slot chosen by the nonce's hash (a power of two). A frame's receivers
 * open it within a few ms of each other; a memo overwritten sooner only costs a real open.
 */
const OPEN_SLOTS = 16384;
/** Secretbox nonces are 24 bytes; opens under any other length are not remembered. */
const NONCE_BYTES = 24;
/** A seal memo's bytes: the nonce, the key, the box, the plaintext. */
const SEAL_KEY_AT = NONCE_BYTES;
const SEAL_BOX_AT = SEAL_KEY_AT + KEY_BYTES;
/** An open memo's references (buffer, key, result), and its bytes: the nonce, then two Int32 words (offset, length). */
const OPEN_REFS = 3;
const OPEN_STRIDE = 32;
const OFFSET_WORD = NONCE_BYTES / 4;
const LENGTH_WORD = OFFSET_WORD + 1;
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
   * The open memos, one per slot, in two flat arrays so that a hit reads two cache lines, not an
   * object per field, all cold. `openRefs`, OPEN_REFS per slot: the frame buffer the box was a view
   * of (the radio hands one buffer to all receivers), the key and the result. `openBytes`,
   * OPEN_STRIDE bytes per slot: the nonce, then the view's offset and length as Int32 (`openWords`).
   */
  private readonly openRefs = new Array<ArrayBufferLike | Uint8Array | null | undefined>(OPEN_SLOTS * OPEN_REFS).fill(undefined);
  private readonly openBytes = new Uint8Array(OPEN_SLOTS * OPEN_STRIDE);
  private readonly openWords = new Int32Array(this.openBytes.buffer);
  /** Per slot: a seal memo's bytes (one allocation, from SEAL_BOX_AT the box then the plaintext), and its box's length. */
  private readonly sealed = new Array<Uint8Array | undefined>(SEAL_SLOTS).fill(undefined);
  private readonly sealedBoxLength = new Int32Array(SEAL_SLOTS);
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
      if (nonce.length === NONCE_BYTES && key.length === KEY_BYTES) {
        const slot = bytesHash(nonce) & (SEAL_SLOTS - 1);
        const memo = new Uint8Array(SEAL_BOX_AT + box.length + plaintext.length);
        memo.set(nonce);
        memo.set(key, SEAL_KEY_AT);
        memo.set(box, SEAL_BOX_AT);
        memo.set(plaintext, SEAL_BOX_AT + box.length);
        this.sealed[slot] = memo;
        this.sealedBoxLength[slot] = box.length;
      }
    }
    return box;
  }

  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    this.counts.open++;
    if (!this.share || nonce.length !== NONCE_BYTES) return this.inner.open(box, nonce, key);
    const hash = bytesHash(nonce);
    const slot = hash & (OPEN_SLOTS - 1);
    const refs = this.openRefs;
    const r = slot * OPEN_REFS;
    const words = this.openWords;
    const w = (slot * OPEN_STRIDE) >> 2;
    const memoKey = refs[r + 1] as Uint8Array | undefined;
    // The memo holds the key it was opened with (the mesh shares one network key object): same object, same bytes.
    if (memoKey !== undefined && refs[r] === box.buffer && words[w + OFFSET_WORD] === box.byteOffset &&
        words[w + LENGTH_WORD] === box.length && (memoKey === key || equalBytes(memoKey, key)) &&
        equalAt(this.openBytes, slot * OPEN_STRIDE, nonce, 0, NONCE_BYTES)) {
      return refs[r + 2] as Uint8Array | null;
    }
    const result = this.sealedPlaintext(box, nonce, key, hash) ?? this.inner.open(box, nonce, key);
    refs[r] = box.buffer;
    refs[r + 1] = key;
    refs[r + 2] = result;
    words[w + OFFSET_WORD] = box.byteOffset;
    words[w + LENGTH_WORD] = box.length;
    this.openBytes.set(nonce, slot * OPEN_STRIDE);
    return result;
  }

  /** The plaintext `seal` turned into exactly this box under this nonce and key, or null. */
  private sealedPlaintext(box: Uint8Array, nonce: Uint8Array, key: Uint8Array, hash: number): Uint8Array | null {
    const slot = hash & (SEAL_SLOTS - 1);
    const memo = this.sealed[slot];
    const boxLength = this.sealedBoxLength[slot];
    if (memo === undefined || box.length !== boxLength || key.length !== KEY_BYTES || !equalAt(memo, 0, nonce, 0, NONCE_BYTES) ||
        !equalAt(memo, SEAL_KEY_AT, key, 0, KEY_BYTES) || !equalAt(memo, SEAL_BOX_AT, box, 0, boxLength)) return null;
    this.sealed[slot] = undefined; // later receivers of the same buffer hit the open memo
    return memo.subarray(SEAL_BOX_AT + boxLength);
  }
}
