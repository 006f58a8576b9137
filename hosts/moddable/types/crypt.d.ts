/**
 * The part of the Moddable SDK's "crypt" module the firmware uses (modules/crypt/digest/crypt.js).
 * @moddable/typings 5.6 has no declaration for it; the SDK's own typings (typings/crypt.d.ts) do, and
 * mcconfig builds against those, so this file is read only by `tsc -p hosts/moddable` (npm test).
 */
declare module "crypt" {
  export class Digest {
    constructor(type: "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512");
    /** Strings, ArrayBuffers and any buffer view (the native side uses xsmcGetBufferReadable). */
    write(data: string | ArrayBuffer | ArrayBufferView): void;
    close(): ArrayBuffer;
    reset(): void;
  }
}
