/**
 * The content manifest: the owner's signature over a firmware image or configuration, small enough
 * for one record (docs/protocol.md §Content). It carries the hashes of the image's *hash blocks*;
 * each hash block lists the hashes of up to 64 data pieces. A node verifies one signature per
 * manifest (1–3 s on the board) and one SHA-512 per piece.
 *
 *   off  size  field
 *   0    1     version (1)
 *   1    4     network id (u32)
 *   5    8     content id (the tool uses SHA-512(image)[0..8]); names the transfer in swarm records
 *   13   1     kind: 1 firmware, 2 config
 *   14   1     flags: bit 0 = a delegation follows the fixed part; other bits 0
 *   15   4     version (u32 ≥ 1)
 *   19   4     floor (u32 ≤ version): once installed, no version below it is ever accepted
 *   23   4     total size in bytes (1..pieceBytes × MAX_PIECES)
 *   27   2     piece size in bytes (MIN_PIECE_BYTES..MAX_PIECE_BYTES)
 *   29   1     target roles: bit r−1 = Role r installs it (1..15)
 *   30   2     target board type (0 = any board)
 *   32   1     hash blocks B = ceil(pieces / 64), 1..MAX_BLOCKS
 *   33   102   delegation (content-delegation.ts), only with flag bit 0
 *   d    16B   hash of each hash block: SHA-512(block)[0..16]
 *   d+16B 64   signature over ascii("hyphae/content/v1") ‖ bytes[0..d+16B), by the owner key, or by
 *              the delegated key when a delegation is present
 *
 * Hash block j is the concatenation of SHA-512(piece)[0..16] for pieces 64j..64j+63 (fewer in the
 * last block). Swarm indices: 0..B−1 are the hash blocks, B..B+n−1 the data pieces.
 */
import { ascii, concatBytes, equalAt, readU16, readU32, writeU16, writeU32 } from "../bytes.js";
import { Role } from "../identity/certificate.js";
import { nodeIdOf } from "../identity/node-id.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { decodeDelegation, DELEGATION_BYTES, verifyDelegationSignature } from "./content-delegation.js";

/** Append only: these values are on the wire. */
export enum ContentKind {
  Firmware = 1,
  Config = 2,
}

/** "firmware", "config", or "kind N" for one this code does not know. */
export function contentKindName(kind: number): string {
  return kind === ContentKind.Firmware ? "firmware" : kind === ContentKind.Config ? "config" : `kind ${kind}`;
}

export const MANIFEST_VERSION = 1;
export const CONTENT_ID_BYTES = 8;
/**
 * 128 bits of SHA-512: forging a piece means a second preimage of an owner-chosen hash (2^128 work);
 * collisions (2^64) would need the owner to sign an attacker's image. A quarter of the full digest
 * keeps a manifest within one record and the hash table 1/64 of the image.
 */
export const PIECE_HASH_BYTES = 16;
export const HASHES_PER_BLOCK = 64;
export const MAX_BLOCKS = 32;
export const MAX_PIECES = MAX_BLOCKS * HASHES_PER_BLOCK;
export const MIN_PIECE_BYTES = 64;
/** A PIECE record (10 + data bytes) fits one frame with room for its record header. */
export const MAX_PIECE_BYTES = 1024;
export const MANIFEST_FIXED_BYTES = 33;
const SIGNATURE_BYTES = 64;
const FLAG_DELEGATED = 1;
export const MAX_MANIFEST_BYTES = MANIFEST_FIXED_BYTES + DELEGATION_BYTES + MAX_BLOCKS * PIECE_HASH_BYTES + SIGNATURE_BYTES;
const CONTEXT = ascii("hyphae/content/v1");
const ALL_ROLES = (1 << Role.Gateway) - 1;

export interface ManifestFields {
  networkId: number;
  contentId: Uint8Array;
  kind: ContentKind;
  version: number;
  floor: number;
  totalBytes: number;
  pieceBytes: number;
  roleMask: number;
  board: number;
}

