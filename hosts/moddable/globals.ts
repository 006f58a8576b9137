/**
 * Web globals that code below the firmware expects and XS does not define. Imported first by
 * main.ts, so it runs before any module that uses them; plain JS, so it also runs when the build
 * preloads those modules (no native call is allowed then).
 *
 * - TextEncoder: @noble/curves/ed25519.js builds its FROST and OPRF helpers when it loads, and they
 *   encode their ASCII domain tags with `new TextEncoder().encode(…)`. The core itself never uses it
 *   (test/portability.test.ts).
 */

/** UTF-8 encoding of a string (WHATWG `TextEncoder.encode`; lone surrogates become U+FFFD). */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

class Utf8Encoder {
  get encoding(): string {
    return "utf-8";
  }

  encode(text = ""): Uint8Array {
    return utf8(String(text));
  }
}

const web = globalThis as { TextEncoder?: unknown };
web.TextEncoder ??= Utf8Encoder;
