/**
 * What the portable core (modules/) must not use, as line patterns: test/portability.test.ts applies
 * them to the sources, and test/xs-builtins.test.ts checks them against what the real XS engine lacks.
 */

/** Host APIs (Node or browser) the core must not touch: time, entropy, timers and Node globals come through ports. */
export const FORBIDDEN_CODE: [RegExp, string][] = [
  [/\bBuffer\b/, "Buffer (Node only; use Uint8Array)"],
  [/\bprocess\s*\./, "process. (Node only)"],
  [/\brequire\s*\(/, "require( (CommonJS)"],
  [/\bDate\s*\.\s*now\b/, "Date.now (time comes in as `now`)"],
  [/\bMath\s*\.\s*random\b/, "Math.random (use the Random port)"],
  [/\bsetTimeout\b/, "setTimeout (the host schedules; see nextTimeout)"],
  [/\bsetInterval\b/, "setInterval (the host schedules)"],
  [/\bclear(Timeout|Interval)\b/, "clearTimeout / clearInterval (the host schedules)"],
  [/\bperformance\s*\./, "performance (time comes in as `now`)"],
  [/\bconsole\s*\./, "console (XS has none; report through events and counters)"],
  [/\bcrypto\s*\.\s*(getRandomValues|subtle|randomUUID)\b/, "WebCrypto (crypto comes through the Crypto port)"],
  [/\bfetch\s*\(/, "fetch"],
];

/**
 * Built-ins missing from XS: from xsnap's XS 13.3 (the tests' engine) or from the board's XS without
 * extra SDK modules. docs/architecture.md §Built-ins the core must not use.
 */
export const XS_MISSING: [RegExp, string][] = [
  [/\bwithResolvers\b/, "Promise.withResolvers"],
  [/\bstructuredClone\b/, "structuredClone"],
  [/\bqueueMicrotask\b/, "queueMicrotask"],
  [/\bTextEncoder\b/, "TextEncoder"],
  [/\bTextDecoder\b/, "TextDecoder"],
  [/\batob\b/, "atob"],
  [/\bbtoa\b/, "btoa"],
  [/\bIntl\b/, "Intl"],
  [/\.\s*(toSorted|toReversed|toSpliced)\s*\(/, "change-array-by-copy (toSorted, toReversed, toSpliced)"],
  [/\b(isWellFormed|toWellFormed)\b/, "String.prototype.isWellFormed / toWellFormed"],
  [/\bcaptureStackTrace\b/, "Error.captureStackTrace"],
  [/\bSymbol\s*\.\s*(asyncDispose|dispose)\b/, "Symbol.dispose (explicit resource management)"],
  [/\bgroupBy\b/, "Object.groupBy / Map.groupBy"],
  [/\.\s*(union|intersection|difference|symmetricDifference|isSubsetOf|isSupersetOf|isDisjointFrom)\s*\(/, "Set methods (union, intersection, …)"],
  [/\bIterator\s*\.\s*from\b/, "Iterator helpers"],
  [/\bUint8Array\s*\.\s*from(Hex|Base64)\b|\.\s*(toHex|toBase64|setFromHex|setFromBase64)\s*\(/, "Uint8Array hex and base64"],
];
