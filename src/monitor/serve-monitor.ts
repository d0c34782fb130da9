/**
 * The monitor: one HTTP server for the dashboard page and its WebSocket (`/ws`) on the same port. Every
 * client gets the hello, the recent history and the latest preview when it joins, then each message as it
 * is published, through its own bounded queue (client-queue.ts): a slow client loses its oldest messages,
 * never slows the run. With a token, the page and the socket both require `?token=…`.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientQueue } from './client-queue.js';
import { SCHEMA_VERSION, type HelloMessage, type MonitorMessage } from './messages.js';

export interface MonitorOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token?: string;
  /** Frame messages kept for clients that join late (default 1000). */
  readonly history?: number;
  /** Messages, and characters, waiting per client before the oldest is dropped (default history + 16, 4 MB). */
  readonly clientBuffer?: number;
  readonly clientBufferBytes?: number;
  /** A client asked for a preview of the next frame. */
  readonly onPreviewRequest?: () => void;
}

export interface MonitorServer {
  /** The dashboard's address, with the token when there is one. */
  readonly url: string;
  readonly clients: number;
  publish(message: MonitorMessage): void;
  /** Resolves when a client is connected (at once if one is); rejects on abort. */
  waitForClient(signal?: AbortSignal): Promise<void>;
  /** Waits up to `graceMs` for clients to receive what is queued, then closes everything. */
  close(graceMs?: number): Promise<void>;
}

const require = createRequire(import.meta.url);
const PAGE = new URL('./page/', import.meta.url);
const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/': { file: new URL('index.html', PAGE), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: new URL('dashboard.js', PAGE), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: new URL('dashboard.css', PAGE), type: 'text/css; charset=utf-8' },
  '/uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const tokenMatches = (expected: string | undefined, url: URL): boolean => {
  if (expected === undefined) return true;
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
};

export const serveMonitor = async (o: MonitorOptions): Promise<MonitorServer> => {
  const historySize = o.history ?? 1000;
  const capacity = o.clientBuffer ?? historySize + 16;
  let hello: HelloMessage | null = null;
  let preview: string | null = null;
  let summary: string | null = null;
  const history: string[] = [];
  const queues = new Map<WebSocket, ClientQueue>();
  const joinWaiters = new Set<() => void>();
  const dropNotice = (count: number): string => JSON.stringify({ type: 'dropped', v: SCHEMA_VERSION, count });

  const serveAsset = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://monitor');
    const asset = ASSETS[url.pathname];
    if (req.method !== 'GET' || !asset) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (url.pathname === '/' && !tokenMatches(o.token, url)) {
      return void res
        .writeHead(401, { 'content-type': 'text/plain' })
        .end('this monitor needs ?token=… (the one given with --monitor-token)\n');
    }
    res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' }).end(readFileSync(asset.file));
  };
  const http = createServer(serveAsset);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://monitor');
    if (url.pathname !== '/ws') return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    if (!tokenMatches(o.token, url)) return void socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => join(ws));
  });

  const join = (ws: WebSocket): void => {
    const queue = new ClientQueue((data, done) => ws.send(data, done), capacity, dropNotice, o.clientBufferBytes ?? 4 * 1024 * 1024);
    queues.set(ws, queue);
    ws.on('close', () => (queue.close(), queues.delete(ws)));
    ws.on('error', () => ws.terminate());
    ws.on('message', (raw) => {
      try {
        if ((JSON.parse(String(raw)) as { type?: string }).type === 'preview-request') o.onPreviewRequest?.();
      } catch {
        // not JSON: ignored, clients only ever ask for previews
      }
    });
    if (hello) queue.push(JSON.stringify(hello));
    for (const m of history) queue.push(m);
    if (preview) queue.push(preview);
    if (summary) queue.push(summary);
    for (const w of joinWaiters) w();
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${hostPart}:${port}/${o.token !== undefined ? `?token=${encodeURIComponent(o.token)}` : ''}`;

  let closing: Promise<void> | null = null;
  const broadcast = (data: string): void => {
    for (const q of queues.values()) q.push(data);
  };
  return {
    url,
    get clients() {
      return queues.size;
    },
    publish: (m) => {
      const data = JSON.stringify(m);
      if (m.type === 'hello') hello = m;
      else if (m.type === 'frame') {
        history.push(data);
        if (history.length > historySize) history.shift();
      } else if (m.type === 'preview') preview = data;
      else if (m.type === 'summary') summary = data;
      broadcast(data);
    },
    waitForClient: (signal) =>
      new Promise<void>((resolve, reject) => {
        if (queues.size) return resolve();
        const done = (): void => {
          joinWaiters.delete(done);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          joinWaiters.delete(done);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        joinWaiters.add(done);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    close: (graceMs = 2000) => (closing ??= shutDown(graceMs)),
  };
  async function shutDown(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    while (performance.now() < deadline && [...queues.values()].some((q) => q.pending > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const ws of queues.keys()) ws.close(1001, 'run over');
    await new Promise((r) => setTimeout(r, 50)); // let close frames go out
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
};
