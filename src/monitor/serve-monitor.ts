/**
 * The monitor: one HTTP server for the dashboard page and its WebSocket (`/ws`) on the same port. Every
 * client gets the hello, the recent history, the latest preview and (segmented runs) the latest workers
 * message when it joins, then each message as it is published, through its own bounded queue
 * (client-queue.ts): a slow client loses its oldest messages, never slows the run. With a token, the page
 * and the socket both require `?token=…`.
 *
 * Safe to expose: only the five files of the page are ever served (a fixed map, whatever the path says); a
 * request target that is not a URL gets 400; at most `maxClients` WebSockets at once (more get 503); a client
 * message over 4 kB closes that client (1009) and a client that sends more than a few a second is closed
 * (1008); without a token, only this machine's own pages get in (request-guard.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientQueue } from './client-queue.js';
import { SCHEMA_VERSION, type HelloMessage, type MonitorMessage } from './messages.js';
import { isLoopback, parseTarget, refusalWithoutToken, tokenMatches } from './request-guard.js';

export interface MonitorOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token?: string;
  /** Frame messages kept for clients that join late (default 1000). */
  readonly history?: number;
  /** Interval messages (one a second) kept for clients that join late (default 3600: the last hour). */
  readonly intervals?: number;
  /** Messages, and characters, waiting per client before the oldest is dropped (default history + intervals + 16, 4 MB). */
  readonly clientBuffer?: number;
  readonly clientBufferBytes?: number;
  /** WebSocket clients at once (default 1000); the next one is refused with HTTP 503. */
  readonly maxClients?: number;
  /** A client asked for a preview of the next frame. */
  readonly onPreviewRequest?: () => void;
}

export interface MonitorServer {
  /** The dashboard's address, with the token when there is one. */
  readonly url: string;
  /** The address the server is bound to (e.g. 127.0.0.1, ::, 0.0.0.0) and its port. */
  readonly address: { readonly host: string; readonly port: number };
  readonly clients: number;
  /** Characters waiting in all client queues together (each queue holds at most `clientBufferBytes`). */
  readonly queuedBytes: number;
  publish(message: MonitorMessage): void;
  /** Resolves when a client is connected (at once if one is); rejects on abort. */
  waitForClient(signal?: AbortSignal): Promise<void>;
  /** Waits up to `graceMs` for clients to receive what is queued, then closes everything. */
  close(graceMs?: number): Promise<void>;
}

/** Default cap on WebSocket clients at once. */
export const MAX_CLIENTS = 1000;
/** Largest message a client may send (it only ever sends `{"type":"preview-request"}`). */
export const MAX_CLIENT_MESSAGE = 4096;
/** Messages a client may send in one second before it is closed. */
const CLIENT_MESSAGES_PER_SECOND = 20;

const require = createRequire(import.meta.url);
const PAGE = new URL('./page/', import.meta.url);
const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/': { file: new URL('index.html', PAGE), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: new URL('dashboard.js', PAGE), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: new URL('dashboard.css', PAGE), type: 'text/css; charset=utf-8' },
  '/uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};
