/**
 * The monitor's web server: the page at /, the current snapshot at /snapshot.json, and /events, a
 * server-sent event stream that sends a `snapshot` on connect and after each change (at most every
 * PUSH_MS, so a burst of statuses is one redraw). Listens on the address given (loopback by default:
 * the page shows the mesh's ids and health to whoever can reach it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorPage } from "./monitor-page.js";
import type { MeshView } from "./monitor-view.js";

const PUSH_MS = 500;
const HEARTBEAT_MS = 15_000;
/** Open event streams served at once; more are refused (503). */
const MAX_STREAMS = 32;

export class MonitorServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private pushTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly view: MeshView, private readonly title: string) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) s.write(": keep-alive\n\n");
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  /** The view changed: every open page redraws soon. */
  changed(): void {
    if (this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      const data = `event: snapshot\ndata: ${JSON.stringify(this.view.snapshot())}\n\n`;
      for (const s of this.streams) s.write(data);
    }, PUSH_MS);
  }

  close(): Promise<void> {
    clearTimeout(this.pushTimer);
    clearInterval(this.heartbeat);
    for (const s of this.streams) s.end();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") return void res.writeHead(405, { allow: "GET" }).end();
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(monitorPage(this.title));
    } else if (path === "/snapshot.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(this.view.snapshot()));
    } else if (path === "/events") {
      if (this.streams.size >= MAX_STREAMS) return void res.writeHead(503).end();
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      res.write(`event: snapshot\ndata: ${JSON.stringify(this.view.snapshot())}\n\n`);
      this.streams.add(res);
      req.on("close", () => this.streams.delete(res));
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  }
}
