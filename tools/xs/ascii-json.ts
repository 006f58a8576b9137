/**
 * JSON as ASCII bytes, the message format between Node and an XS worker. Characters above 0x7f are
 * escaped (\uXXXX), so neither side needs TextEncoder, which XS on the board does not have.
 */

/** Characters per String.fromCharCode call: XS's stack is small (4,096 slots in xsnap). */
const CHARS_PER_CALL = 1024;

export function asciiJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function parseAsciiJson(bytes: Uint8Array): unknown {
  let text = "";
  for (let i = 0; i < bytes.length; i += CHARS_PER_CALL) {
    text += String.fromCharCode(...bytes.subarray(i, i + CHARS_PER_CALL));
  }
  return JSON.parse(text);
}
