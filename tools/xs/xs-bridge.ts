/**
 * The XS side of xs-worker.ts: a bundled entry calls `serveJson(handler)`, and each request the Node
 * side sends arrives through xsnap's `handleCommand` as JSON; the handler's return value is the reply.
 * A handler that throws fails the request on the Node side with the exception's text.
 */
import { asciiJson, parseAsciiJson } from "./ascii-json.js";

type CommandHandler = (message: ArrayBuffer) => ArrayBuffer;

export function serveJson(handler: (request: never) => unknown): void {
  const serve: CommandHandler = (message) => asciiJson(handler(parseAsciiJson(new Uint8Array(message)) as never)).buffer as ArrayBuffer;
  (globalThis as { handleCommand?: CommandHandler }).handleCommand = serve;
}