export interface ContentManifest extends ManifestFields {
  /** Data pieces n. */
  pieces: number;
  /** Hash blocks B. */
  blocks: number;
  /** View of the delegation, null when the owner signed. */
  delegation: Uint8Array | null;
  /** View of B × 16 bytes. */
  blockHashes: Uint8Array;
  signature: Uint8Array;
  /** Where the signature starts: the signed bytes are [0..signedEnd). */
  signedEnd: number;
}

/** Why a manifest is refused. */
export enum ManifestStatus {
  Valid,
  Malformed,
  WrongNetwork,
  BadSignature,
  /** The delegation is malformed, for another network, or not signed by the owner. */
  BadDelegation,
  /** The delegated key may not sign this kind. */
  KindNotDelegated,
  /** The delegate key's id is on the revocation list. */
  Revoked,
  /** Not newer than what the node installed or is fetching, or under its floor: a rollback. */
  Rollback,
  /** Bigger than this node's content store can hold (its OTA partition, on the board). */
  TooLarge,
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function piecesOf(totalBytes: number, pieceBytes: number): number {
  return Math.ceil(totalBytes / pieceBytes);
}

/** The first 16 bytes of SHA-512(data): a piece's or a hash block's hash. */
export function pieceHash(crypto: Crypto, data: Uint8Array): Uint8Array {
  return crypto.sha512(data).subarray(0, PIECE_HASH_BYTES);
}

/** Bytes of data piece `i` (the last one may be short). */
export function pieceLength(m: Pick<ContentManifest, "totalBytes" | "pieceBytes">, i: number): number {
  return Math.min(m.pieceBytes, m.totalBytes - i * m.pieceBytes);
}

/** Bytes of hash block `j`. */
export function blockLength(m: Pick<ContentManifest, "pieces">, j: number): number {
  return Math.min(HASHES_PER_BLOCK, m.pieces - j * HASHES_PER_BLOCK) * PIECE_HASH_BYTES;
}

/**
 * Signs a manifest for `image` and returns it with every swarm piece (hash blocks, then data pieces).
 * With a `delegation`, `signerSecretKey` is the delegated key's. Throws on values decode would reject.
 */
export function buildManifest(
  crypto: Crypto, signerSecretKey: Uint8Array, fields: Omit<ManifestFields, "totalBytes" | "contentId"> & { contentId?: Uint8Array },
  image: Uint8Array, delegation: Uint8Array | null = null,
): { manifest: Uint8Array; pieces: Uint8Array[] } {
  const { networkId, kind, version, floor, pieceBytes, roleMask, board } = fields;
  if (signerSecretKey.length !== 64) throw new RangeError("signer secret key must be 64 bytes");
  if (!isU32(networkId)) throw new RangeError("network id must be a u32");
  if (kind !== ContentKind.Firmware && kind !== ContentKind.Config) throw new RangeError("kind must be firmware (1) or config (2)");
  if (!isU32(version) || version < 1) throw new RangeError("version must be 1..2^32-1");
  if (!isU32(floor) || floor > version) throw new RangeError("floor must be 0..version");
  if (!Number.isInteger(pieceBytes) || pieceBytes < MIN_PIECE_BYTES || pieceBytes > MAX_PIECE_BYTES) {
    throw new RangeError(`piece size must be ${MIN_PIECE_BYTES}..${MAX_PIECE_BYTES} bytes`);
  }
  if (image.length < 1 || piecesOf(image.length, pieceBytes) > MAX_PIECES) {
    throw new RangeError(`image must be 1..${MAX_PIECES * pieceBytes} bytes at ${pieceBytes}-byte pieces`);
  }
  if (!Number.isInteger(roleMask) || roleMask < 1 || roleMask > ALL_ROLES) throw new RangeError("role mask must be 1..15");
  if (!Number.isInteger(board) || board < 0 || board > 0xffff) throw new RangeError("board type must be 0..65535");
  if (delegation && delegation.length !== DELEGATION_BYTES) throw new RangeError(`a delegation is ${DELEGATION_BYTES} bytes`);
  const contentId = fields.contentId ?? crypto.sha512(image).subarray(0, CONTENT_ID_BYTES);
  if (contentId.length !== CONTENT_ID_BYTES) throw new RangeError(`content id must be ${CONTENT_ID_BYTES} bytes`);

  const pieces = swarmPieces(crypto, image, pieceBytes);
  const blocks = pieces.slice(0, Math.ceil(piecesOf(image.length, pieceBytes) / HASHES_PER_BLOCK));
  const d = MANIFEST_FIXED_BYTES + (delegation ? DELEGATION_BYTES : 0);
  const signedEnd = d + blocks.length * PIECE_HASH_BYTES;
  const out = new Uint8Array(signedEnd + SIGNATURE_BYTES);
  out[0] = MANIFEST_VERSION;
  writeU32(out, 1, networkId);
  out.set(contentId, 5);
  out[13] = kind;
  out[14] = delegation ? FLAG_DELEGATED : 0;
  writeU32(out, 15, version);
  writeU32(out, 19, floor);
  writeU32(out, 23, image.length);
  writeU16(out, 27, pieceBytes);
  out[29] = roleMask;
  writeU16(out, 30, board);
  out[32] = blocks.length;
  if (delegation) out.set(delegation, MANIFEST_FIXED_BYTES);
  blocks.forEach((b, j) => out.set(pieceHash(crypto, b), d + j * PIECE_HASH_BYTES));
  out.set(crypto.sign(concatBytes(CONTEXT, out.subarray(0, signedEnd)), signerSecretKey), signedEnd);
  return { manifest: out, pieces };
}

/** `image` cut into swarm pieces: its hash blocks, then its data pieces of `pieceBytes` (the last may be short). */
function swarmPieces(crypto: Crypto, image: Uint8Array, pieceBytes: number): Uint8Array[] {
  const n = piecesOf(image.length, pieceBytes);
  const data: Uint8Array[] = [];
  for (let i = 0; i < n; i++) data.push(image.slice(i * pieceBytes, Math.min(image.length, (i + 1) * pieceBytes)));
  const blocks: Uint8Array[] = [];
  for (let j = 0; j * HASHES_PER_BLOCK < n; j++) {
    const count = Math.min(HASHES_PER_BLOCK, n - j * HASHES_PER_BLOCK);
    const block = new Uint8Array(count * PIECE_HASH_BYTES);
    for (let k = 0; k < count; k++) block.set(pieceHash(crypto, data[j * HASHES_PER_BLOCK + k]), k * PIECE_HASH_BYTES);
    blocks.push(block);
  }
  return [...blocks, ...data];
}

/**
 * The swarm pieces of `image` when it is the content `m` describes (its size and every piece hash),
 * else the index of the first hash block that differs (-1: the size differs). What a seeder checks
 * before it offers a file: the manifest's signature covers the hashes, not the file.
 */
export function imagePieces(crypto: Crypto, m: ContentManifest, image: Uint8Array): Uint8Array[] | number {
  if (image.length !== m.totalBytes) return -1;
  const pieces = swarmPieces(crypto, image, m.pieceBytes);
  for (let j = 0; j < m.blocks; j++) if (!hashMatches(pieceHash(crypto, pieces[j]), m.blockHashes, j * PIECE_HASH_BYTES)) return j;
  return pieces;
}

/** Parses without verifying anything signed; views into `bytes`. Strict and total: never throws. */
export function decodeManifest(bytes: Uint8Array): ContentManifest | WireError {
  if (bytes.length < MANIFEST_FIXED_BYTES) return WireError.Truncated;
  if (bytes.length > MAX_MANIFEST_BYTES) return WireError.Oversized;
  if (bytes[0] !== MANIFEST_VERSION) return WireError.BadVersion;
  const kind = bytes[13];
  if (kind !== ContentKind.Firmware && kind !== ContentKind.Config) return WireError.BadType;
  const flags = bytes[14];
  const version = readU32(bytes, 15);
  const floor = readU32(bytes, 19);
  const totalBytes = readU32(bytes, 23);
  const pieceBytes = readU16(bytes, 27);
  const roleMask = bytes[29];
  const blocks = bytes[32];
  if ((flags & ~FLAG_DELEGATED) !== 0 || version === 0 || floor > version || roleMask === 0 || roleMask > ALL_ROLES ||
      pieceBytes < MIN_PIECE_BYTES || pieceBytes > MAX_PIECE_BYTES || totalBytes === 0) {
    return WireError.BadField;
  }
  const pieces = piecesOf(totalBytes, pieceBytes);
  if (pieces > MAX_PIECES || blocks !== Math.ceil(pieces / HASHES_PER_BLOCK)) return WireError.BadField;
  const d = MANIFEST_FIXED_BYTES + (flags & FLAG_DELEGATED ? DELEGATION_BYTES : 0);
  const signedEnd = d + blocks * PIECE_HASH_BYTES;
  if (bytes.length < signedEnd + SIGNATURE_BYTES) return WireError.Truncated;
  if (bytes.length > signedEnd + SIGNATURE_BYTES) return WireError.TrailingBytes;
  return {
    networkId: readU32(bytes, 1),
    contentId: bytes.subarray(5, 5 + CONTENT_ID_BYTES),
    kind, version, floor, totalBytes, pieceBytes, roleMask,
    board: readU16(bytes, 30),
    pieces, blocks,
    delegation: flags & FLAG_DELEGATED ? bytes.subarray(MANIFEST_FIXED_BYTES, d) : null,
    blockHashes: bytes.subarray(d, signedEnd),
    signature: bytes.subarray(signedEnd),
    signedEnd,
  };
}

/**
 * Whether the owner signed `m` (decoded from `bytes`), directly or through a delegation for its kind
 * whose key is not revoked. Cheap checks first: one or two Ed25519 verifies at most.
 */
export function checkManifest(
  crypto: Crypto, bytes: Uint8Array, m: ContentManifest, ownerPublicKey: Uint8Array, networkId: number,
  isRevoked: (id: Uint8Array) => boolean,
): ManifestStatus {
  if (m.networkId !== networkId) return ManifestStatus.WrongNetwork;
  let signer = ownerPublicKey;
  if (m.delegation) {
    const d = decodeDelegation(m.delegation);
    if (typeof d === "number" || d.networkId !== networkId) return ManifestStatus.BadDelegation;
    if ((d.kinds & (1 << (m.kind - 1))) === 0) return ManifestStatus.KindNotDelegated;
    if (isRevoked(nodeIdOf(crypto, d.publicKey))) return ManifestStatus.Revoked;
    if (!verifyDelegationSignature(crypto, m.delegation, d.signature, ownerPublicKey)) return ManifestStatus.BadDelegation;
    signer = d.publicKey;
  }
  const signed = concatBytes(CONTEXT, bytes.subarray(0, m.signedEnd));
  return crypto.verify(signed, m.signature, signer) ? ManifestStatus.Valid : ManifestStatus.BadSignature;
}

/** Whether a node of `role` on board type `board` installs `m`. */
export function targets(m: Pick<ContentManifest, "roleMask" | "board">, role: Role, board: number): boolean {
  return (m.roleMask & (1 << (role - 1))) !== 0 && (m.board === 0 || m.board === board);
}

/** Whether `hash` (16 bytes) equals the one at `at` in `table`. */
export function hashMatches(hash: Uint8Array, table: Uint8Array, at: number): boolean {
  return equalAt(hash, 0, table, at, PIECE_HASH_BYTES);
}
