// The module "tweetnacl" on the board (manifest.json maps the name here): tweetnacl-fast, unmodified
// from node_modules, compiled as a module. Imports run in order: first "tweetnacl/umd-global"
// (./umd-global.js) provides `self`, then the UMD fills `self.nacl` (no PRNG is found, so nacl.randomBytes throws:
// keys come from provisioning, never from the board).
import "tweetnacl/umd-global";
import "tweetnacl/nacl-fast";

const nacl = globalThis.self.nacl;
delete globalThis.self;
export default nacl;
