/** XS side of test/xs-builtins.test.ts: the `typeof` of each global path it is sent. */
import { serveJson } from "../../tools/xs/xs-bridge.js";
import { typeOfPath } from "./global-probe.js";

serveJson((paths: string[]) => paths.map(typeOfPath));
