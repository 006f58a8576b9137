// XS (the Moddable engine) has no `self`, `module` or `require`. tweetnacl's UMD wrapper ends with
//   (typeof module !== 'undefined' && module.exports ? module.exports : (self.nacl = self.nacl || {}))
// so it needs a `self` to hang `nacl` on. This module runs before it (see ./tweetnacl.js) and gives
// it a plain object; ./tweetnacl.js takes `nacl` from there and removes the global again.
globalThis.self = {};