const assetCache = new Map<string, Buffer>();
const HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** Answers a WebSocket handshake with an HTTP error and a one-line text body saying why, then closes. */
const refuseUpgrade = (socket: Duplex, status: number, why: string): void => {
  const body = `${why}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads the answer does not keep the socket.
  setTimeout(() => socket.destroy(), 2000).unref();
};

/** The last `size` strings pushed, oldest first; a fixed array, so a push never moves the others. */
const createRing = (size: number) => {
  const slots: string[] = [];
  let next = 0;
  return {
    push: (s: string): void => {
      if (size <= 0) return;
      if (slots.length < size) slots.push(s);
      else slots[next] = s;
      next = (next + 1) % size;
    },
    items: (): string[] => (slots.length < size ? [...slots] : [...slots.slice(next), ...slots.slice(0, next)]),
  };
};

export const serveMonitor = async (o: MonitorOptions): Promise<MonitorServer> => {
  const historySize = o.history ?? 1000;
  const intervalsSize = o.intervals ?? 3600;
  // A client that joins late gets both histories at once: its queue must hold them.
  const capacity = o.clientBuffer ?? historySize + intervalsSize + 16;
  let hello: HelloMessage | null = null;
  let preview: string | null = null;
  let workers: string | null = null; // a segmented run's latest state
  let summary: string | null = null;
  // Both bounded, whatever the run's length: a live run may never end.
  const history = createRing(historySize);
  const intervals = createRing(intervalsSize);
  const queues = new Map<WebSocket, ClientQueue>();
  const joinWaiters = new Set<() => void>();
  const dropNotice = (count: number): string => JSON.stringify({ type: 'dropped', v: SCHEMA_VERSION, count });

  const maxClients = o.maxClients ?? MAX_CLIENTS;
  // Set once listening: whether the bound address is loopback (then Host must name loopback, without a token).
  let loopbackOnly = true;
  let closing: Promise<void> | null = null;

  /** Why this request may not be served (status and a line of text), or null. Token first: it is the gate. */
  const refusal = (req: IncomingMessage, url: URL, needsToken: boolean): [number, string] | null => {
    if (needsToken && !tokenMatches(o.token, url)) return [401, 'this monitor needs ?token=… (the one given with --monitor-token)'];
    if (o.token === undefined) {
      const why = refusalWithoutToken({ host: req.headers.host, origin: req.headers.origin }, loopbackOnly);
      if (why) return [403, why];
    }
    return null;
  };

  const serveAsset = (req: IncomingMessage, res: ServerResponse): void => {
    const text = (status: number, body: string): void =>
      void res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS }).end(`${body}\n`);
    const url = parseTarget(req.url);
    if (!url) return text(400, 'bad request target');
    // Only the fixed map: no path is ever joined to a folder, so no path can leave the page.
    const asset = Object.hasOwn(ASSETS, url.pathname) ? ASSETS[url.pathname] : undefined;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !asset) return text(404, 'not found');
    const refused = refusal(req, url, url.pathname === '/');
    if (refused) return text(...refused);
    // Read once: a flood of page requests costs no disk reads on the run's thread.
    let body = assetCache.get(url.pathname);
    if (!body) assetCache.set(url.pathname, (body = readFileSync(asset.file)));
    res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, 'cache-control': 'no-store', ...HEADERS });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const http = createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, serveAsset);
  // A hard bound on sockets of every kind (each WebSocket is one): beyond it, new connections are closed at once.
  http.maxConnections = maxClients + 100;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, perMessageDeflate: false });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removes its own error handler from an upgraded socket: without this, a reset would end the run.
    socket.on('error', () => socket.destroy());
    const url = parseTarget(req.url);
    if (!url) return refuseUpgrade(socket, 400, 'bad request target');
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'not found: the WebSocket is at /ws');
    const refused = refusal(req, url, true);
    if (refused) return refuseUpgrade(socket, ...refused);
    if (closing) return refuseUpgrade(socket, 503, 'the run is over and this monitor is closing');
    if (queues.size >= maxClients) {
      return refuseUpgrade(socket, 503, `this monitor already has ${queues.size} clients, its limit; try again when one leaves`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => join(ws));
  });

  const join = (ws: WebSocket): void => {
    const queue = new ClientQueue((data, done) => ws.send(data, done), capacity, dropNotice, o.clientBufferBytes ?? 4 * 1024 * 1024);
    queues.set(ws, queue);
    ws.on('close', () => (queue.close(), queues.delete(ws)));
    // ws has already sent the close code (1009 for a message over maxPayload); the socket goes soon after.
    ws.on('error', () => void setTimeout(() => ws.terminate(), 1000).unref());
    let windowStart = performance.now();
    let received = 0;
    ws.on('message', (raw) => {
      const now = performance.now();
      if (now - windowStart > 1000) [windowStart, received] = [now, 0];
      if (++received > CLIENT_MESSAGES_PER_SECOND) return void ws.close(1008, 'too many messages');
      try {
        if ((JSON.parse(String(raw)) as { type?: string } | null)?.type === 'preview-request') o.onPreviewRequest?.();
      } catch {
        // not JSON: ignored, clients only ever ask for previews
      }
    });
    if (hello) queue.push(JSON.stringify(hello));
    for (const m of intervals.items()) queue.push(m);
    for (const m of history.items()) queue.push(m);
    if (preview) queue.push(preview);
    if (workers) queue.push(workers);
    if (summary) queue.push(summary);
    for (const w of joinWaiters) w();
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const boundHost = typeof address === 'object' && address ? address.address : o.host;
  loopbackOnly = isLoopback(boundHost);
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${hostPart}:${port}/${o.token !== undefined ? `?token=${encodeURIComponent(o.token)}` : ''}`;

  const broadcast = (data: string): void => {
    for (const q of queues.values()) q.push(data);
  };
  return {
    url,
    address: { host: boundHost, port },
    get clients() {
      return queues.size;
    },
    get queuedBytes() {
      let n = 0;
      for (const q of queues.values()) n += q.bytes;
      return n;
    },
    publish: (m) => {
      const data = JSON.stringify(m);
      if (m.type === 'hello') hello = m;
      else if (m.type === 'frame') history.push(data);
      else if (m.type === 'interval') intervals.push(data);
      else if (m.type === 'preview') preview = data;
      else if (m.type === 'workers') workers = data;
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
