// Types for ./tweetnacl.js, the module mcconfig builds as "tweetnacl": tweetnacl's own. Without this
// file the TypeScript compiler that mcconfig runs would resolve "tweetnacl" (through the manifest's
// module map) to the untyped .js wrapper and fail with TS7016.
import nacl from "../../../node_modules/tweetnacl/nacl.js";

export default nacl;
