/**
 * X25519 (RFC 7748 §5) on BigInt, for the board: XS does BigInt in C, and this ladder costs the heap
 * a few functions, where noble's `abstract/montgomery` (its ladder with its checks) held 330 slots and
 * 5.6 KB of chunks more at rest in xsnap. BigInt arithmetic is not constant-time: the time of an
 * agreement depends on the keys, as the board's Ed25519 signing does.
 */
/** curve25519's field: GF(2^255 − 19). */
export const P = 2n ** 255n - 19n;
/** (486662 − 2) / 4: curve25519's ladder constant. */
const A24 = 121665n;
const BYTES = 32;

function mod(n: bigint): bigint {
  const r = n % P;
  return r < 0n ? r + P : r;
}

/** n^(p−2) mod p: the inverse of n (Fermat), 0 for 0. */
export function invert(n: bigint): bigint {
  let result = 1n;
  let base = mod(n);
  for (let e = P - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % P;
    base = (base * base) % P;
  }
  return result;
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

export function toLittleEndian(n: bigint): Uint8Array {
  const out = new Uint8Array(BYTES);
  for (let i = 0; i < BYTES; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** X25519(scalar, u): the scalar clamped, u's top bit masked and u taken mod p, as §5 says. */
export function x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  if (scalar.length !== BYTES || u.length !== BYTES) throw new RangeError("X25519 takes 32-byte scalars and u coordinates");
  const k = scalar.slice();
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  const n = fromLittleEndian(k);
  const masked = u.slice();
  masked[31] &= 127;
  const x1 = mod(fromLittleEndian(masked));
  let x2 = 1n, z2 = 0n, x3 = x1, z3 = 1n, swap = 0n;
  for (let t = 254n; t >= 0n; t--) {
    const bit = (n >> t) & 1n;
    if (swap ^ bit) [x2, x3, z2, z3] = [x3, x2, z3, z2];
    swap = bit;
    const a = x2 + z2, aa = (a * a) % P, b = x2 - z2, bb = mod(b * b), e = mod(aa - bb);
    const c = x3 + z3, d = x3 - z3, da = mod(d * a), cb = mod(c * b);
    x3 = ((da + cb) * (da + cb)) % P;
    z3 = mod(x1 * mod((da - cb) * (da - cb)));
    x2 = (aa * bb) % P;
    z2 = (e * (aa + A24 * e)) % P;
  }
  if (swap) [x2, z2] = [x3, z3];
  return toLittleEndian((x2 * invert(z2)) % P);
}
